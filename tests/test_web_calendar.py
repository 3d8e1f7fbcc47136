"""The calendar and the audit on the web: the API by role for each new endpoint
(no unauthorized success), and the pages (calendar, report and checkpoint
forms, my work, the dashboard's overdue marks, replay and export)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from engine.calendar import tick
from tests.calendar_helpers import bkk
from tests.webkit import PEOPLE, hidden, login

TASK = "task_teacher_welfare"
REPORT = f"/api/reports/2570/{TASK}/h1"
GROUP_R1 = "2570/director_supervision/r1/mission_administration"
COMMITTEE_R1 = "2570/committee_supervision/r1/office"
GROUP_TASKS = [{"task": "task_cooperation_network", "findings": "มีผู้แทนภายนอกครบ", "advice": "ประชาสัมพันธ์เพิ่ม"},
               {"task": "task_teacher_welfare", "findings": "ประชุมตามแผน", "advice": "สรุปผลให้ทันเวลา"}]
CHECKPOINT = {"findings": "ดำเนินการตามมาตรการ", "advice": "ติดตามต่อเนื่อง", "held_on": "2027-03-09",
              "tasks": GROUP_TASKS}


@pytest.fixture
def march(web, clock):
    """10 March 2570 BE: the first-half reports and the first checkpoints are open."""
    clock.set(bkk(2027, 3, 10, 10))
    tick(web.state.web.app)
    return web


@pytest.fixture
def client(march):
    with TestClient(march) as c:
        yield c


def as_(tokens, person):
    return {"Authorization": f"Bearer {tokens[person]}"} if person else {}


# ---------------------------------------------------------------------------- API
SEES = {"officer_teacher_welfare": 4, "director_administration": 6, "deputy_4": 6, "director_policy_planning": 8,
        "esa_director": 32, "ktpn_1": 32, "auditor": 32, "admin": 32}


def test_calendar_by_role_shows_only_what_the_roles_cover(client, tokens):
    assert client.get("/api/calendar").status_code == 401
    for person in PEOPLE:
        r = client.get("/api/calendar", params={"fiscal_year": 2570}, headers=as_(tokens, person))
        assert r.status_code == 200, person
        items = r.json()["items"]
        assert len(items) == SEES[person], person
        if person == "director_policy_planning":
            assert not any(i["subject"] in (TASK, "mission_administration") for i in items)
    mine = client.get("/api/calendar", headers=as_(tokens, "deputy_4")).json()["items"]
    group = next(i for i in mine if i["id"] == GROUP_R1)
    assert group["status"] == "open" and group["can_act"] and group["due_on"] == "2027-03-31"
    assert {r["person"] for r in group["responsible"]} == {"deputy_4", "director_administration"}
    assert client.get("/api/calendar", params={"overdue": True}, headers=as_(tokens, "admin")).json()["items"] == []


def test_only_the_tasks_officer_submits_its_report(client, tokens):
    body = {"summary": "สรุปผลการดำเนินงาน ๖ เดือน", "document": "ศธ 04001/123"}
    assert client.post(REPORT, json=body).status_code == 401
    for person in ("director_policy_planning", "director_administration", "deputy_4", "esa_director", "ktpn_1",
                   "auditor", "admin"):
        r = client.post(REPORT, json=body, headers=as_(tokens, person))
        assert r.status_code == 403, (person, r.json())
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post(REPORT, json=body, headers=as_(tokens, "officer_teacher_welfare"))
    assert r.status_code == 201, r.json()
    assert r.json()["kind"] == "calendar.report_submitted" and r.json()["data"]["late"] is False
    again = client.post(REPORT, json=body, headers=as_(tokens, "officer_teacher_welfare"))
    assert again.status_code == 409 and again.json()["code"] == "refused"


def test_report_problems_name_the_field(client, tokens):
    officer = as_(tokens, "officer_teacher_welfare")
    r = client.post(REPORT, json={"summary": ""}, headers=officer)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["summary"]
    r = client.post(f"/api/reports/2570/{TASK}/q9", json={"summary": "x"}, headers=officer)
    assert r.status_code == 404
    r = client.post(f"/api/reports/2570/{TASK}/H-1", json={"summary": "x"}, headers=officer)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "round"
    r = client.post(f"/api/reports/2570/{TASK}/h2", json={"summary": "x"}, headers=officer)
    assert r.status_code == 409 and "ยังไม่เปิดรอบ" in r.json()["detail"]
    r = client.post(f"/api/reports/99999999/{TASK}/h1", json={"summary": "x"}, headers=officer)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "fiscal_year"
    r = client.post("/api/checkpoints/0/director_supervision/r1/mission_administration",
                    json={"findings": "x", "advice": "y"}, headers=as_(tokens, "deputy_4"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "checkpoint"


def test_only_the_groups_deputy_or_director_records_its_checkpoint(client, tokens):
    url = f"/api/checkpoints/{GROUP_R1}"
    assert client.post(url, json=CHECKPOINT).status_code == 401
    for person in ("director_policy_planning", "officer_teacher_welfare", "esa_director", "ktpn_1", "auditor",
                   "admin"):
        r = client.post(url, json=CHECKPOINT, headers=as_(tokens, person))
        assert r.status_code == 403, (person, r.json())
    r = client.post(url, json=CHECKPOINT | {"tasks": GROUP_TASKS[:1]}, headers=as_(tokens, "deputy_4"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["tasks.task_teacher_welfare"]
    r = client.post(url, json=CHECKPOINT, headers=as_(tokens, "deputy_4"))
    assert r.status_code == 201, r.json()
    assert r.json()["data"]["evidence"]["tasks"] == GROUP_TASKS and r.json()["role"] == "deputy_esa_director"
    again = client.post(url, json=CHECKPOINT, headers=as_(tokens, "director_administration"))
    assert again.status_code == 409


def test_the_committee_records_its_rounds_and_an_extra_one(client, tokens):
    body = {"findings": "มีส่วนร่วมครบ", "advice": "เพิ่มช่องทางรับฟัง"}
    for person in ("deputy_4", "auditor", "admin"):
        assert client.post(f"/api/checkpoints/{COMMITTEE_R1}", json=body,
                           headers=as_(tokens, person)).status_code == 403, person
    assert client.post(f"/api/checkpoints/{COMMITTEE_R1}", json=body,
                       headers=as_(tokens, "ktpn_1")).status_code == 201
    assert client.post("/api/checkpoints/2570/committee_supervision/extra", json=body,
                       headers=as_(tokens, "auditor")).status_code == 403
    r = client.post("/api/checkpoints/2570/committee_supervision/extra", json=body, headers=as_(tokens, "ktpn_1"))
    assert r.status_code == 201 and r.json()["data"]["item_id"] == "2570/committee_supervision/extra1/office"
    r = client.post("/api/checkpoints/nonsense", json=body, headers=as_(tokens, "ktpn_1"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "checkpoint"


def test_replay_as_of_a_date_for_auditors_only(client, tokens):
    officer = as_(tokens, "officer_teacher_welfare")
    client.post(REPORT, json={"summary": "ส่งแล้ว"}, headers=officer)
    for person in ("officer_teacher_welfare", "director_administration", "esa_director", "ktpn_1"):
        r = client.get("/api/audit/replay", params={"as_of": "2570-03-10"}, headers=as_(tokens, person))
        assert r.status_code == 403, person
    before = client.get("/api/audit/replay", params={"as_of": "2570-03-09"}, headers=as_(tokens, "auditor")).json()
    after = client.get("/api/audit/replay", params={"as_of": "2027-03-10"}, headers=as_(tokens, "admin")).json()
    iid = f"2570/semiannual_report/h1/{TASK}"
    assert iid not in before["calendar"] and after["calendar"][iid]["status"] == "done"
    assert len(after["processes"]) == 11 and after["ledger_ok"]
    r = client.get("/api/audit/replay", params={"as_of": "31 March"}, headers=as_(tokens, "auditor"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "as_of"
    assert client.get("/api/audit/replay", params={"as_of": "2570-03-10"}).status_code == 401


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_downloads_with_its_seal_and_verifies_offline(client, tokens, tmp_path, fmt):
    from engine.audit.export import verify_file
    from workflow.seal import parse_seal

    for person in ("officer_teacher_welfare", "esa_director", "ktpn_1"):
        assert client.get("/api/audit/export", headers=as_(tokens, person)).status_code == 403, person
    r = client.get("/api/audit/export", params={"format": fmt}, headers=as_(tokens, "auditor"))
    assert r.status_code == 200
    export_id = r.headers["x-ruam-export-id"]
    assert f'filename="{export_id}"' in r.headers["content-disposition"]
    seal = client.get(f"/api/audit/exports/{export_id}/seal", headers=as_(tokens, "auditor")).json()
    assert r.headers["x-ruam-seal"] == f"{seal['head_seq']}:{seal['head_hash']}"
    assert client.get(f"/api/audit/exports/{export_id}/seal", headers=as_(tokens, "director_administration")
                      ).status_code == 403
    path = tmp_path / export_id
    path.write_bytes(r.content)
    if fmt == "csv":
        side = client.get(f"/api/audit/exports/{export_id}/definitions", headers=as_(tokens, "admin"))
        (tmp_path / f"{export_id}.definitions.jsonl").write_bytes(side.content)
    report = verify_file(path, parse_seal(r.headers["x-ruam-seal"]))
    assert report.ok, report.findings[:3]
    assert report.records == seal["records"]
    assert client.get("/api/audit/export", params={"format": "xml"}, headers=as_(tokens, "auditor")
                      ).status_code == 422
    assert client.get("/api/audit/exports/../../etc/seal", headers=as_(tokens, "auditor")).status_code == 404
    assert client.get("/api/audit/exports/ruam-ledger-1-20270310030000-00000000.jsonl/seal",
                      headers=as_(tokens, "auditor")).status_code == 404


def test_history_for_auditors_and_the_tasks_people(client, tokens):
    url = f"/api/audit/history/2570/{TASK}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=as_(tokens, "director_policy_planning")).status_code == 403
    for person in ("auditor", "admin", "officer_teacher_welfare", "deputy_4"):
        r = client.get(url, headers=as_(tokens, person))
        assert r.status_code == 200, person
        assert r.json()["intact"] and r.json()["entries"][0]["kind"] == "process.opened"
    assert client.get("/api/audit/history/2570/task_unknown", headers=as_(tokens, "auditor")).status_code == 404


# ---------------------------------------------------------------------------- pages
def signed_in(client, person):
    client.cookies.clear()
    r = login(client, person)
    assert r.status_code == 303, r.text
    return client


def test_calendar_page_marks_status_and_who_is_responsible(client):
    signed_in(client, "deputy_4")
    html = client.get("/calendar").text
    assert "ปฏิทินการกำกับติดตาม" in html and 'aria-current="page"' in html
    row = re.search(rf'<tr class="status-open" data-item="{GROUP_R1}">(.*?)</tr>', html, re.DOTALL).group(1)
    assert "31 มีนาคม 2570" in row and "รองผู้อำนวยการ สพป. คนที่ 4" in row
    assert f'href="/checkpoints/{GROUP_R1}"' in row
    assert "task_annual_action_plan" not in html
    en = client.get("/calendar?lang=en&fiscal_year=2570&overdue=1").text
    assert "Overdue only" in en and 'checked' in en and GROUP_R1 not in en
    assert client.get("/calendar?fiscal_year=99999999").status_code == 422


def test_report_form_submits_with_its_csrf_token(client):
    signed_in(client, "director_administration")
    page = client.get(f"/reports/2570/{TASK}/h1")
    assert page.status_code == 200 and 'name="summary"' not in page.text and "คุณไม่มีบทบาท" in page.text
    signed_in(client, "officer_teacher_welfare")
    page = client.get(f"/reports/2570/{TASK}/h1")
    assert page.status_code == 200 and '<label for="summary">' in page.text
    r = client.post(f"/reports/2570/{TASK}/h1", data={"summary": "สรุปผล"}, follow_redirects=False)
    assert r.status_code == 403
    bad = client.post(f"/reports/2570/{TASK}/h1", data={"csrf": hidden(page.text, "csrf"), "summary": " "})
    assert bad.status_code == 422 and 'id="summary-err"' in bad.text
    r = client.post(f"/reports/2570/{TASK}/h1", data={"csrf": hidden(page.text, "csrf"), "summary": "สรุปผล"},
                    files={"file": ("report.pdf", b"%PDF-1.4 signed", "application/pdf")}, follow_redirects=False)
    assert r.status_code == 303 and "done=" in r.headers["location"]
    html = client.get(r.headers["location"]).text
    assert "บันทึกแล้ว" in html and "✓ ดำเนินการแล้ว" in html


def test_checkpoint_form_has_a_row_per_task_and_refuses_another_groups_director(client):
    signed_in(client, "director_policy_planning")
    assert client.get(f"/checkpoints/{GROUP_R1}").status_code == 404
    policy = client.get("/checkpoints/2570/director_supervision/r1/mission_policy_planning")
    r = client.post(f"/checkpoints/{GROUP_R1}", data={"csrf": hidden(policy.text, "csrf"), "findings": "x",
                                                       "advice": "y"})
    assert r.status_code == 403
    signed_in(client, "deputy_4")
    page = client.get(f"/checkpoints/{GROUP_R1}").text
    for i, t in enumerate(GROUP_TASKS):
        assert f'name="tasks[{i}].task" value="{t["task"]}"' in page
        assert f'<label for="t{i}-findings">' in page
    data = {"csrf": hidden(page, "csrf"), "findings": "ดำเนินการตามมาตรการ", "advice": "ติดตามต่อเนื่อง",
            "held_on": "2027-03-09"}
    missing = client.post(f"/checkpoints/{GROUP_R1}", data=data)
    assert missing.status_code == 422 and "ทุกงานในกลุ่ม" in missing.text
    for i, t in enumerate(GROUP_TASKS):
        data |= {f"tasks[{i}].task": t["task"], f"tasks[{i}].findings": t["findings"],
                 f"tasks[{i}].advice": t["advice"]}
    r = client.post(f"/checkpoints/{GROUP_R1}", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text


def test_my_work_lists_calendar_items_due_soon(client, march, clock):
    signed_in(client, "officer_teacher_welfare")
    html = client.get("/").text
    assert f'data-item="2570/semiannual_report/h1/{TASK}"' in html
    assert f'href="/reports/2570/{TASK}/h1"' in html
    signed_in(client, "auditor")
    assert "ไม่มีรายการในปฏิทินที่รอคุณในช่วงนี้" in client.get("/").text


def test_dashboard_marks_overdue_calendar_items(client, march, clock):
    clock.set(bkk(2027, 4, 2, 10))
    tick(march.state.web.app)
    signed_in(client, "director_administration")
    html = client.get("/dashboard?fiscal_year=2570").text
    assert f'data-late="2570/semiannual_report/h1/{TASK}"' in html
    assert f'data-late="{GROUP_R1}"' in html
    assert "เกินกำหนด" in client.get("/").text


def test_audit_page_replays_and_exports_with_the_seal(client):
    signed_in(client, "director_administration")
    assert client.get("/audit?as_of=2027-03-10").status_code == 403
    signed_in(client, "auditor")
    html = client.get("/audit?as_of=2027-03-10").text
    assert '<label for="as_of">' in html and "data-replay=" in html and GROUP_R1 not in html
    assert "การกำกับ ติดตาม ตรวจสอบ และให้คำปรึกษาของรอง ผอ.สพป. และผู้อำนวยการกลุ่ม ครั้งที่ ๑ — กลุ่มอำนวยการ" in html
    assert "11 มี.ค. 2570" not in html and "10 มี.ค. 2570" in html
    bad = client.get("/audit?as_of=yesterday")
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    r = client.post("/audit/export", data={"csrf": hidden(html, "csrf"), "format": "csv"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    seal = re.search(r'data-seal="(\d+):([0-9a-f]{64})"', page)
    assert seal and "ลงชื่อ" in page and "/definitions" in page
    export_id = re.search(r'href="/api/audit/exports/([^/]+)/file"', page).group(1)
    download = client.get(f"/api/audit/exports/{export_id}/file")
    assert download.status_code == 200 and download.headers["x-ruam-seal"] == f"{seal[1]}:{seal[2]}"
    assert client.post("/audit/export", data={"format": "csv"}).status_code == 403


# ---------------------------------------------------------------------------- the engine's per-viewer calendar
def test_calendar_for_narrows_and_says_who_may_act(opened, clock):
    from engine.accounts import Accounts
    from engine.board import calendar_for, my_calendar, overdue_by_task

    clock.set(bkk(2027, 3, 10, 10))
    tick(opened)
    accounts = Accounts(opened)
    officer, director = accounts.viewer("officer_teacher_welfare"), accounts.viewer("director_administration")
    view = calendar_for(opened, officer, 2570)
    assert {i["subject"] for i in view["items"]} == {TASK, "mission_administration"}
    assert [i["id"] for i in view["items"] if i["can_act"]] == [f"2570/semiannual_report/h1/{TASK}"]
    assert [i["id"] for i in my_calendar(opened, director)] == [GROUP_R1]
    assert my_calendar(opened, director, within_days=7) == []  # due in 21 days
    clock.set(bkk(2027, 4, 1, 10))
    tick(opened)
    late = overdue_by_task(opened, director, 2570)
    assert {i["id"] for i in late[TASK]} == {f"2570/semiannual_report/h1/{TASK}", GROUP_R1}
    assert "task_annual_action_plan" not in late
