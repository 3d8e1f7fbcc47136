"""The documents on the web: the API's list, download and draft; the process page's
"ร่างเอกสาร" (a form POST that records nothing), the recorded documents with their sha256,
and the register page with its XLSX."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from fastapi.testclient import TestClient

from tests import steps
from tests.thai_output import problems
from tests.webkit import flatten, hidden, login

P = "/api/processes/2570/task_teacher_welfare"
PAGE = "/processes/2570/task_teacher_welfare"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def client(web):
    with TestClient(web) as c:
        yield c


def as_(tokens, person):
    return {"Authorization": f"Bearer {tokens[person]}"}


def test_the_api_lists_and_serves_the_recorded_documents(client, tokens, opened):
    steps.run(opened, steps.HAPPY_PATH[:3])
    refs = client.get(f"{P}/documents", headers=as_(tokens, steps.OFFICER)).json()
    assert [(r["kind"], r["member"]) for r in refs] == [("appointment", None), ("letter", 1), ("letter", 2),
                                                        ("letter", 3)]
    r = client.get(f"{P}/documents/letter", params={"member": 3}, headers=as_(tokens, steps.OFFICER))
    assert r.status_code == 200 and r.headers["content-type"] == DOCX
    assert hashlib.sha256(r.content).hexdigest() == refs[3]["sha256"] == r.headers["x-document-sha256"]
    assert "filename*=UTF-8''2570-task_teacher_welfare-letter-3.docx" in r.headers["content-disposition"]
    again = client.get(f"{P}/documents/letter", params={"member": 3}, headers=as_(tokens, steps.OFFICER))
    assert again.content == r.content
    # not recorded yet, no such copy, no such kind, someone outside the group
    assert client.get(f"{P}/documents/minutes", headers=as_(tokens, steps.OFFICER)).status_code == 404
    assert client.get(f"{P}/documents/letter?member=7", headers=as_(tokens, steps.OFFICER)).status_code == 404
    bad = client.get(f"{P}/documents/memo", headers=as_(tokens, steps.OFFICER))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"{P}/documents", headers=as_(tokens, steps.OTHER_DIRECTOR)).status_code == 403
    assert client.get(f"{P}/documents").status_code == 401


def test_the_api_drafts_from_values_without_recording(client, tokens, opened):
    steps.run(opened, steps.HAPPY_PATH[:1])
    head = opened.ledger_head()
    body = {"evidence": steps.appointment(number="๙/๒๕๖๙")}
    r = client.post(f"{P}/documents/appointment/draft", json=body, headers=as_(tokens, steps.DIRECTOR))
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert opened.ledger_head() == head
    bad = client.post(f"{P}/documents/appointment/draft", json={"evidence": {"document_kind": "order"}},
                      headers=as_(tokens, steps.DIRECTOR))
    assert bad.status_code == 422 and "number" in bad.text
    assert client.post(f"{P}/documents/appointment/draft", json=body,
                       headers=as_(tokens, steps.OTHER_DIRECTOR)).status_code == 403


def test_the_process_page_drafts_an_order_and_shows_the_recorded_ones(client, opened):
    steps.run(opened, steps.HAPPY_PATH[:1])
    assert login(client, steps.DIRECTOR).status_code == 303
    html = client.get(PAGE).text
    assert 'formaction="/processes/2570/task_teacher_welfare/documents/appointment/draft"' in html
    data = {"csrf": hidden(html, "csrf"), "trigger": "issue_appointment",
            "expected_version": re.search(r"data-version>(\d+)<", html).group(1)} | flatten(steps.appointment())
    head = opened.ledger_head()
    r = client.post(f"{PAGE}/documents/appointment/draft", data=data, follow_redirects=False)
    assert r.status_code == 200 and r.headers["content-type"] == DOCX
    assert opened.ledger_head() == head and opened.process(steps.PROCESS)["state"] == "appointing"
    forged = client.post(f"{PAGE}/documents/appointment/draft", data={**data, "csrf": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    broken = client.post(f"{PAGE}/documents/appointment/draft", data={**data, "date": "31/02/2569"})
    assert broken.status_code == 422 and "ร่างเอกสาร" in broken.text  # the form again, with the problem
    # recorded: the page offers the DOCX and PDF and shows its sha256
    client.post(PAGE, data=data, follow_redirects=False)
    html = client.get(PAGE).text
    digest = re.search(r'data-document="appointment".*?<code class="hash">([0-9a-f]{64})</code>', html, re.DOTALL).group(1)
    got = client.get(f"{PAGE}/documents/appointment")
    assert hashlib.sha256(got.content).hexdigest() == digest
    section = html[html.index('<section aria-labelledby="docs-h">'):html.index('<section aria-labelledby="hist-h">')]
    assert problems(re.sub(r"<[^>]+>", " ", section), {steps.OFFICER, steps.DIRECTOR}) == []


def test_the_register_page_and_its_xlsx(client, opened):
    from openpyxl import load_workbook

    steps.run(opened, steps.HAPPY_PATH[:3])
    assert login(client, steps.OFFICER).status_code == 303
    html = client.get("/documents/register", params={"fiscal_year": "2570"}).text
    assert "ทะเบียนคำสั่ง" in html and "๑๒๓/๒๕๖๙" in html and "ศธ ๐๔๐๘๖/๓" in html
    assert "เลขที่คำสั่งถัดไป" in html
    text = re.sub(r"<[^>]+>", " ", html[html.index("<main"):])
    assert problems(text, {steps.OFFICER}) == []
    x = client.get("/documents/register", params={"fiscal_year": "2570", "format": "xlsx"})
    wb = load_workbook(io.BytesIO(x.content))
    assert [c.value for c in wb["ทะเบียนหนังสือส่ง"][3]][:2] == ["๑", "ศธ ๐๔๐๘๖/๑"]
    assert client.get("/documents/register", params={"year": "99"}).status_code == 422


def test_the_notification_step_drafts_the_letter_it_is_asked_for(client, opened):
    steps.run(opened, steps.HAPPY_PATH[:2])
    assert login(client, steps.OFFICER).status_code == 303
    html = client.get(PAGE).text
    assert 'name="draft_member" form="form-send_notifications"' in html
    data = {"csrf": hidden(html, "csrf"), "trigger": "send_notifications", "draft_member": "๒",
            "expected_version": re.search(r"data-version>(\d+)<", html).group(1)} | flatten(steps.notifications())
    r = client.post(f"{PAGE}/documents/letter/draft", data=data, follow_redirects=False)
    assert r.status_code == 200
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(r.content)).read("word/document.xml").decode("utf-8")
    assert "ผู้แทนผู้ปกครอง ข" in xml and "ศธ ๐๔๐๘๖/๒" in xml
    # the same form recorded for real: draft_member is not evidence
    assert client.post(PAGE, data=data, follow_redirects=False).status_code == 303
    assert opened.process(steps.PROCESS)["state"] == "meeting"
