"""Two offices on one database: isolated below the faces, each with its own chain.

- the storage scope: the same ids in two offices, each office seeing only its own rows;
- every route of the web (enumerated from the app, so a new route is covered): a
  person of one office reads nothing of the other and writes nothing there, with
  or without the other office's URL prefix;
- the CLI: ``--office`` names the office; another office's process is not found (exit 1);
- a tamper in office A is found and located in A, and B's verdict stays clean;
- two offices appending at once keep both chains linear and verifying, and on
  PostgreSQL an append of one office does not wait for another office's head lock.
"""

from __future__ import annotations

import re
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.routing import Mount

from engine.audit.live import verify
from engine.audit.offices import verify_all
from engine.offices import add_office, list_offices
from tests import steps
from tests.webkit import PASSWORD, PEOPLE, hidden

A_MARK = "ผู้สังเกตการณ์เฉพาะสำนักงานเอ"
B_MARK = "ผู้สังเกตการณ์เฉพาะสำนักงานบี"
B_TEXT = "ข้อความวิเคราะห์เฉพาะของสำนักงานบี"
B_FILE = b"%PDF-1.4\n% office B's own signed order\n%%EOF\n"


def _second_office(app):
    add_office(app, "north", "สำนักงานบี", "Office B", sender="saraban@b.example.org")
    b = app.for_office("north")
    b.load_demo()
    b.open_cycle(2570)
    return b


@pytest.fixture
def two(opened):
    """The default office A (FY 2570 opened, demo people) and office B beside it, the same ids in both;
    each with a person of its own, B with a step and a stored file of its own."""
    a = opened
    b = _second_office(a)
    a.add_person("watcher_a", A_MARK)
    b.add_person("watcher_b", B_MARK)
    stored = b.store_attachment(B_FILE, "คำสั่งของสำนักงานบี.pdf", "application/pdf")
    analysis = steps.analysis() | {"summary": B_TEXT}
    steps.run(b, [("complete_analysis", steps.OFFICER, analysis),
                  ("issue_appointment", steps.DIRECTOR, steps.appointment() | {"attachments": [{"file": stored}]})])
    return a, b, stored["sha256"]


# ------------------------------------------------------------------------------ storage and engine
def test_the_same_ids_in_two_offices_are_two_rows_each_office_seeing_its_own(two):
    a, b, sha = two
    pid = steps.PROCESS
    assert a.process(pid)["state"] != b.process(pid)["state"]      # one id, two processes
    assert {p["id"] for p in a.people()} - {"watcher_a"} == {p["id"] for p in b.people()} - {"watcher_b"}
    assert "watcher_b" not in {p["id"] for p in a.people()}
    with a.store.reading() as tx:
        assert tx.get_attachment(sha) is None and tx.get_person("watcher_b") is None
        assert all(B_TEXT not in r.canonical() for r in tx.records())
        a_items = {r["id"] for r in tx.calendar_items()}
    with b.store.reading() as tx:
        assert tx.get_attachment(sha) is not None
        assert [r.seq for r in tx.records(limit=3)] == [1, 2, 3]
        assert all(r.office == "north" for r in tx.records())           # B's records name their office
    with a.store.reading() as tx:
        assert all(r.office is None for r in tx.records())          # the default office's do not (as before)
    from workflow.errors import NotFound

    with pytest.raises(NotFound):
        from engine.attachments import read_attachment

        read_attachment(a, pid, sha)
    assert a_items is not None
    assert [o["code"] for o in list_offices(a)] == ["default", "north"]


def test_an_office_of_another_database_row_is_not_found(opened):
    from workflow.errors import NotFound

    with pytest.raises(NotFound):
        opened.for_office("nowhere")


# ------------------------------------------------------------------------------ the web, every route
def _fill(path: str, sha: str) -> str:
    values = {"fiscal_year": "2570", "task_id": steps.TASK, "person_id": steps.OFFICER, "assignment_id": "1",
              "round_id": "h1", "item_id": "2570/director_supervision/r1/mission_administration",
              "export_id": "x", "part": "file", "sha256": sha, "action": "add", "token_id": "x", "code": "en",
              "kind": "appointment"}
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values.get(m.group(1), "x"), path)  # a new one: "x"


def _flat(routes, prefix=""):
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI keeps an included router as one entry
        if inner is not None:
            yield from _flat(inner.routes, prefix + (getattr(route.include_context, "prefix", "") or ""))
        elif not isinstance(route, Mount):
            yield prefix + route.path, getattr(route, "methods", None) or ()


def _routes(web):
    """(method, path) of every route of the app; a new route is in it without editing this test."""
    out = []
    for path, methods in _flat(web.routes):
        if path in ("/healthz", "/openapi.json"):
            continue
        out.extend((m, path) for m in sorted(methods) if m != "HEAD")
    return out


PUBLIC = ("/public", "/api/public/", "/login", "/lang/")


def _offices_web(web):
    """Office B's own Web (its accounts) inside the one app."""
    return web.state.offices.web("north")


def _signed_in(web_of_office, person):
    token = web_of_office.accounts.new_token(person, "tests")
    session, _csrf = web_of_office.accounts.open_session(person)
    return {"Authorization": f"Bearer {token}"}, session


def _ask(client, method, url, headers, session):
    client.cookies.clear()
    client.cookies.set("ruam_session", session)
    if method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    return client.request(method, url, headers=headers, json={}, follow_redirects=False)


def test_no_route_reads_or_writes_another_office(web, two):
    a, b, sha = two
    b_web = _offices_web(web)
    for person in PEOPLE:
        b_web.accounts.set_password(person, PASSWORD)
    a_admin, a_session = _signed_in(web.state.web, "admin")
    b_admin, b_session = _signed_in(b_web, "admin")
    assert b_admin["Authorization"].startswith("Bearer ruam_north.") and b_session.startswith("north.")
    routes = _routes(web)
    assert len(routes) >= 50
    with TestClient(web) as client:
        b_head = b.ledger_head()
        for method, path in routes:
            url = _fill(path, sha)
            # a person of A, at today's URLs: A's office only
            r = _ask(client, method, url, a_admin, a_session)
            assert B_MARK not in r.text and B_TEXT not in r.text and B_FILE not in r.content, (method, path)
            # a person of A at B's prefix: B's tables do not know A's credential
            r = _ask(client, method, "/o/north" + url, a_admin, a_session)
            if 200 <= r.status_code < 300 and method == "GET":  # only what B shows anyone (its public pages)
                client.cookies.clear()
                anonymous = client.get("/o/north" + url, follow_redirects=False)
                assert anonymous.status_code == r.status_code, (method, path, r.status_code)
            elif 200 <= r.status_code < 300:
                assert path.startswith(PUBLIC), (method, path, r.status_code)
            assert A_MARK not in r.text, (method, path)
        assert b.ledger_head() == b_head  # whatever A's people sent wrote nothing in B
        a_head = a.ledger_head()
        for method, path in routes:
            # a person of B at today's URLs: B's office only
            r = _ask(client, method, _fill(path, sha), b_admin, b_session)
            assert A_MARK not in r.text, (method, path)
        assert a.ledger_head() == a_head  # and B's nothing in A
    assert verify(a).ok and verify(b).ok


def test_the_web_of_office_b_under_its_prefix_and_by_its_credential(web, two):
    a, b, sha = two
    b_web = _offices_web(web)
    b_officer, b_session = _signed_in(b_web, steps.OFFICER)
    a_officer, _ = _signed_in(web.state.web, steps.OFFICER)
    api = f"/api/processes/{steps.PROCESS}"
    with TestClient(web) as client:
        mine = client.get(api, headers=b_officer).json()
        assert mine["state"] == b.process(steps.PROCESS)["state"] != a.process(steps.PROCESS)["state"]
        assert client.get(api, headers=a_officer).json()["state"] == a.process(steps.PROCESS)["state"]
        assert client.get("/o/north" + api, headers=a_officer).status_code == 401      # A's token is not B's
        assert client.get("/o/north" + api, headers=b_officer).status_code == 200
        assert client.get(f"{api}/attachments/{sha}", headers=a_officer).status_code == 404
        assert client.get(f"{api}/attachments/{sha}", headers=b_officer).content == B_FILE
        forged = {"Authorization": "Bearer ruam_north." + a_officer["Authorization"].split("ruam_", 1)[1]}
        assert client.get(api, headers=forged).status_code == 401                  # a prefix is no credential
        assert client.get("/o/nowhere/public").status_code == 404
        page = client.get("/o/north/public")
        assert page.status_code == 200 and 'href="/o/north/public/' in page.text      # links keep the prefix
        login = client.get("/o/north/login")
        assert 'action="/o/north/login"' in login.text


# ------------------------------------------------------------------------------ today's /login
B_PASSWORD = "office north's own long password"
REFUSED = "รหัสผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
OPTION = re.compile(r'<option value="([^"]*)"( selected)?>([^<]*)</option>')


def _login(client, person, password, office=None, path="/login"):
    page = client.get(path)
    data = {"person": person, "password": password, "token": hidden(page.text, "token"), "next": "/"}
    if office is not None:
        data["office"] = office
    return client.post(path, data=data, follow_redirects=False)


def _alert(page) -> str:
    found = re.search(r'role="alert">([^<]*)<', page.text)
    return found.group(1) if found else ""


def test_todays_sign_in_names_the_office_and_signs_a_person_of_b_into_b(web, two):
    a, b, _sha = two
    _offices_web(web).accounts.set_password(steps.OFFICER, B_PASSWORD)
    with TestClient(web) as client:
        page = client.get("/login").text
        assert '<label for="office">สำนักงาน</label>\n  <select id="office" name="office">' in page
        assert [(v, n) for v, _, n in OPTION.findall(page)] == [("default", "สำนักงานเขตพื้นที่การศึกษาประถมศึกษา (ตัวอย่าง) เขต ๑"), ("north", "สำนักงานบี")]  # the letterhead's name
        assert OPTION.findall(page)[0][1] == " selected"  # the default office unless another is chosen
        english = client.get("/login?lang=en").text
        assert '<label for="office">Office</label>' in english
        assert [n for _, _, n in OPTION.findall(english)] == ["สำนักงานเขตพื้นที่การศึกษาประถมศึกษา (ตัวอย่าง) เขต ๑", "Office B"]  # a letterhead has no English name
        assert "<select" not in client.get("/o/north/login").text  # an office's own sign-in is that office's

        r = _login(client, steps.OFFICER, B_PASSWORD, "north")
        assert r.status_code == 303 and r.headers["location"] == "/o/north/"
        assert client.cookies["ruam_session"].startswith("north.")
        api = f"/api/processes/{steps.PROCESS}"
        assert client.get("/o/north" + api).json()["state"] == b.process(steps.PROCESS)["state"]
        assert client.get("/o/north/", follow_redirects=False).status_code == 200
        assert client.get(api).json()["state"] != a.process(steps.PROCESS)["state"]  # B's, at today's URLs too

        client.cookies.clear()
        r = _login(client, steps.OFFICER, PASSWORD, "default")  # the default office: as before
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert client.get(api).json()["state"] == a.process(steps.PROCESS)["state"]


def test_todays_sign_in_refuses_alike_a_wrong_password_a_person_of_another_office_and_no_office(web, two):
    """One refusal, one status: nothing tells which offices a person is in, or which exist."""
    a_web, b_web = web.state.web, _offices_web(web)
    b_web.accounts.set_password(steps.OFFICER, B_PASSWORD)
    a_web.accounts.set_password("watcher_a", PASSWORD)
    b_web.accounts.set_password("watcher_b", PASSWORD)
    with TestClient(web) as client:
        refused = [_login(client, steps.OFFICER, "wrong password!", "north"),  # a wrong password in B
                   _login(client, steps.OFFICER, PASSWORD, "north"),           # A's password, B chosen
                   _login(client, "watcher_a", PASSWORD, "north"),             # a person of A alone, B chosen
                   _login(client, "watcher_b", PASSWORD, "default"),           # a person of B alone, A chosen
                   _login(client, "nobody", PASSWORD, "north"),                # a person of neither
                   _login(client, steps.OFFICER, B_PASSWORD, "nowhere"),       # no such office
                   _login(client, steps.OFFICER, B_PASSWORD, "../North")]      # not an office code
        assert [(r.status_code, _alert(r)) for r in refused] == [(401, REFUSED)] * len(refused)
        assert all("ruam_session" not in r.headers.get("set-cookie", "") for r in refused)
        assert all('<select id="office" name="office">' in r.text for r in refused)  # the choice stays
        assert ("north", " selected", "สำนักงานบี") in OPTION.findall(refused[0].text)  # as it was chosen
        assert _login(client, "watcher_b", PASSWORD, "north").headers["location"] == "/o/north/"


def test_todays_sign_in_keeps_each_offices_account_lock_and_one_limit_per_address(web, two):
    b_web = _offices_web(web)
    b_web.accounts.set_password(steps.OFFICER, B_PASSWORD)
    with TestClient(web) as client:
        for _ in range(5):
            assert _login(client, steps.OFFICER, "wrong password!", "north").status_code == 401
        locked = _login(client, steps.OFFICER, B_PASSWORD, "north")
        assert locked.status_code == 429 and "พยายามหลายครั้งเกินไป" in _alert(locked)
        assert _login(client, steps.OFFICER, B_PASSWORD, path="/o/north/login").status_code == 429  # both doors
        assert _login(client, steps.OFFICER, PASSWORD, "default").status_code == 303  # A's account is its own
        client.cookies.clear()
        # the address's limit (20 sign-ins in 5 minutes) counts every office chosen and every door alike
        for i in range(20 - 8):
            office = ("default", "north", "nowhere")[i % 3]
            path = "/o/north/login" if i % 4 == 0 else "/login"
            assert _login(client, f"nobody{i}", PASSWORD, office, path).status_code == 401
        limited = _login(client, steps.OFFICER, B_PASSWORD, "north")
        assert limited.status_code == 429 and "ส่งคำขอถี่เกินไป" in _alert(limited)


def test_a_cross_office_attempt_is_logged(web, two):
    from structlog.testing import capture_logs

    a_admin, _ = _signed_in(web.state.web, "admin")
    with TestClient(web) as client, capture_logs() as logs:
        assert client.get("/o/north/api/processes", headers=a_admin).status_code == 401
    [seen] = [e for e in logs if e["event"] == "web.cross_office"]
    assert seen["office"] == "north" and seen["credential_office"] == "default"


# ------------------------------------------------------------------------------ the CLI
def test_the_cli_names_its_office_and_finds_nothing_of_another(db, two, capsys):
    from engine.cli.ruam import main

    a, b, _sha = two
    a.add_person("only_in_a", "เฉพาะเอ")
    assert main(["--db", db, "process", "show", steps.PROCESS, "--json"]) == 0
    assert main(["--db", db, "--office", "north", "people", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"id": "only_in_a"' not in out and '"id": "watcher_b"' in out
    assert main(["--db", db, "--office", "north", "audit", "history", "2570/" + "task_missing", "--json"]) == 1
    assert main(["--db", db, "--office", "nowhere", "processes"]) == 1
    assert main(["--db", db, "office", "show", "north", "--json"]) == 0
    assert '"sender": "saraban@b.example.org"' in capsys.readouterr().out


# ------------------------------------------------------------------------------ audits, one per office
def test_a_tamper_in_one_office_is_found_there_and_the_other_stays_clean(two):
    a, b, _sha = two
    with a.store.engine.begin() as conn:  # office b's record #3, changed in place (as an intruder would)
        if a.store.dialect == "postgresql":
            conn.execute(text("ALTER TABLE ledger DISABLE TRIGGER ledger_no_update"))
        else:
            conn.execute(text("DROP TRIGGER ledger_no_update"))
        conn.execute(text("UPDATE ledger SET body = replace(body, 'appointment', 'appointmenT') "
                          "WHERE office_id = 2 AND seq = (SELECT min(seq) FROM ledger WHERE office_id = 2 "
                          "AND body LIKE '%appointment%')"))
        if a.store.dialect == "postgresql":
            conn.execute(text("ALTER TABLE ledger ENABLE TRIGGER ledger_no_update"))
        else:
            from storage.schema import LEDGER_GUARD_SQL

            for statement in LEDGER_GUARD_SQL["sqlite"]:
                conn.execute(text(statement))
    verdicts = {v.code: v for v in verify_all(a, workers=2)}
    assert verdicts["default"].ok, verdicts["default"].report["findings"]
    bad = verdicts["north"]
    assert not bad.ok
    changed = [f for f in bad.report["findings"] if f["kind"] == "chain"]
    assert changed and all(f["seq"] is not None for f in changed)
    with b.store.reading() as tx:
        first = min(r.seq for r in tx.records() if "appointmenT" in r.canonical())
    assert min(f["seq"] for f in changed) == first


def test_a_record_moved_into_another_offices_chain_is_found(two):
    """A record copied from B's chain to A's (re-linked and rehashed) still names office b."""
    from workflow.chain import check_chain
    from workflow.ledger import Record

    a, b, _ = two
    with b.store.reading() as tx:
        theirs = tx.records(limit=1)[0]
    seq, head = a.ledger_head()
    moved = Record(**{**theirs.body(), "seq": seq + 1, "prev_hash": head})
    findings: list = []
    row = (moved.seq, moved.prev_hash, moved.hash, moved.kind, moved.process, moved.canonical(), moved.actor, None)
    list(check_chain([row], findings, start_seq=seq + 1, start_hash=head))
    assert any("office" in f.message for f in findings)


# ------------------------------------------------------------------------------ appends at once
def test_two_offices_appending_at_once_keep_both_chains_linear(two):
    a, b, _ = two
    errors: list = []

    def work(office, prefix):
        try:
            for i in range(15):
                office.add_person(f"{prefix}{i}", f"บุคคล {prefix}{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(o, p)) for o, p in ((a, "pa"), (b, "pb"), (a, "qa"), (b, "qb"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for office in (a, b):
        with office.store.reading() as tx:
            seqs = [r.seq for r in tx.records()]
        assert seqs == list(range(1, len(seqs) + 1))
        assert verify(office).ok


def test_an_append_does_not_wait_for_another_offices_head(two):
    """PostgreSQL: office B's head row locked by an open append; office A appends meanwhile."""
    a, b, _ = two
    if a.store.dialect != "postgresql":
        pytest.skip("SQLite has one writer for the whole database (unchanged)")
    from workflow.ledger import Entry

    holding, release = threading.Event(), threading.Event()

    def hold_b_head():
        with b.store.transaction() as tx:
            tx.append([Entry(kind="person.added", at=b.now(), actor="system", role="system",
                             data={"person": "held", "name": "held", "position": "", "email": None})])
            holding.set()
            release.wait(30)

    t = threading.Thread(target=hold_b_head)
    t.start()
    try:
        assert holding.wait(30)
        with a.store.transaction() as tx:
            tx.conn.execute(text("SET LOCAL lock_timeout = '5s'"))  # waiting on B's lock would fail here
            tx.append([Entry(kind="person.added", at=a.now(), actor="system", role="system",
                             data={"person": "free", "name": "free", "position": "", "email": None})])
    finally:
        release.set()
        t.join()


# ------------------------------------------------------------------------------ the scheduler over offices
def _break_definitions(office) -> None:
    """The office's calendar made to point at a stored definition whose content no longer hashes
    to its version (as if its row were edited): that office's tick cannot read its definitions."""
    bogus = "f" * 64
    now = office.now()
    with office.store.transaction() as tx:
        tx.put_definition(bogus, "calendar", "broken", '{"kind": "calendar"}', now)
        tx.set_active("calendar", bogus)


def test_the_scheduler_ticks_every_office_once_and_one_broken_office_blocks_none(app):
    from structlog.testing import capture_logs

    from engine.service.scheduler import Runner
    from engine.status import status

    add_office(app, "north", "สำนักงานเหนือ")
    add_office(app, "south", "สำนักงานใต้")
    north, south = app.for_office("north"), app.for_office("south")
    _break_definitions(south)
    runner = Runner(app)
    with capture_logs() as logs:
        runner.run()
    assert [e["office"] for e in logs if e["event"] == "scheduler.office_failed"] == ["south"]
    for office in (app, north):
        assert len(office.processes(fiscal_year=2570)) == 11     # the tick opened its year
        with office.store.reading() as tx:
            assert tx.calendar_state() is not None
    with south.store.reading() as tx:
        assert tx.calendar_state() is None and tx.processes() == []
    info = status(app)
    assert "south" in (info["last_error"] or "") and set(info["last_tick_summary"]["offices"]) == {"default", "north"}
    heads = [o.ledger_head() for o in (app, north)]
    items = []
    for office in (app, north):
        with office.store.reading() as tx:
            items.append(len(tx.calendar_items()))
    runner.run()  # a second wake-up at the same moment: each office's items were opened once
    assert [o.ledger_head() for o in (app, north)] == heads
    for office, n in zip((app, north), items):
        with office.store.reading() as tx:
            assert len(tx.calendar_items()) == n
    assert verify(app).ok and verify(north).ok


# ------------------------------------------------------------------------------ a role across offices
def test_a_role_in_another_office_is_granted_there_explicitly(web, two):
    """The default office's auditor, granted the auditor role by office north (as auditor@default):
    signs in at home, sees north under its prefix with that role only, and an overview of north;
    an office that granted nothing (south) knows them not."""
    from tests.test_thai_walk import visible_text
    from tests.thai_output import problems

    a, b, _sha = two
    add_office(a, "south", "สำนักงานใต้")
    b.assign_role("auditor@default", "auditor")
    auditor, session = _signed_in(web.state.web, "auditor")
    officer, _ = _signed_in(web.state.web, steps.OFFICER)
    with TestClient(web) as client:
        assert len(client.get("/o/north/api/processes", headers=auditor).json()) == 11
        me = client.get("/o/north/api/me", headers=auditor).json()
        assert me["id"] == "auditor@default" and {a["role"] for a in me["assignments"]} == {"auditor"}
        assert client.get("/o/north/api/processes", headers=officer).status_code == 401   # granted nothing
        assert client.get("/o/south/api/processes", headers=auditor).status_code == 401
        [row] = client.get("/api/offices", headers=auditor).json()
        assert row["code"] == "north" and sum(row["states"].values()) == 11
        client.cookies.set("ruam_session", session)
        page = client.get("/offices")
        assert page.status_code == 200 and "สำนักงานบี" in page.text and 'href="/o/north/dashboard"' in page.text
        assert problems(visible_text(page.text), {"auditor"}) == []
        dashboard = client.get("/o/north/dashboard")
        assert dashboard.status_code == 200 and "auditor@default" not in visible_text(dashboard.text)
        assert "สำนักงานเขตพื้นที่การศึกษาประถมศึกษา (ตัวอย่าง) เขต ๑" in dashboard.text  # named with their office (its letterhead)
        assert client.get("/api/offices", headers=officer).json() == []
    assert verify(b).ok  # the grant is a record of north's chain, naming a person of another office


def test_an_offices_export_verifies_offline_and_a_record_of_another_office_in_it_is_found(two, tmp_path):
    from engine.audit.export import export, seal_path, verify_file
    from workflow.seal import parse_seal

    a, b, _ = two
    for fmt in ("jsonl", "csv"):
        path, files = tmp_path / f"north.{fmt}", tmp_path / f"files-{fmt}"
        export(b, fmt, path, files=files)  # north's records name a file: its bytes go beside the export
        report = verify_file(path, parse_seal(seal_path(path).read_text(encoding="utf-8")), files=files)
        assert report.ok, [f.message for f in report.findings]
        assert report.records == b.ledger_head()[0]
    path = tmp_path / "default.jsonl"
    export(a, "jsonl", path)
    assert verify_file(path).ok


def test_each_offices_outbox_sends_its_own_messages_from_its_own_address(two, monkeypatch):
    from engine import outbox as ob

    a, b, _ = two
    sent = []
    monkeypatch.setattr(ob, "_send", lambda smtp, msg: sent.append((msg["From"], msg["To"], msg["Subject"])))
    for office, to in ((a, "a@example.org"), (b, "b@example.org")):
        with office.store.transaction() as tx:
            tx.queue_message(dedupe_key="same-key", seq=1, at=office.now(), person="ktpn_1", email=to,
                             subject=f"เรื่องของ {to}", body="ข้อความ")
    smtp = ob.SmtpConfig(host="127.0.0.1", port=25, sender="ruam@example.org")
    assert ob.deliver(b, smtp)["sent"] == 1
    assert sent == [("saraban@b.example.org", "b@example.org", "เรื่องของ b@example.org")]
    assert ob.deliver(a, smtp)["sent"] == 1
    assert sent[1] == ("ruam@example.org", "a@example.org", "เรื่องของ a@example.org")
    assert [m["email"] for m in ob.outbox(b)["messages"]] == ["b@example.org"]
