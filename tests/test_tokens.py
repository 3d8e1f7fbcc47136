"""API tokens listed (label, issued, last used; never the secret) and revoked: from the
command line, the API and the admin page; a revoked token is refused at once by the
server process that revoked it."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from engine.cli import ruam
from tests.webkit import hidden, login

ISO = re.compile(r"\d{4}-\d{2}-\d{2}T")




@pytest.fixture
def client(web):
    with TestClient(web) as c:
        yield c


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


PEOPLE = {"officer_teacher_welfare", "director_administration", "director_policy_planning", "deputy_4",
          "esa_director", "ktpn_1", "auditor", "admin"}


def cli(capsys, *argv):
    """Run ``ruam``; what a person reads (not --json) carries no id, ISO date or CE year."""
    from tests.thai_output import problems

    code = ruam.main(list(argv))
    out = capsys.readouterr()
    if "--json" not in argv:
        assert problems(out.out + out.err, PEOPLE, where=" ".join(argv[:2])) == []
    return code, out.out, out.err


# ---------------------------------------------------------------------------- the command line
def test_tokens_are_listed_by_name_with_be_dates_and_never_the_secret(db, app, capsys):
    from engine.accounts import Accounts

    code, token, _ = cli(capsys, "people", "token", "auditor", "--label", "แล็ปท็อป", "--db", db)
    assert code == 0
    token = token.strip()
    cli(capsys, "people", "token", "admin", "--db", db)
    code, out, _ = cli(capsys, "people", "tokens", "--db", db)
    assert code == 0
    auditor_name = next(p["name"] for p in app.people() if p["id"] == "auditor")
    lines = out.strip().splitlines()
    assert len(lines) == 2
    line = next(ln for ln in lines if "แล็ปท็อป" in ln)
    assert auditor_name in line and "ออกเมื่อ" in line and "ยังไม่เคยใช้" in line
    assert re.search(r"\d+ [ก-๙.]+ 25\d\d \d\d:\d\d น\.", line)   # BE, Bangkok time
    assert token not in out and not ISO.search(out) and "auditor" not in out and "(ไม่ระบุ)" in out
    Accounts(app).token_person(token)  # used once
    code, out, _ = cli(capsys, "people", "tokens", "auditor", "--db", db, "--lang", "en")
    assert code == 0 and "last used" in out and "never used" not in out and "issued" in out
    code, out, _ = cli(capsys, "people", "tokens", "auditor", "--json", "--db", db)
    [row] = json.loads(out)
    assert row["person"] == "auditor" and row["label"] == "แล็ปท็อป" and row["active"] is True
    assert re.fullmatch(r"[0-9a-f]{16}", row["id"]) and ISO.match(row["created_at"]) and ISO.match(row["last_used_at"])
    assert token not in out and "token_hash" not in row
    assert cli(capsys, "people", "tokens", "nobody", "--db", db)[0] == 1


def test_revoke_token_by_label_id_or_all(db, app, capsys):
    from engine.accounts import Accounts, sha256_token

    accounts = Accounts(app, cache_seconds=0)
    laptop = accounts.new_token("auditor", "laptop")
    script = accounts.new_token("auditor", "script")
    again = accounts.new_token("auditor", "script")
    capsys.readouterr()  # (the service's log lines of issuing them, when no test before set the log level)
    code, out, err = cli(capsys, "people", "revoke-token", "auditor", "--label", "laptop", "--db", db)
    assert code == 0 and "ยกเลิกโทเค็น API แล้ว" in out and "laptop" in out and "auditor" not in out
    assert "5 วินาที" in err                                       # when a running service stops taking it
    assert accounts.token_person(laptop) is None and accounts.token_person(script) == "auditor"
    code, _, err = cli(capsys, "people", "revoke-token", "auditor", "--label", "laptop", "--db", db)
    assert code == 1 and "ไม่พบโทเค็น API ที่ใช้งานอยู่" in err      # revoked before: no longer in use
    code, _, err = cli(capsys, "people", "revoke-token", "auditor", "--label", "script", "--db", db)
    assert code == 1 and "--id" in err                              # two share the label: nothing revoked
    assert accounts.token_person(script) == accounts.token_person(again) == "auditor"
    script_id, again_id = sha256_token(script)[:16], sha256_token(again)[:16]
    assert {t["id"] for t in accounts.tokens("auditor")} == {script_id, again_id}
    assert cli(capsys, "people", "revoke-token", "admin", "--id", script_id, "--db", db)[0] == 1  # not admin's
    assert cli(capsys, "people", "revoke-token", "auditor", "--id", script_id, "--db", db)[0] == 0
    assert accounts.token_person(script) is None and accounts.token_person(again) == "auditor"
    code, out, _ = cli(capsys, "people", "revoke-token", "auditor", "--all", "--db", db, "--lang", "en")
    assert code == 0 and "revoked 1 API token(s)" in out
    assert accounts.token_person(again) is None
    with pytest.raises(SystemExit) as usage:                                              # which one?
        ruam.main(["people", "revoke-token", "auditor", "--db", db])
    assert usage.value.code == 2 and "--label" in capsys.readouterr().err
    assert cli(capsys, "people", "revoke-token", "nobody", "--all", "--db", db)[0] == 1
    code, out, _ = cli(capsys, "people", "tokens", "auditor", "--all", "--db", db)
    assert code == 0 and out.count("ยกเลิกแล้วเมื่อ") == 3 and "โดย ระบบ" in out


# ---------------------------------------------------------------------------- the API
def test_the_api_lists_tokens_for_admins_and_auditors_and_ones_own_for_anyone(client, tokens):
    rows = client.get("/api/tokens", headers=bearer(tokens["admin"])).json()
    assert {r["person"] for r in rows} == set(tokens) and all(r["label"] == "tests" for r in rows)
    assert all(set(r) >= {"id", "person_name", "created_at", "last_used_at", "revoked_at", "active"} for r in rows)
    assert not any(t in json.dumps(rows) for t in tokens.values()) and "token_hash" not in json.dumps(rows)
    assert len(client.get("/api/tokens", headers=bearer(tokens["auditor"])).json()) == len(tokens)
    mine = client.get("/api/tokens", headers=bearer(tokens["deputy_4"])).json()
    assert [r["person"] for r in mine] == ["deputy_4"] and mine[0]["last_used_at"] is not None
    r = client.get("/api/tokens", params={"person": "admin"}, headers=bearer(tokens["deputy_4"]))
    assert r.status_code == 403 and r.json()["code"] == "not_allowed"
    assert client.get("/api/tokens").status_code == 401


def test_a_token_revoked_through_the_api_gets_401_at_once(client, tokens):
    rows = {r["person"]: r["id"] for r in client.get("/api/tokens", headers=bearer(tokens["admin"])).json()}
    # a person may not revoke another's (it does not exist for them) ...
    r = client.post(f"/api/tokens/{rows['auditor']}/revoke", headers=bearer(tokens["deputy_4"]))
    assert r.status_code == 404
    # ... the admin may
    assert client.get("/api/me", headers=bearer(tokens["auditor"])).status_code == 200   # now in the cache
    r = client.post(f"/api/tokens/{rows['auditor']}/revoke", headers=bearer(tokens["admin"]))
    assert r.status_code == 200 and r.json()["revoked_by"] == "admin" and ISO.match(r.json()["revoked_at"])
    assert client.get("/api/me", headers=bearer(tokens["auditor"])).status_code == 401
    again = client.post(f"/api/tokens/{rows['auditor']}/revoke", headers=bearer(tokens["admin"]))
    assert again.status_code == 409 and again.json()["code"] == "token_revoked"
    # and anyone their own, the token making the call included
    assert client.post(f"/api/tokens/{rows['deputy_4']}/revoke", headers=bearer(tokens["deputy_4"])).status_code == 200
    assert client.get("/api/me", headers=bearer(tokens["deputy_4"])).status_code == 401
    assert client.post("/api/tokens/0123456789abcdef/revoke", headers=bearer(tokens["admin"])).status_code == 404
    assert client.post("/api/tokens/not-an-id/revoke", headers=bearer(tokens["admin"])).status_code == 422
    listed = client.get("/api/tokens", params={"include_revoked": True}, headers=bearer(tokens["admin"])).json()
    assert {r["person"] for r in listed if not r["active"]} == {"auditor", "deputy_4"}


def test_a_token_revoked_in_another_process_stops_within_the_cache_time(web, client, tokens, monkeypatch):
    import engine.accounts
    from engine.accounts import AUTH_CACHE_SECONDS, Accounts

    now = [1000.0]
    monkeypatch.setattr(engine.accounts.time, "monotonic", lambda: now[0])
    assert client.get("/api/me", headers=bearer(tokens["ktpn_1"])).status_code == 200
    elsewhere = Accounts(web.state.web.app)  # as the CLI or another worker
    [row] = elsewhere.tokens("ktpn_1")
    elsewhere.revoke_token(row["id"])
    assert client.get("/api/me", headers=bearer(tokens["ktpn_1"])).status_code == 200  # within the lifetime
    now[0] += AUTH_CACHE_SECONDS + 0.1
    assert client.get("/api/me", headers=bearer(tokens["ktpn_1"])).status_code == 401


# ---------------------------------------------------------------------------- the admin page
def test_the_admin_page_lists_tokens_and_revokes_one_at_once(web, client, tokens, opened):
    names = {p["id"]: p["name"] for p in opened.people()}
    assert login(client, "admin").status_code == 303
    page = client.get("/admin/people").text
    rows = re.findall(r"<tr data-token>(.*?)</tr>", page, re.S)
    assert len(rows) == len(tokens)
    auditor_row = next(r for r in rows if names["auditor"] in r)
    assert "tests" in auditor_row and "ยังไม่เคยใช้" in auditor_row and "25" in auditor_row
    from tests.thai_output import problems

    visible = re.sub(r"<[^>]+>", " ", "".join(rows))
    assert problems(visible, PEOPLE) == [] and not re.search(r"[0-9a-f]{16}", visible)
    assert not any(t in page for t in tokens.values())
    token_id = re.search(r'name="token" value="([0-9a-f]{16})"', auditor_row).group(1)
    assert client.get("/api/me", headers=bearer(tokens["auditor"])).status_code == 200
    r = client.post("/admin/people/revoke-token", data={"csrf": hidden(page, "csrf"), "token": token_id},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/me", headers=bearer(tokens["auditor"])).status_code == 401
    assert len(re.findall(r"<tr data-token>", client.get("/admin/people").text)) == len(tokens) - 1
    r = client.post("/admin/people/revoke-token", data={"csrf": hidden(page, "csrf"), "token": token_id})
    assert r.status_code == 409 and "ถูกยกเลิกไปแล้ว" in r.text


def test_an_auditor_sees_the_tokens_but_cannot_revoke(web, client, tokens):
    assert login(client, "auditor").status_code == 303
    page = client.get("/admin/people").text
    assert len(re.findall(r"<tr data-token>", page)) == len(tokens)
    assert 'action="/admin/people/revoke-token"' not in page
    r = client.post("/admin/people/revoke-token", data={"csrf": hidden(page, "csrf"), "token": "0" * 16})
    assert r.status_code == 403


# ---------------------------------------------------------------------------- an older database
def test_tokens_issued_before_the_upgrade_get_an_id(db_url, clock):
    """Migration 0006 gives every stored token its id, so old tokens are listed and revoked too."""
    import sqlalchemy as sa

    from engine.accounts import Accounts, sha256_token
    from storage import schema
    from engine.app import Ruam
    from storage.migrate import upgrade
    from storage.store import Store

    store = Store(db_url)
    try:
        upgrade(store.engine, "0003")
        token = "ruam_" + "x" * 43
        with store.engine.begin() as conn:  # the tables as 0003 made them: no id, last use or revoker
            # (written as SQL: storage.schema's tables are today's, with office_id)
            old = sa.table("people", sa.column("id"), sa.column("name"), sa.column("position"),
                           sa.column("created_at", schema.UTCDateTime()))
            old_tokens = sa.table("api_tokens", sa.column("token_hash"), sa.column("person_id"), sa.column("label"),
                                  sa.column("created_at", schema.UTCDateTime()))
            conn.execute(old.insert().values(id="old", name="ผู้ใช้เดิม", position="", created_at=clock()))
            conn.execute(old_tokens.insert().values(token_hash=sha256_token(token), person_id="old",
                                                    label="เดิม", created_at=clock()))
        store.migrate()
        accounts = Accounts(Ruam(store, clock=clock), cache_seconds=0)
        [row] = accounts.tokens("old")
        assert row["id"] == sha256_token(token)[:16] and row["label"] == "เดิม"
        assert accounts.token_person(token) == "old"
        accounts.revoke_token(row["id"])
        assert accounts.token_person(token) is None
    finally:
        store.dispose()
