"""The pages: sign-in, a director's step with evidence, a double submit, the
public form reaching the officer, the auditor's verify, the admin's people."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests import steps
from tests.webkit import PASSWORD, flatten, hidden, login

PAGE = "/processes/2570/task_teacher_welfare"


@pytest.fixture
def browser(web):
    with TestClient(web) as c:
        yield c


def signed_in(browser, person):
    r = login(browser, person)
    assert r.status_code == 303, r.text
    return browser


def fire(browser, trigger, evidence, version=None, page=PAGE):
    html = browser.get(page).text
    data = {"csrf": hidden(html, "csrf"), "trigger": trigger,
            "expected_version": str(version if version is not None else int(
                re.search(r"data-version>(\d+)<", html).group(1)))} | flatten(evidence)
    return browser.post(page, data=data, follow_redirects=False)


def test_pages_need_a_session(browser):
    for path in ("/", "/dashboard", PAGE, "/admin/people", "/audit"):
        r = browser.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path


def test_sign_in_sets_a_hardened_cookie_and_wrong_passwords_are_throttled(browser):
    r = login(browser, "director_administration")
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" not in cookie
    browser.cookies.clear()
    for _ in range(5):
        r = login(browser, "auditor", "wrong password!")
        assert r.status_code == 401 and "รหัสผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in r.text
    r = login(browser, "auditor", PASSWORD)
    assert r.status_code == 429 and "พยายามหลายครั้งเกินไป" in r.text
    assert login(browser, "nobody", PASSWORD).status_code == 401


def test_with_one_office_the_sign_in_page_names_no_office(browser):
    page = browser.get("/login").text
    assert "<select" not in page and 'name="office"' not in page and "สำนักงาน<" not in page
    token = hidden(page, "token")
    r = browser.post("/login", data={"person": "auditor", "password": PASSWORD, "token": token, "office": "north"},
                     follow_redirects=False)  # a form naming an office there is not: the one refusal
    assert r.status_code == 401 and "รหัสผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in r.text and "<select" not in r.text
    r = browser.post("/login", data={"person": "auditor", "password": PASSWORD, "token": token, "office": "default"},
                     follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_sign_in_form_needs_its_signed_token(browser):
    r = browser.post("/login", data={"person": "admin", "password": PASSWORD, "token": "1.2.3"})
    assert r.status_code == 403


def test_my_work_and_dashboard_show_the_directors_group(browser):
    signed_in(browser, "director_administration")
    home = browser.get("/")
    assert home.status_code == 200 and 'lang="th"' in home.text
    assert "งานส่งเสริมสวัสดิการและสวัสดิภาพครู" in home.text
    assert "งานจัดทำแผนปฏิบัติการ" not in home.text
    board = browser.get("/dashboard?fiscal_year=2570").text
    assert board.count('class="here"') == 2
    assert browser.get("/processes/2570/task_annual_action_plan").status_code == 403
    assert browser.get("/admin/people").status_code == 403


def test_a_director_advances_with_evidence_and_a_double_submit_is_a_clear_conflict(browser):
    signed_in(browser, "director_administration")
    page = browser.get(PAGE).text
    assert 'aria-current="step"' in page and 'name="legal_bases[0].title"' in page
    assert 'data-trigger="cancel"' in page and 'data-trigger="send_back"' not in page
    first = fire(browser, "complete_analysis", steps.analysis(), version=0)
    assert first.status_code == 303, first.text
    again = fire(browser, "complete_analysis", steps.analysis(), version=0)
    assert again.status_code == 409
    assert "ถูกแก้ไขโดยผู้อื่นแล้ว" in again.text and "โปรดโหลดใหม่" in again.text
    done = browser.get(first.headers["location"]).text
    assert "บันทึกแล้ว" in done and 'data-state="appointing"' in done
    assert 'data-trigger="send_back"' in done
    back = fire(browser, "send_back", {"reason": "ขอแก้ไขรายชื่อผู้เสนอแต่งตั้ง"})
    assert back.status_code == 303
    assert 'data-state="analyzing_regulations"' in browser.get(PAGE).text


def test_missing_evidence_is_shown_at_the_field(browser):
    signed_in(browser, "officer_teacher_welfare")
    evidence = steps.analysis()
    del evidence["summary"]
    r = fire(browser, "complete_analysis", evidence)
    assert r.status_code == 422
    assert 'id="complete_analysis-summary-err"' in r.text
    assert "ชุมชนตำบลตัวอย่าง" in r.text  # what was typed is kept


def test_forms_need_the_sessions_csrf_token(browser):
    signed_in(browser, "director_administration")
    data = {"csrf": "forged", "trigger": "complete_analysis", "expected_version": "0"} | flatten(steps.analysis())
    r = browser.post(PAGE, data=data)
    assert r.status_code == 403 and "แบบฟอร์มหมดอายุ" in r.text


def to_reviewing(app):
    steps.run(app, steps.HAPPY_PATH[:-1])


def public_form(browser):
    page = browser.get("/public/2570/task_teacher_welfare")
    assert page.status_code == 200
    return page, hidden(page.text, "token")


def test_a_citizen_sends_feedback_and_the_officer_decides_on_it(browser, opened, clock):
    to_reviewing(opened)
    page, token = public_form(browser)
    assert "ผู้แทนชุมชน ก" in page.text and "ประธานชุมชน" in page.text   # names and positions
    assert "ชุมชนตำบลตัวอย่าง" in page.text           # and organisations: who took part (ITA, issue #13)
    assert steps.analysis()["summary"] not in page.text                  # nothing internal (PDPA)
    assert "ไม่เก็บที่อยู่ IP" in page.text                               # how it will be handled
    clock.advance(seconds=10)
    r = browser.post("/public/2570/task_teacher_welfare/feedback", follow_redirects=False,
                     data={"token": token, "opinion": "ขอให้เผยแพร่รายงานการประชุมทางเว็บไซต์", "name": "นาย ก",
                           "website": ""})
    assert r.status_code == 303
    opinion = r.headers["location"].split("received=")[1]
    assert opinion in browser.get(r.headers["location"]).text
    assert "นาย ก" not in browser.get("/public/2570/task_teacher_welfare").text

    signed_in(browser, "director_administration")
    review = browser.get(PAGE).text
    assert "ขอให้เผยแพร่รายงานการประชุมทางเว็บไซต์" in review
    assert f'value="{opinion}"' in review  # prefilled in the decision rows of next round / close
    evidence = steps.closing()
    r = fire(browser, "close", evidence)
    assert r.status_code == 422 and opinion in r.text  # the opinion must be decided on
    r = fire(browser, "close", steps.closing([opinion]))
    assert r.status_code == 303
    public = browser.get("/public/2570/task_teacher_welfare").text
    assert "อยู่นอกขอบเขตของงาน" in public and "ส่งความคิดเห็น" not in public


def test_feedback_spam_protection(browser, opened, clock):
    url = "/public/2570/task_teacher_welfare/feedback"
    _, token = public_form(browser)
    r = browser.post(url, data={"token": token, "opinion": "เร็วเกินไป"})
    assert r.status_code == 422 and "ส่งเร็วเกินไป" in r.text
    clock.advance(seconds=10)
    r = browser.post(url, data={"token": token, "opinion": "spam", "website": "http://spam.example"},
                     follow_redirects=False)
    assert r.status_code == 303
    assert browser.post(url, data={"token": "1.2.3", "opinion": "forged"}).status_code == 403
    assert opened.process("2570/task_teacher_welfare")["open_feedback"] == []


def test_an_auditor_runs_verify_and_changes_nothing(browser):
    signed_in(browser, "auditor")
    r = browser.get("/audit?run=1")
    assert r.status_code == 200 and 'data-verify="ok"' in r.text and "ผ่าน" in r.text
    page = browser.get(PAGE).text
    assert "<form method=\"post\" action=\"/processes" not in page
    r = fire(browser, "complete_analysis", steps.analysis(), version=0)
    assert r.status_code == 403
    people = browser.get("/admin/people").text
    assert "officer_teacher_welfare" in people and 'action="/admin/people/add"' not in people


def test_the_admin_adds_a_person_and_assigns_a_role(browser, opened):
    signed_in(browser, "admin")
    page = browser.get("/admin/people").text
    csrf = hidden(page, "csrf")
    r = browser.post("/admin/people/add", data={"csrf": csrf, "id": "officer_new", "name": "เจ้าหน้าที่ใหม่ (ตัวอย่าง)",
                                                "position": "นักวิชาการศึกษา"}, follow_redirects=False)
    assert r.status_code == 303
    r = browser.post("/admin/people/assign", data={"csrf": csrf, "person": "officer_new",
                                                   "role": "responsible_officer",
                                                   "scope": "task_teacher_welfare"}, follow_redirects=False)
    assert r.status_code == 303
    r = browser.post("/admin/people/assign", data={"csrf": csrf, "person": "officer_new",
                                                   "role": "responsible_officer"})
    assert r.status_code == 422 and "--scope" in r.text
    assert opened.process("2570/task_teacher_welfare")["responsible"] == "officer_new"


def test_english_switch(browser):
    signed_in(browser, "director_administration")
    r = browser.get("/lang/en?next=/dashboard")
    assert r.status_code == 200 and 'lang="en"' in r.text and "Fiscal-year dashboard" in r.text
    assert "(BE 2569)" in r.text
    assert browser.get("/lang/th?next=//evil.example", follow_redirects=False).headers["location"] == "/"


def test_sign_out_ends_the_session(browser):
    signed_in(browser, "director_administration")
    csrf = hidden(browser.get("/").text, "csrf")
    assert browser.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_a_large_board_shows_counts_per_group_then_the_groups_tasks(browser, monkeypatch):
    import engine.board

    monkeypatch.setattr(engine.board, "DETAIL_LIMIT", 5)
    signed_in(browser, "auditor")
    board = browser.get("/dashboard?fiscal_year=2570").text
    assert "group=mission_administration" in board and 'class="here"' not in board
    group = browser.get("/dashboard?fiscal_year=2570&group=mission_administration").text
    assert group.count('class="here"') == 2


def test_the_session_cookie_is_secure_over_tls(web):
    with TestClient(web, base_url="https://testserver") as tls:
        r = login(tls, "director_administration")
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_the_account_lock_lifts_after_the_window(browser, clock):
    for _ in range(5):
        login(browser, "auditor", "wrong password!")
    assert login(browser, "auditor", PASSWORD).status_code == 429
    clock.advance(minutes=16)
    assert login(browser, "auditor", PASSWORD).status_code == 303
