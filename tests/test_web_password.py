"""A signed-in person changes their own password: on the page and through the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.webkit import PASSWORD, hidden, login

NEW = "ใหม่ a new long password"
ME = "officer_teacher_welfare"
FORM = "/account/password"


@pytest.fixture
def clients(web):
    """Three browsers; the first two signed in as the same person."""
    with TestClient(web) as a, TestClient(web) as b, TestClient(web) as c:
        for client in (a, b):
            assert login(client, ME).status_code == 303
        yield a, b, c


def change(client, current=PASSWORD, new=NEW, again=None, csrf=None, lang=""):
    page = client.get(FORM + lang)
    assert page.status_code == 200
    data = {"csrf": hidden(page.text, "csrf") if csrf is None else csrf, "current_password": current,
            "new_password": new, "new_password_again": new if again is None else again}
    return client.post(FORM + lang, data=data, follow_redirects=False)


def signed_in(client) -> bool:
    return client.get("/api/me").status_code == 200


def test_the_header_links_to_the_form(clients):
    a, _, _ = clients
    home = a.get("/").text
    assert f'href="{FORM}"' in home and "เปลี่ยนรหัสผ่าน" in home
    page = a.get(FORM).text
    for name, ac in (("current_password", "current-password"), ("new_password", "new-password"),
                     ("new_password_again", "new-password")):
        assert f'id="{name}" name="{name}" type="password" autocomplete="{ac}"' in page
        assert f'<label for="{name}">' in page
    assert "Change password" in a.get(FORM + "?lang=en").text


def test_a_change_keeps_this_session_and_ends_the_others(clients, web, tokens):
    a, b, c = clients
    r = change(a)
    assert r.status_code == 303 and r.headers["location"] == f"{FORM}?done=1"
    assert "เปลี่ยนรหัสผ่านแล้ว (ออกจากระบบในที่อื่น 1 แห่ง)" in a.get(r.headers["location"]).text
    assert signed_in(a)
    assert not signed_in(b)
    assert b.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert login(c, ME, PASSWORD).status_code == 401
    assert login(c, ME, NEW).status_code == 303
    # API tokens are separate credentials: they stay until revoked
    assert a.get("/api/me", headers={"Authorization": f"Bearer {tokens[ME]}"}).json()["via"] == "token"


@pytest.mark.parametrize(("current", "new", "again", "field", "th", "en"), [
    ("wrong password!!", NEW, NEW, "current_password", "ไม่ถูกต้อง", "is not right"),
    ("", NEW, NEW, "current_password", "ต้องกรอก", "is required"),
    (PASSWORD, "short", "short", "new_password", "ต้องยาวอย่างน้อย 10 ตัวอักษร", "needs at least 10 characters"),
    (PASSWORD, PASSWORD, PASSWORD, "new_password", "ต้องไม่ซ้ำกับรหัสผ่านปัจจุบัน",
     "must differ from the current password"),
    (PASSWORD, NEW, NEW + "x", "new_password_again", "ไม่ตรงกับรหัสผ่านใหม่", "does not match the new password"),
])
def test_each_refusal_is_shown_at_its_field_and_changes_nothing(clients, current, new, again, field, th, en):
    a, b, c = clients
    r = change(a, current, new, again)
    assert r.status_code == 422
    assert f'<small id="{field}-err" class="error-text">{th}</small>' in r.text
    assert 'aria-invalid="true"' in r.text and 'data-code="password_rejected"' in r.text
    assert f'value="{new}"' not in r.text and f'value="{current}"' not in r.text  # typed passwords not echoed
    r = change(a, current, new, again, lang="?lang=en")
    assert f'<small id="{field}-err" class="error-text">{en}</small>' in r.text
    assert signed_in(a) and signed_in(b)
    assert login(c, ME, PASSWORD).status_code == 303


def test_every_problem_is_named_at_once(clients):
    a, _, _ = clients
    r = change(a, "wrong password!!", "short", "other")
    for field in ("current_password", "new_password", "new_password_again"):
        assert f'id="{field}-err"' in r.text


def test_the_form_needs_the_sessions_csrf_token(clients):
    a, b, c = clients
    for csrf in ("", "forged"):
        r = change(a, csrf=csrf)
        assert r.status_code == 403 and "แบบฟอร์มหมดอายุ" in r.text
    # another person's token is no better
    assert login(c, "auditor").status_code == 303
    r = change(a, csrf=hidden(c.get(FORM).text, "csrf"))
    assert r.status_code == 403
    assert signed_in(b) and login(TestClient(a.app), ME, PASSWORD).status_code == 303


def test_wrong_current_passwords_lock_the_account_like_sign_in(clients):
    a, _, c = clients
    for _ in range(5):
        assert change(a, "wrong password!!").status_code == 422
    r = change(a)  # even the right one now waits
    assert r.status_code == 429 and "พยายามหลายครั้งเกินไป" in r.text
    assert login(c, ME, PASSWORD).status_code == 429  # one lock for both doors


def test_attempts_per_address_are_limited(clients, web):
    a, _, _ = clients
    for _ in range(20):  # the right current password, a refused new one: no account lock
        assert change(a, new="short", again="short").status_code == 422
    r = change(a)
    assert r.status_code == 429 and "ส่งคำขอถี่เกินไป" in r.text


def test_pages_need_a_session(web):
    with TestClient(web) as anonymous:
        assert anonymous.get(FORM, follow_redirects=False).headers["location"].startswith("/login")
        r = anonymous.post(FORM, data={"current_password": PASSWORD, "new_password": NEW}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


# ---------------------------------------------------------------------------- the API
API = "/api/me/password"


def test_api_change_with_a_token_ends_every_web_session(clients, tokens):
    a, b, c = clients
    bearer = {"Authorization": f"Bearer {tokens[ME]}"}
    r = c.post(API, json={"current_password": PASSWORD, "new_password": NEW}, headers=bearer)
    assert r.status_code == 200 and r.json() == {"person": ME, "other_sessions_ended": 2}
    assert not signed_in(a) and not signed_in(b)
    assert c.get("/api/me", headers=bearer).status_code == 200
    assert login(c, ME, NEW).status_code == 303


def test_api_change_with_a_session_needs_the_csrf_header_and_keeps_the_session(clients):
    a, b, _ = clients
    body = {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW}
    r = a.post(API, json=body)
    assert r.status_code == 403 and r.json()["code"] == "csrf"
    r = a.post(API, json=body, headers={"X-CSRF-Token": hidden(a.get(FORM).text, "csrf")})
    assert r.status_code == 200 and r.json()["other_sessions_ended"] == 1
    assert signed_in(a) and not signed_in(b)


def test_api_refusals_are_problems_naming_each_field(clients, tokens):
    _, b, c = clients
    bearer = {"Authorization": f"Bearer {tokens[ME]}"}
    r = c.post(API + "?lang=en", json={"current_password": "wrong password!!", "new_password": "short",
                                       "new_password_again": "shorter"}, headers=bearer)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "password_rejected"
    assert [(e["field"], e["problem"]) for e in problem["errors"]] == [
        ("current_password", "is not right"), ("new_password", "needs at least 10 characters"),
        ("new_password_again", "does not match the new password")]
    thai = c.post(API, json={"current_password": PASSWORD, "new_password": "short"}, headers=bearer).json()
    assert thai["errors"] == [{"field": "new_password", "problem": "ต้องยาวอย่างน้อย 10 ตัวอักษร"}]
    r = c.post(API, json={"new_password": NEW}, headers=bearer)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "current_password"
    assert c.post(API, json={"current_password": PASSWORD, "new_password": NEW}).status_code == 401
    assert signed_in(b)


def test_the_cli_and_the_web_share_the_rules(app):
    from engine.accounts import MIN_PASSWORD, Accounts, PasswordRejected
    from tests.webkit import FAST_HASHER
    from workflow.errors import UsageError

    accounts = Accounts(app, FAST_HASHER)
    with pytest.raises(UsageError, match=f"at least {MIN_PASSWORD}"):
        accounts.set_password("auditor", "x" * (MIN_PASSWORD - 1))
    with pytest.raises(UsageError, match="longer than"):
        accounts.set_password("auditor", "x" * 1025)
    accounts.set_password("auditor", "x" * MIN_PASSWORD)
    with pytest.raises(PasswordRejected) as refused:
        accounts.change_password("auditor", "x" * MIN_PASSWORD, "y" * (MIN_PASSWORD - 1))
    assert [p["field"] for p in refused.value.field_problems("en")] == ["new_password"]
    assert accounts.change_password("auditor", "x" * MIN_PASSWORD, "y" * MIN_PASSWORD) == 0
    assert accounts.authenticate("auditor", "y" * MIN_PASSWORD) == "auditor"
