"""Downloading the files a process's evidence names: who may, which hashes, and the headers."""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from engine.web.downloads import ascii_fallback, content_disposition, media_type_for
from tests import steps
from tests.webkit import PEOPLE, login

PID = steps.PROCESS
API = f"/api/processes/{PID}/attachments"
PAGE = f"/processes/{PID}/files"
THAI_NAME = "คำสั่งแต่งตั้งคณะกรรมการ ๑๒๓-๒๕๖๙.pdf"
PDF = b"%PDF-1.4\n% a signed order, scanned\n%%EOF\n"
OTHER_PID = "2570/task_annual_action_plan"
# who sees task_teacher_welfare (its officer, its group's director and deputy, office-wide roles)
SEES = {p: p != "director_policy_planning" for p in PEOPLE}


@pytest.fixture
def client(web):
    with TestClient(web) as c:
        yield c


@pytest.fixture
def files(opened):
    """The signed order attached to the appointment of task_teacher_welfare; a photo attached to
    another group's process; a stored file no evidence names."""
    order = opened.store_attachment(PDF, THAI_NAME, "application/pdf")
    steps.run(opened, [("complete_analysis", steps.OFFICER, steps.analysis()),
                       ("issue_appointment", steps.DIRECTOR, steps.appointment() | {
                           "attachments": [{"file": order}]})])
    photo = opened.store_attachment(b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "ภาพประชุม.png", "image/png")
    steps.run(opened, [("complete_analysis", "director_policy_planning", steps.analysis()),
                       ("issue_appointment", "director_policy_planning", steps.appointment("๑๒๔/๒๕๖๙") | {
                           "attachments": [{"file": photo}]})], process=OTHER_PID)
    loose = opened.store_attachment(b"not named by any evidence", "loose.txt", "text/plain")
    return {"order": order["sha256"], "photo": photo["sha256"], "loose": loose["sha256"]}


def bearer(tokens, person):
    return {"Authorization": f"Bearer {tokens[person]}"}


@pytest.mark.parametrize("person", PEOPLE)
def test_each_role_downloads_only_what_it_may_see(client, tokens, files, person):
    listed = client.get(API, headers=bearer(tokens, person))
    got = client.get(f"{API}/{files['order']}", headers=bearer(tokens, person))
    if SEES[person]:
        assert listed.status_code == 200
        assert [(f["sha256"], f["name"], f["step"]) for f in listed.json()] == [
            (files["order"], THAI_NAME, "issue_appointment")]
        assert got.status_code == 200 and got.content == PDF
    else:
        assert listed.status_code == 403 and listed.json()["code"] == "forbidden"
        assert got.status_code == 403 and got.json()["code"] == "forbidden"
        assert got.headers["content-type"].startswith("application/problem+json")
        assert PDF not in got.content


def test_the_public_and_bad_tokens_get_nothing(client, files):
    for headers in ({}, {"Authorization": "Bearer ruam_forged"}):
        for url in (API, f"{API}/{files['order']}"):
            r = client.get(url, headers=headers)
            assert r.status_code == 401 and r.json()["code"] == "not_signed_in", url
    public = client.get(f"/api/public/processes/{PID}").text
    assert files["order"] not in public  # the public summary names no files
    r = client.get(f"{PAGE}/{files['order']}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_only_hashes_the_process_names_are_served(client, tokens, files):
    auditor = bearer(tokens, "auditor")  # reads everything: only the hash decides
    unknown = hashlib.sha256(b"never stored").hexdigest()
    for sha in (unknown, files["loose"], files["photo"]):
        r = client.get(f"{API}/{sha}", headers=auditor)
        assert r.status_code == 404, sha
        assert r.json()["code"] == "not_found" and r.headers["content-type"].startswith("application/problem+json")
    # the same answer for a stored and an unstored hash: the store cannot be probed
    assert (client.get(f"{API}/{files['loose']}?lang=en", headers=auditor).json()["detail"].split("'")[0]
            == client.get(f"{API}/{unknown}?lang=en", headers=auditor).json()["detail"].split("'")[0])
    # the photo is downloadable through its own process, by those who see that one
    assert client.get(f"/api/processes/{OTHER_PID}/attachments/{files['photo']}", headers=auditor).status_code == 200
    assert client.get(f"/api/processes/{OTHER_PID}/attachments/{files['photo']}",
                      headers=bearer(tokens, steps.OFFICER)).status_code == 403
    assert client.get(f"/api/processes/2570/task_no_such/attachments/{files['order']}",
                      headers=auditor).status_code == 404
    r = client.get(f"{API}/not-a-hash", headers=auditor)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "sha256"
    assert client.get(f"{API}/{files['order'].upper()}", headers=auditor).status_code == 200


def test_headers_of_a_thai_named_pdf(client, tokens, files):
    r = client.get(f"{API}/{files['order']}", headers=bearer(tokens, steps.OFFICER))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "private" in r.headers["cache-control"] and "no-store" in r.headers["cache-control"]
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    fallback = disposition.split('filename="')[1].split('"')[0]
    assert fallback.isascii() and fallback.endswith(".pdf") and files["order"][:12] in fallback
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert encoded.isascii() and " " not in encoded and ";" not in encoded
    assert unquote(encoded) == THAI_NAME
    assert r.headers["etag"] == f'"{files["order"]}"'
    assert r.headers["content-length"] == str(len(PDF))


def test_content_type_comes_from_the_name_only_when_the_bytes_agree(client, tokens, opened):
    html = b"<html><script>alert(1)</script></html>"
    cases = [("page.html", html, "text/html", "application/octet-stream"),
             ("fake.pdf", html, "application/pdf", "application/octet-stream"),
             ("drawing.svg", b"<svg onload='alert(1)'/>", "image/svg+xml", "application/octet-stream"),
             ("บันทึก.txt", "ข้อความ".encode(), "text/plain", "text/plain; charset=utf-8"),
             ("no extension", PDF, "application/pdf", "application/octet-stream")]
    stored = [opened.store_attachment(content, name, declared) for name, content, declared, _ in cases]
    steps.run(opened, [("complete_analysis", steps.OFFICER, steps.analysis()),
                       ("issue_appointment", steps.DIRECTOR, steps.appointment() | {
                           "attachments": [{"file": f} for f in stored]})])
    for ref, (name, content, _declared, served) in zip(stored, cases, strict=True):
        r = client.get(f"{API}/{ref['sha256']}", headers=bearer(tokens, "auditor"))
        assert r.status_code == 200 and r.content == content
        assert r.headers["content-type"] == served, name
        assert r.headers["content-disposition"].startswith("attachment;")
        assert "sandbox" in r.headers["content-security-policy"]


def test_a_file_changed_in_the_store_is_refused_not_served(client, tokens, files, opened):
    from sqlalchemy import update

    from storage import schema as s
    from tests.audit_helpers import attack

    with attack(opened.store.url) as conn:  # the table refuses UPDATE: around its triggers, as with DB rights
        conn.execute(update(s.attachments).where(s.attachments.c.sha256 == files["order"])
                     .values(content=b"%PDF-1.4 a different order"))
    r = client.get(f"{API}/{files['order']}", headers=bearer(tokens, "auditor"))
    assert r.status_code == 409 and r.json()["code"] == "attachment_damaged"
    assert b"different" not in r.content


def test_the_timeline_links_each_file_and_the_link_downloads(client, files):
    assert login(client, steps.OFFICER).status_code == 303
    page = client.get(f"/processes/{PID}").text
    link = f'href="{PAGE}/{files["order"]}"'
    assert link in page and THAI_NAME in page and "ไฟล์แนบ" in page
    assert files["photo"] not in page
    r = client.get(f"{PAGE}/{files['order']}")
    assert r.status_code == 200 and r.content == PDF and r.headers["content-type"] == "application/pdf"
    assert unquote(r.headers["content-disposition"].split("''")[1]) == THAI_NAME
    assert "Attachments" in client.get(f"/processes/{PID}?lang=en").text
    r = client.get(f"{PAGE}/{files['loose']}")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]


def test_the_page_link_refuses_people_outside_the_group(client, files):
    assert login(client, "director_policy_planning").status_code == 303
    r = client.get(f"{PAGE}/{files['order']}")
    assert r.status_code == 403 and PDF not in r.content and "text/html" in r.headers["content-type"]


def test_a_report_file_of_the_task_is_downloadable_too(client, tokens, opened, clock):
    from engine.calendar import tick
    from engine.calendar_items import submit_report
    from tests.calendar_helpers import bkk

    clock.set(bkk(2027, 3, 10, 10))
    tick(opened)
    ref = opened.store_attachment(PDF, "รายงานครึ่งปี.pdf", "application/pdf")
    submit_report(opened, 2570, steps.TASK, "h1", steps.OFFICER, "สรุปผล ๖ เดือน", files=[ref])
    r = client.get(f"{API}/{ref['sha256']}", headers=bearer(tokens, "director_administration"))
    assert r.status_code == 200 and r.content == PDF


@pytest.mark.parametrize(("name", "fallback"), [
    ("คำสั่ง.pdf", "attachment-0123456789ab.pdf"),
    ('report "final"; v2.pdf', "report _final_ v2.pdf"),
    ("Café résumé.docx", "Cafe resume.docx"),
    ("รูป ๑.", "attachment-0123456789ab"),
])
def test_ascii_fallback_names(name, fallback):
    sha = "0123456789ab" + "0" * 52
    assert ascii_fallback(name, sha) == fallback
    header = content_disposition(name, sha)
    assert header.isascii() and "\r" not in header and "\n" not in header
    assert unquote(header.split("filename*=UTF-8''")[1]) == name


def test_media_types_need_matching_bytes():
    assert media_type_for("a.PNG", b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert media_type_for("a.jpg", b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert media_type_for("a.jpg", b"GIF89a") == "application/octet-stream"
    assert media_type_for("a.webp", b"RIFF\0\0\0\0WAVE") == "application/octet-stream"
    assert media_type_for("a.docx", b"PK\x03\x04") .startswith("application/vnd.openxml")
    assert media_type_for("a.csv", b"\xff\xfe") == "application/octet-stream"


def test_the_openapi_document_lists_the_download_and_the_password_change(client):
    paths = client.get("/openapi.json").json()["paths"]
    download_op = paths["/api/processes/{fiscal_year}/{task_id}/attachments/{sha256}"]["get"]
    assert "application/octet-stream" in download_op["responses"]["200"]["content"]
    assert "/api/processes/{fiscal_year}/{task_id}/attachments" in paths
    assert "post" in paths["/api/me/password"]
