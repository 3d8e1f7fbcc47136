"""The public feedback form, over the API and the page: a signed token good for one
opinion, a honeypot, a fill time; X-Forwarded-For believed only from the proxies
named; per-address limits kept in the database, so two server processes (and a
restart) count the same hits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.webkit import hidden

PID = "2570/task_teacher_welfare"
API = f"/api/public/processes/{PID}/feedback"
PAGE = f"/public/{PID}"


@pytest.fixture
def client(web):
    with TestClient(web) as c:
        yield c


def opinions(app) -> list[str]:
    return app.process(PID)["open_feedback"]


def api_token(client, clock, wait: float = 10, pid: str = PID) -> str:
    r = client.get(f"/api/public/processes/{pid}/feedback-token")
    assert r.status_code == 200
    clock.advance(seconds=wait)
    return r.json()["token"]


def send(client, token, opinion="ขอให้ประชุมนอกเวลาราชการ", **extra):
    return client.post(API, json={"opinion": opinion, "token": token} | extra)


def page_token(client, clock, wait: float = 10) -> str:
    token = hidden(client.get(PAGE).text, "token")
    clock.advance(seconds=wait)
    return token


# ---------------------------------------------------------------------------- the API's checks
def test_the_token_route_says_when_and_how_to_send(client, clock):
    body = client.get(API + "-token").json()
    assert body["honeypot"] == "website" and body["token"].count(".") == 2
    assert body["issued_at"] < body["not_before"] < body["expires_at"]
    assert client.get("/api/public/processes/2570/no_such_task/feedback-token").status_code == 404


def test_the_api_takes_an_opinion_with_a_token_and_refuses_one_without(client, opened, clock):
    r = client.post(API, json={"opinion": "ไม่มีโทเค็น"})
    assert r.status_code == 422 and {"field": "token"}.items() <= r.json()["errors"][0].items()
    r = send(client, api_token(client, clock))
    assert r.status_code == 201 and opinions(opened) == [r.json()["id"]]


def test_the_api_refuses_a_filled_honeypot(client, opened, clock):
    r = send(client, api_token(client, clock), website="http://spam.example")
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "honeypot" and body["errors"] == [{"field": "website", "problem": "ต้องเว้นว่าง"}]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert opinions(opened) == []


def test_the_api_refuses_a_submit_sooner_than_a_person_types(client, opened, clock):
    token = api_token(client, clock, wait=1)
    r = send(client, token)
    assert r.status_code == 422 and r.json()["code"] == "too_quick"
    assert r.json()["errors"][0]["field"] == "token" and "ส่งเร็วเกินไป" in r.json()["detail"]
    assert "too quickly" in client.post(API + "?lang=en", json={"opinion": "x", "token": token}).json()["detail"]
    assert opinions(opened) == []
    clock.advance(seconds=5)  # the refusals did not spend the token
    assert send(client, token).status_code == 201


def test_the_api_refuses_a_token_used_before(client, opened, clock):
    token = api_token(client, clock)
    first = send(client, token)
    assert first.status_code == 201
    again = send(client, token, opinion="ความเห็นที่สองด้วยโทเค็นเดิม")
    assert again.status_code == 409 and again.json()["code"] == "form_token_used"
    assert opinions(opened) == [first.json()["id"]]
    assert client.get("/api/public/processes/2570/task_teacher_welfare").json()["opinions_received"] == 1


@pytest.mark.parametrize("forge", ["not-a-token", "1.2.3", "flip", "other_process", "expired"])
def test_the_api_refuses_a_bad_signature(client, opened, clock, forge):
    token = api_token(client, clock)
    if forge == "flip":
        issued, nonce, mac = token.split(".")
        token = f"{issued}.{nonce}.{'0' if mac[0] != '0' else '1'}{mac[1:]}"
    elif forge == "other_process":
        token = api_token(client, clock, pid="2570/task_annual_action_plan")
    elif forge == "expired":
        clock.advance(hours=6, seconds=1)
    elif forge != "flip":
        token = forge
    r = send(client, token)
    assert r.status_code == 403 and r.json()["code"] == "csrf"
    assert opinions(opened) == []


def test_a_token_is_good_once_between_the_page_and_the_api(client, opened, clock):
    token = page_token(client, clock)
    assert send(client, token).status_code == 201  # the page's token, sent through the API
    r = client.post(PAGE + "/feedback", data={"token": token, "opinion": "อีกครั้งจากหน้าเว็บ"})
    assert r.status_code == 409 and "แบบฟอร์มนี้ส่งไปแล้ว" in r.text
    assert hidden(r.text, "token") != token     # a new form to send another opinion with
    assert "อีกครั้งจากหน้าเว็บ" in r.text        # what they wrote is kept
    assert len(opinions(opened)) == 1


def test_the_page_refuses_a_double_submit(client, opened, clock):
    token = page_token(client, clock)
    data = {"token": token, "opinion": "ส่งสองครั้ง", "website": ""}
    assert client.post(PAGE + "/feedback", data=data, follow_redirects=False).status_code == 303
    assert client.post(PAGE + "/feedback", data=data).status_code == 409
    assert len(opinions(opened)) == 1


def test_a_refused_opinion_leaves_the_token_unspent(client, opened, clock):
    token = api_token(client, clock)
    r = send(client, token, opinion="   ")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "opinion"
    assert send(client, token).status_code == 201


# ---------------------------------------------------------------------------- X-Forwarded-For
def test_x_forwarded_for_is_ignored_without_a_configured_proxy(client, clock):
    codes = [client.post(API, json={"opinion": f"ความเห็น {i}", "token": api_token(client, clock)},
                         headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(6)]
    assert codes == [201] * 5 + [429]


def _proxied_web(opened, trusted):
    from engine.web.app import create_web
    from tests.webkit import FAST_HASHER

    return create_web(opened, hasher=FAST_HASHER, min_fill_seconds=3, forwarded_allow_ips=trusted)


def test_x_forwarded_for_counts_from_a_configured_proxy_only(opened, clock):
    web = _proxied_web(opened, "10.0.0.1, 192.168.50.0/24")
    with TestClient(web, client=("10.0.0.1", 40000)) as proxy:
        codes = [proxy.post(API, json={"opinion": f"ผ่านพร็อกซี {i}", "token": api_token(proxy, clock)},
                            headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(7)]
        assert codes == [201] * 7  # seven people behind the office's proxy, each with their own limit
        same = [proxy.post(API, json={"opinion": f"คนเดิม {i}", "token": api_token(proxy, clock)},
                           headers={"X-Forwarded-For": "198.51.100.7"}).status_code for i in range(6)]
        assert same == [201] * 5 + [429]
    with TestClient(web, client=("192.168.50.9", 40000)) as other_proxy:  # a trusted network
        r = other_proxy.post(API, json={"opinion": "คนเดิมผ่านพร็อกซีอื่น", "token": api_token(other_proxy, clock)},
                             headers={"X-Forwarded-For": "198.51.100.7"})
        assert r.status_code == 429
    with TestClient(web, client=("10.0.0.2", 40000)) as stranger:  # not a configured proxy: its header is ignored
        codes = [stranger.post(API, json={"opinion": f"ปลอม {i}", "token": api_token(stranger, clock)},
                               headers={"X-Forwarded-For": f"198.51.100.{100 + i}"}).status_code for i in range(6)]
        assert codes == [201] * 5 + [429]


def test_x_forwarded_proto_from_a_configured_proxy_marks_the_session_cookie_secure(opened, clock):
    from tests.webkit import PASSWORD, login

    web = _proxied_web(opened, "10.0.0.1")
    web.state.web.accounts.set_password("auditor", PASSWORD)
    for peer, secure in (("10.0.0.1", True), ("10.0.0.2", False)):
        with TestClient(web, client=(peer, 40000), headers={"X-Forwarded-Proto": "https"}) as c:
            cookie = login(c, "auditor").headers["set-cookie"]
            assert ("Secure" in cookie) is secure, peer


def test_serve_checks_its_forwarded_allow_ips(capsys):
    from engine.cli import ruam
    from engine.cli.serve import proxies

    assert proxies(" 10.0.0.1, 192.168.0.0/16 ,::1") == "10.0.0.1,192.168.0.0/16,::1"
    assert proxies("") == "" and proxies("*") == "*"
    assert ruam.main(["serve", "--forwarded-allow-ips", "10.0.0.1,proxy.example", "--db", "unused.db"]) == 2
    assert "proxy.example" in capsys.readouterr().err


# ---------------------------------------------------------------------------- limits in the database
def test_the_per_address_limit_holds_across_two_server_processes_and_a_restart(db_url, opened, clock):
    """Two Web instances over one database with their own stores and engines, as two
    ``--workers`` are; then a third, as after a restart."""
    from engine.app import Ruam
    from engine.web.app import create_web
    from storage.store import Store
    from tests.webkit import FAST_HASHER

    stores = [Store(db_url), Store(db_url), Store(db_url)]
    try:
        webs = [create_web(Ruam(s, clock=clock), hasher=FAST_HASHER, min_fill_seconds=3) for s in stores]
        with TestClient(webs[0]) as one, TestClient(webs[1]) as two:
            codes = []
            for i in range(5):
                worker = (one, two)[i % 2]
                codes.append(send(worker, api_token(worker, clock), opinion=f"ความเห็น {i}").status_code)
            assert codes == [201] * 5
            for worker in (one, two):
                r = send(worker, api_token(worker, clock))
                assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
            # a token spent through one process is spent for the other
            clock.advance(minutes=20)
            token = api_token(one, clock)
            assert send(one, token).status_code == 201
            assert send(two, token).status_code == 409
        with TestClient(webs[2]) as restarted:  # as after a restart: it knows the two hits before it
            for i in range(3):  # (the reused token counted: every request does)
                r = send(restarted, api_token(restarted, clock), opinion=f"หลังเริ่มใหม่ {i}")
                assert r.status_code == 201, (i, clock.now, r.headers.get("retry-after"))
            r = send(restarted, api_token(restarted, clock))
            assert r.status_code == 429
            wait = int(r.headers["Retry-After"])
            assert 3 <= wait <= 20 * 60
            token = api_token(restarted, clock, wait=0)
            clock.advance(seconds=wait - 1)
            assert send(restarted, token).status_code == 429   # not a second sooner
            clock.advance(seconds=1)
            assert send(restarted, token).status_code == 201   # and then it fits
        assert len(opinions(opened)) == 10
    finally:
        for s in stores:
            s.dispose()


def test_no_address_is_stored(db_url, opened, client, clock):
    from sqlalchemy import text

    client.post(API, json={"opinion": "ความเห็น", "token": api_token(client, clock)},
                headers={"X-Forwarded-For": "203.0.113.9"})
    with opened.store.reading() as tx:
        rows = [tuple(r) for r in tx.conn.execute(text("SELECT bucket, subject, hits FROM rate_hits"))]
    assert rows and all("testclient" not in str(r) and "203.0.113" not in str(r) for r in rows)
    assert {r[0] for r in rows} == {"feedback"}


def test_the_sliding_window_estimate_and_its_wait():
    from engine.throttle import wait_seconds

    # 5 hits in the previous 10-minute window, 0 in this one, 1 minute in: 4.5 weigh, a hit needs 0.5 gone
    assert wait_seconds(5, 0, 60, 600, 5) == 60   # at 2 minutes 5 × 0.8 = 4, and one more fits
    assert wait_seconds(0, 5, 60, 600, 5) == 540 + 120   # next window, once 5 × (1 − g) ≤ 4
    assert wait_seconds(0, 0, 0, 600, 5) == 1
