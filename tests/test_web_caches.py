"""What the web face keeps in memory, and how long a change made elsewhere takes to show.

Tokens, sessions and a person's assignments are kept for RUAM_AUTH_CACHE_SECONDS;
a change through the same process is seen at once. The dashboard's counts per
group are brought up to the ledger head from the records appended since."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests import steps
from tests.webkit import login

ME = "/api/me"


@pytest.fixture
def client(web):
    with TestClient(web) as c:
        yield c


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_token_revoked_through_the_service_is_refused_at_once(web, client, tokens):
    assert client.get(ME, headers=bearer(tokens["auditor"])).status_code == 200
    web.state.web.accounts.revoke_tokens("auditor")
    assert client.get(ME, headers=bearer(tokens["auditor"])).status_code == 401


def test_a_token_revoked_elsewhere_is_refused_once_the_cache_lifetime_has_passed(web, client, tokens, monkeypatch):
    import engine.accounts
    from engine.accounts import AUTH_CACHE_SECONDS, Accounts

    now = [1000.0]
    monkeypatch.setattr(engine.accounts.time, "monotonic", lambda: now[0])
    assert client.get(ME, headers=bearer(tokens["auditor"])).status_code == 200
    Accounts(web.state.web.app).revoke_tokens("auditor")   # another process: the CLI
    assert client.get(ME, headers=bearer(tokens["auditor"])).status_code == 200  # still within the lifetime
    now[0] += AUTH_CACHE_SECONDS + 0.1
    assert client.get(ME, headers=bearer(tokens["auditor"])).status_code == 401


def test_a_role_assigned_through_the_engine_is_seen_at_once(web, client, tokens):
    before = {a["role"] for a in client.get(ME, headers=bearer(tokens["ktpn_1"])).json()["assignments"]}
    assert "auditor" not in before
    web.state.web.app.assign_role("ktpn_1", "auditor")
    after = {a["role"] for a in client.get(ME, headers=bearer(tokens["ktpn_1"])).json()["assignments"]}
    assert "auditor" in after


def test_a_cached_session_still_expires_by_the_clock(web, client, clock):
    assert login(client, "auditor").status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(hours=13)
    assert client.get("/", follow_redirects=False).status_code == 303  # back to sign-in


def test_signing_out_ends_the_cached_session(client):
    from tests.webkit import hidden

    login(client, "auditor")
    csrf = hidden(client.get("/").text, "csrf")
    cookie = client.cookies.get("ruam_session")
    client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    client.cookies.set("ruam_session", cookie)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_dashboard_counts_catch_up_with_the_ledger(web, client, monkeypatch):
    """After a step, the cached counts per group move by the records since, and equal a fresh count."""
    import engine.board
    from engine.board import _SUMMARIES, board

    monkeypatch.setattr(engine.board, "DETAIL_LIMIT", 5)
    app = web.state.web.app
    viewer = web.state.web.accounts.viewer("auditor")
    _SUMMARIES.clear()
    first = board(app, viewer, 2570)
    assert first["summary"]
    steps.run(app, steps.HAPPY_PATH[:2])       # two steps of one task
    app.cancel("2570/task_annual_action_plan", "esa_director", "ยกเลิก")
    fresh_reads = []
    real = engine.board.process_states
    monkeypatch.setattr(engine.board, "process_states", lambda *a: fresh_reads.append(1) or real(*a))
    caught_up = board(app, viewer, 2570)
    assert not fresh_reads                      # moved from the records, not counted afresh
    _SUMMARIES.clear()
    fresh = board(app, viewer, 2570)
    assert fresh_reads
    counts = {g.id: (g.counts, g.total, g.overdue) for g in fresh["summary"]}
    assert {g.id: (g.counts, g.total, g.overdue) for g in caught_up["summary"]} == counts
    assert caught_up["total"] == fresh["total"]
    administration = next(c for gid, c in counts.items() if gid == "mission_administration")
    assert administration[0].get("notifying") == 1


def test_a_password_change_ends_the_other_remembered_sessions_at_once(web):
    from tests.webkit import PASSWORD

    with TestClient(web) as one, TestClient(web) as other:
        login(one, "auditor")
        login(other, "auditor")
        assert other.get("/", follow_redirects=False).status_code == 200   # now remembered
        web.state.web.accounts.change_password("auditor", PASSWORD, "another long password",
                                               keep_session=one.cookies.get("ruam_session"))
        assert other.get("/", follow_redirects=False).status_code == 303
        assert one.get("/", follow_redirects=False).status_code == 200
