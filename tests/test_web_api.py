"""The HTTP API: every role against every endpoint; no unauthorized success anywhere."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests import steps

P = "/api/processes/2570/task_teacher_welfare"
OTHER = "/api/processes/2570/task_annual_action_plan"


@pytest.fixture
def client(web):
    with TestClient(web) as c:
        yield c


def as_(tokens, person):
    return {"Authorization": f"Bearer {tokens[person]}"} if person else {}


def version(client, tokens):
    return client.get(P, headers=as_(tokens, "admin")).json()["version"]


def test_openapi_document_lists_the_api(client):
    doc = client.get("/openapi.json").json()
    for path in ("/api/processes", "/api/processes/{fiscal_year}/{task_id}/advance", "/api/people",
                 "/api/audit/verify", "/api/public/processes/{fiscal_year}/{task_id}/feedback",
                 "/api/calendar", "/api/reports/{fiscal_year}/{task_id}/{round_id}", "/api/checkpoints/{item_id}",
                 "/api/audit/replay", "/api/audit/export", "/api/audit/exports/{export_id}/seal",
                 "/api/audit/history/{fiscal_year}/{task_id}"):
        assert path in doc["paths"], path


def test_anonymous_gets_401_on_every_private_endpoint(client):
    doc = client.get("/openapi.json").json()
    checked = 0
    for path, ops in doc["paths"].items():
        if path.startswith("/api/public/"):
            continue
        url = (path.replace("{fiscal_year}", "2570").replace("{task_id}", "task_teacher_welfare")
               .replace("{person_id}", "ktpn_1").replace("{assignment_id}", "1").replace("{round_id}", "h1")
               .replace("{item_id}", "2570/director_supervision/r1/mission_administration")
               .replace("{export_id}", "x").replace("{part}", "file"))
        for method in ops:
            r = client.request(method.upper(), url, json={})
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["content-type"].startswith("application/problem+json")
            checked += 1
    assert checked >= 19


def test_a_bad_token_is_not_a_person(client):
    r = client.get("/api/me", headers={"Authorization": "Bearer ruam_forged"})
    assert r.status_code == 401


VISIBLE = {"officer_teacher_welfare": 1, "director_administration": 2, "director_policy_planning": 3,
           "deputy_4": 2, "esa_director": 11, "ktpn_1": 11, "auditor": 11, "admin": 11}


@pytest.mark.parametrize("person", sorted(VISIBLE))
def test_each_role_lists_and_shows_only_its_groups_tasks(client, tokens, person):
    rows = client.get("/api/processes", params={"fiscal_year": 2570}, headers=as_(tokens, person)).json()
    assert len(rows) == VISIBLE[person]
    show = client.get(P, headers=as_(tokens, person))
    if person == "director_policy_planning":
        assert show.status_code == 403
        assert show.json()["code"] == "forbidden"
    else:
        assert show.status_code == 200
        allowed = {t["trigger"]: t["allowed"] for t in show.json()["available"]}
        assert allowed["complete_analysis"] == (person in ("officer_teacher_welfare", "director_administration"))
        fields = {f["name"] for t in show.json()["available"] for f in t["evidence"]}
        assert {"legal_bases", "summary", "proposed_appointees", "reason"} <= fields


def test_only_the_tasks_officer_or_director_may_advance(client, tokens):
    body = {"trigger": "complete_analysis", "evidence": steps.analysis(), "expected_version": 0}
    for person in ("director_policy_planning", "deputy_4", "esa_director", "ktpn_1", "auditor", "admin"):
        r = client.post(f"{P}/advance", json=body, headers=as_(tokens, person))
        assert r.status_code == 403, (person, r.json())
    assert version(client, tokens) == 0
    r = client.post(f"{P}/advance", json=body, headers=as_(tokens, "officer_teacher_welfare"))
    assert r.status_code == 200, r.json()
    assert r.json()["data"]["to"] == "appointing"
    assert r.json()["actor"] == "officer_teacher_welfare"


def test_a_stale_version_gets_409_naming_both_versions(client, tokens):
    body = {"trigger": "complete_analysis", "evidence": steps.analysis(), "expected_version": 0}
    assert client.post(f"{P}/advance", json=body, headers=as_(tokens, "director_administration")).status_code == 200
    r = client.post(f"{P}/advance", json=body | {"trigger": "issue_appointment", "evidence": steps.appointment()},
                    headers=as_(tokens, "director_administration"))
    assert r.status_code == 409
    problem = r.json()
    assert problem["code"] == "conflict" and problem["expected_version"] == 0 and problem["current_version"] == 1
    assert "ถูกแก้ไขโดยผู้อื่นแล้ว" in problem["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")


def test_bad_evidence_is_a_problem_naming_each_field(client, tokens):
    evidence = steps.analysis()
    del evidence["summary"]
    evidence["proposed_appointees"][0]["kind"] = "alien"
    r = client.post(f"{P}/advance?lang=en", json={"trigger": "complete_analysis", "evidence": evidence,
                                                  "expected_version": 0},
                    headers=as_(tokens, "officer_teacher_welfare"))
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"summary", "proposed_appointees[0].kind"} <= fields


def test_a_malformed_body_names_the_field(client, tokens):
    r = client.post(f"{P}/advance", json={"trigger": "complete_analysis"}, headers=as_(tokens, "admin"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["expected_version"]


def test_send_back_and_cancel_by_role(client, tokens):
    body = {"trigger": "complete_analysis", "evidence": steps.analysis(), "expected_version": 0}
    client.post(f"{P}/advance", json=body, headers=as_(tokens, "officer_teacher_welfare"))
    back = {"reason": "แก้ไขรายชื่อ", "expected_version": 1}
    for person in ("officer_teacher_welfare", "director_policy_planning", "auditor", "admin", "ktpn_1"):
        assert client.post(f"{P}/send-back", json=back, headers=as_(tokens, person)).status_code == 403, person
    r = client.post(f"{P}/send-back", json=back, headers=as_(tokens, "director_administration"))
    assert r.status_code == 200 and r.json()["data"]["to"] == "analyzing_regulations"
    cancel = {"reason": "ยกเลิกงาน", "expected_version": 2}
    for person in ("officer_teacher_welfare", "director_policy_planning", "auditor", "admin", "deputy_4"):
        assert client.post(f"{P}/cancel", json=cancel, headers=as_(tokens, person)).status_code == 403, person
    assert client.post(f"{P}/cancel", json=cancel, headers=as_(tokens, "esa_director")).status_code == 200


def test_attachments_only_from_people_who_do_the_steps(client, tokens):
    files = {"file": ("order.pdf", b"%PDF-1.4 signed order", "application/pdf")}
    for person in ("auditor", "admin", "ktpn_1", "esa_director"):
        assert client.post("/api/attachments", files=files, headers=as_(tokens, person)).status_code == 403
    r = client.post("/api/attachments", files=files, headers=as_(tokens, "officer_teacher_welfare"))
    assert r.status_code == 200 and len(r.json()["sha256"]) == 64


def test_people_and_assignments_are_the_admins(client, tokens, clock):
    for person in VISIBLE:
        r = client.get("/api/people", headers=as_(tokens, person))
        assert r.status_code == (200 if person in ("admin", "auditor") else 403), person
    new = {"id": "new_officer", "name": "เจ้าหน้าที่ใหม่ (ตัวอย่าง)", "position": "นักวิชาการ"}
    assign = {"role": "responsible_officer", "scope": "task_teacher_welfare"}
    for person in VISIBLE:
        if person == "admin":
            continue
        assert client.post("/api/people", json=new, headers=as_(tokens, person)).status_code == 403, person
        assert client.post("/api/people/ktpn_1/assignments", json=assign,
                           headers=as_(tokens, person)).status_code == 403, person
        assert client.post("/api/assignments/1/end", json={}, headers=as_(tokens, person)).status_code == 403
    assert client.post("/api/people", json=new, headers=as_(tokens, "admin")).status_code == 201
    r = client.post("/api/people/new_officer/assignments", json=assign, headers=as_(tokens, "admin"))
    assert r.status_code == 201
    assignment = r.json()["data"]["assignment"]
    r = client.post("/api/people/new_officer/assignments", json={"role": "no_such_role"},
                    headers=as_(tokens, "admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "role"
    clock.advance(minutes=1)
    assert client.post(f"/api/assignments/{assignment}/end", json={},
                       headers=as_(tokens, "admin")).status_code == 200


def test_audit_verify_is_for_auditors(client, tokens):
    for person in VISIBLE:
        r = client.get("/api/audit/verify", headers=as_(tokens, person))
        assert r.status_code == (200 if person in ("auditor", "admin") else 403), person
    assert client.get("/api/audit/verify", headers=as_(tokens, "auditor")).json()["ok"] is True


def test_a_session_cookie_needs_the_csrf_header_for_writes(client, tokens):
    from tests.webkit import login

    assert login(client, "director_administration").status_code == 303
    assert client.get("/api/me").json()["via"] == "session"
    body = {"trigger": "complete_analysis", "evidence": steps.analysis(), "expected_version": 0}
    r = client.post(f"{P}/advance", json=body)
    assert r.status_code == 403 and r.json()["code"] == "csrf"


FEEDBACK = "/api/public/processes/2570/task_teacher_welfare/feedback"


def form_token(client, clock, wait: float = 10) -> str:
    """A feedback form token, and the few seconds a person takes to write."""
    token = client.get(FEEDBACK + "-token").json()["token"]
    clock.advance(seconds=wait)
    return token


def test_public_feedback_lands_in_the_ledger_and_the_review(client, tokens, opened, clock):
    r = client.post(FEEDBACK, json={"opinion": "ขอให้แจ้งผลการประชุมทางเว็บไซต์", "token": form_token(client, clock)})
    assert r.status_code == 201
    opinion = r.json()["id"]
    info = client.get(P, headers=as_(tokens, "officer_teacher_welfare")).json()
    assert info["open_feedback"] == [opinion]
    record = next(h for h in info["history"] if h["kind"] == "feedback.received")
    assert record["actor"] == "public" and record["data"]["opinion"] == opinion
    assert client.get("/api/audit/verify", headers=as_(tokens, "auditor")).json()["ok"] is True
    public = client.get("/api/public/processes/2570/task_teacher_welfare").json()
    assert public["opinions_received"] == 1
    assert client.get("/api/public/processes/2570/no_such_task").status_code == 404


def test_public_feedback_is_rate_limited_per_address(client, clock):
    codes = [client.post(FEEDBACK, json={"opinion": f"ความเห็น {i}", "token": form_token(client, clock)}).status_code
             for i in range(6)]
    assert codes == [201] * 5 + [429]


def test_definitions_are_loaded_by_the_admin_only(client, tokens):
    from definitions import shipped_texts

    docs = {"documents": [{"name": n, "text": t} for n, t in shipped_texts()]}
    for person in VISIBLE:
        if person != "admin":
            assert client.post("/api/definitions", json=docs, headers=as_(tokens, person)).status_code == 403
    r = client.post("/api/definitions", json=docs, headers=as_(tokens, "admin"))
    assert r.status_code == 200 and not any(d["activated"] for d in r.json())
    bad = {"documents": [{"name": "procedure.yaml", "text": "kind: procedure\nid: x\n"}]}
    r = client.post("/api/definitions", json=bad, headers=as_(tokens, "admin"))
    assert r.status_code == 422 and r.json()["code"] == "definition_invalid"
    assert all(e["file"] == "procedure.yaml" and e["field"] for e in r.json()["errors"])
