"""The service at its edges: a frozen leader is replaced within its lease and stands
down when it wakes; ``ruam status`` names this database's leader only; ``--workers``
start together on an empty database, a dead worker is replaced and none outlives
the parent; a port in use is refused before anything is written; a terminal is
told where to open the service; library chatter stays below INFO."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import pty
import select
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.app import Ruam
from engine.cli.ruam import main
from engine.service import scheduler as sched
from engine.service.edges import WorkersFailed, start_lines, supervise
from engine.status import status
from storage.accounts import AccountRows
from storage.db import normalize_url
from storage.leader import PgAdvisoryLock, pg_leader
from storage.store import Store
from tests import steps
from tests.ports import free_port, free_ports, listening_socket
from tests.skips import skip_line
from tests.test_calendar_service import RUAM, _healthy, _wait

LEASE, POLL = 2.0, 0.5


def _env(**more) -> dict:
    return dict(os.environ, **{"RUAM_LEADER_POLL_SECONDS": str(POLL), "RUAM_LEADER_LEASE_SECONDS": str(LEASE),
                               "RUAM_TICK_MINUTES": "60", "RUAM_LOG_LEVEL": "INFO", **more})


def _serve(args: list[str], log: Path, cwd: Path, **env) -> subprocess.Popen:
    with log.open("w") as sink:
        return subprocess.Popen([RUAM, "serve", *args], cwd=cwd, env=_env(**env), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=sink)


def _events(log: Path, name: str, since: int = 0) -> list[dict]:
    found = []
    for line in log.read_text()[since:].splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == name:
            found.append(entry)
    return found


def _finish(*procs: subprocess.Popen | None) -> None:
    for proc in procs:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
            proc.wait(timeout=30)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _nobody_listens(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not a listener
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def restore_logging():
    """``main()`` configures logging onto the test's captured stderr: put the root logger back after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in ("apscheduler", "transitions")})
    yield
    handlers, level, levels = saved
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, lvl in levels.items():
        logging.getLogger(name).setLevel(lvl)


# --------------------------------------------------------------------------- leadership on PostgreSQL

@pytest.mark.postgres
def test_status_names_only_this_databases_leader(pg_url):
    other = f"{make_url(pg_url).database}_other_{uuid.uuid4().hex[:6]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{other}"'))
    app = Ruam(Store(pg_url))
    app.init()
    url = normalize_url(pg_url)
    theirs = PgAdvisoryLock(make_url(url).set(database=other).render_as_string(hide_password=False), "there:1")
    mine = PgAdvisoryLock(url, "here:2")
    try:
        assert theirs.try_acquire()  # the leader of another Ruam database on the same server
        info = status(app, POLL)
        assert info["leader"] is None and info["running"] is False
        with app.store.reading() as tx:
            assert pg_leader(tx.conn) is None
        assert mine.try_acquire()  # advisory locks are per database: both lead, each its own
        with app.store.reading() as tx:
            holder = pg_leader(tx.conn)
        assert holder["identity"] == "here:2" and holder["last_seen"] is not None
        assert status(app, POLL)["leader"] == "here:2"
    finally:
        theirs.release()
        mine.release()
        app.store.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_the_server_ends_a_lock_session_that_stops_renewing(pg_url, monkeypatch):
    app = Ruam(Store(pg_url))
    lock = PgAdvisoryLock(normalize_url(pg_url), "quiet:1", lease_seconds=0.5)
    other = PgAdvisoryLock(normalize_url(pg_url), "standby:2", lease_seconds=0.5)
    ticks = []
    monkeypatch.setattr(sched, "tick", lambda _app: ticks.append(_app))
    try:
        app.init()
        assert lock.try_acquire() and lock.lease_enforced is True
        time.sleep(0.3)
        assert lock.still_held()  # renewed: a statement on the session
        assert not other.try_acquire()
        time.sleep(1.0)  # no statement for longer than the lease: the server ends the session
        assert other.try_acquire()
        # the old holder's job, waking, asks the lock first and does not tick
        sched.Runner(app, still_leading=lock.still_held).run()
        assert ticks == [] and not lock.held
    finally:
        lock.release()
        other.release()
        app.store.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_frozen_leader_is_replaced_within_its_lease_and_stands_down_when_it_wakes(pg_url, tmp_path):
    app = Ruam(Store(pg_url))
    port_a, port_b = free_ports(2)
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    a = b = None
    try:
        app.init(demo=True)
        # the scheduler wakes every 3 s: a job falls due while the leader is frozen
        a = _serve(["--db", pg_url, "--port", str(port_a)], log_a, tmp_path, RUAM_TICK_MINUTES="0.05")
        _wait(lambda: (s := status(app, POLL))["running"] and s["leader"].endswith(f":{a.pid}"), timeout=60)
        b = _serve(["--db", pg_url, "--port", str(port_b)], log_b, tmp_path, RUAM_TICK_MINUTES="0.05")
        _wait(lambda: _healthy(port_b), timeout=60)
        assert status(app, POLL)["leader"].endswith(f":{a.pid}")
        frozen_at = time.monotonic()
        a.send_signal(signal.SIGSTOP)  # alive, connections open, lock held: but no longer renewing
        _wait(lambda: (s := status(app, POLL))["running"] and s["leader"].endswith(f":{b.pid}"), timeout=30,
              every=0.05)
        takeover = time.monotonic() - frozen_at
        print(f"takeover after SIGSTOP of the leader (lease {LEASE}s, poll {POLL}s): {takeover:.2f}s")
        assert LEASE - POLL - 0.2 < takeover < LEASE + POLL + 3, takeover
        woke = len(log_a.read_text())
        a.send_signal(signal.SIGCONT)
        _wait(lambda: _events(log_a, "leader.lost", woke), timeout=30)
        # its scheduler's job, due during the freeze, fired on waking: it asked the lock first, or the
        # scheduler was already stopped; either way the old leader did not run it
        assert not _events(log_a, "leader.elected", woke)
        assert _healthy(port_a)  # it keeps serving the web, as a standby
        after = app.now()
        _wait(lambda: (s := status(app, POLL))["last_scheduled_tick_at"] > after and s, timeout=30)
        assert status(app, POLL)["leader"].endswith(f":{b.pid}")  # the new leader ticks on
    finally:
        _finish(a, b)
        app.store.dispose()


# --------------------------------------------------------------------------- --workers

def test_two_servers_making_the_signing_key_at_once_both_get_the_same_one(db_url):
    store = Store(db_url)
    Ruam(store).init()
    got, errors = [], []

    def second() -> None:
        try:
            with store.transaction() as tx:
                rows = AccountRows(tx)
                rows.put_setting_if_absent("signing_key", "bb" * 32)  # waits for the first transaction
                got.append(rows.setting("signing_key"))
        except Exception as exc:  # noqa: BLE001 - the failure is what the test looks for
            errors.append(exc)

    try:
        with store.transaction() as tx:
            AccountRows(tx).put_setting_if_absent("signing_key", "aa" * 32)
            racer = threading.Thread(target=second)
            racer.start()
            time.sleep(0.3)  # the second has read nothing yet and is inserting, behind the first
        racer.join(30)
        assert errors == [] and got == ["aa" * 32]
    finally:
        store.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_workers_start_together_on_an_empty_database_and_none_outlives_the_parent(pg_url, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    proc = _serve(["--db", pg_url, "--port", str(port), "--workers", "2"], log, tmp_path)
    try:
        _wait(lambda: log.read_text().count("Application startup complete") == 2, timeout=90)
        logs = log.read_text()
        assert "pk_web_settings" not in logs and not _events(log, "service.worker_died")
        [started] = _events(log, "service.workers")
        first, second = started["pids"]
        os.kill(first, signal.SIGKILL)  # a worker dies without any clean-up
        [restarted] = _wait(lambda: _events(log, "service.worker_restarted"), timeout=30)
        assert restarted["replaces"] == first and _events(log, "service.worker_died")[0]["pid"] == first
        _wait(lambda: log.read_text().count("Application startup complete") == 3, timeout=60)
        assert all(_healthy(port) for _ in range(10))
        workers = [second, restarted["pid"]]
        assert all(_alive(pid) for pid in workers)
        proc.kill()  # the parent dies without any clean-up: its workers must not stay behind listening
        proc.wait(timeout=30)
        gone_at = time.monotonic()
        _wait(lambda: not any(_alive(pid) for pid in workers) and _nobody_listens(port), timeout=30)
        print(f"workers gone {time.monotonic() - gone_at:.2f}s after the parent was killed")
        assert _events(log, "service.parent_gone")
    finally:
        _finish(proc)


def test_a_worker_that_keeps_dying_stops_the_service_instead_of_looping():
    ctx = multiprocessing.get_context("spawn")  # as serve_workers starts them (fork here could inherit held locks)
    started = []

    def start(_slot: int):
        proc = ctx.Process(target=os._exit, args=(3,))
        proc.start()
        started.append(proc)
        return proc

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(WorkersFailed) as refused:
        supervise(start, 2, max_restarts=3)
    assert len(started) == 5  # two, three replacements, then the fourth death within the minute stops it
    codes = [p.exitcode for p in started]
    # four died by themselves; the last one standing may have been stopped (SIGTERM) before it exited
    assert codes.count(3) >= 4 and set(codes) <= {3, -signal.SIGTERM}, codes
    assert "หยุดทำงานซ้ำ" in refused.value.message("th")
    assert signal.getsignal(signal.SIGTERM) is before  # the parent's handlers are given back


# --------------------------------------------------------------------------- the port and the terminal

def _untouched(db_url: str) -> bool:
    if db_url.startswith("sqlite"):
        path = Path(db_url.removeprefix("sqlite:///"))
        return not path.exists() and not Path(f"{path}.serve.lock").exists()
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM information_schema.tables "
                                     "WHERE table_schema = 'public'")).scalar() == 0
    finally:
        engine.dispose()


def test_a_port_in_use_is_refused_before_anything_is_written(db_url, capsys, restore_logging):
    with listening_socket() as taken:
        port = taken.getsockname()[1]
        assert main(["serve", "--db", db_url, "--port", str(port)]) == 1
        err = capsys.readouterr().err
        assert f"ruam: พอร์ต {port} ที่ 127.0.0.1 มีโปรแกรมอื่นใช้อยู่แล้ว" in err and "Traceback" not in err
        assert main(["serve", "--db", db_url, "--port", str(port), "--lang", "en"]) == 1
        assert f"port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err
    shared = socket.socket()  # another `ruam serve --workers` (SO_REUSEPORT) holds the port
    shared.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    shared.bind(("127.0.0.1", 0))
    shared.listen()
    try:
        port = shared.getsockname()[1]
        assert main(["serve", "--db", db_url, "--port", str(port)]) == 1
        if not db_url.startswith("sqlite"):
            assert main(["serve", "--db", db_url, "--port", str(port), "--workers", "2"]) == 1
        assert "มีโปรแกรมอื่นใช้อยู่แล้ว" in capsys.readouterr().err
    finally:
        shared.close()
    assert _untouched(db_url)


def test_a_lease_shorter_than_two_polls_is_a_usage_error(tmp_path, monkeypatch, capsys, restore_logging):
    db = tmp_path / "ruam.db"
    monkeypatch.setenv("RUAM_LEADER_POLL_SECONDS", "10")
    monkeypatch.setenv("RUAM_LEADER_LEASE_SECONDS", "15")
    assert main(["serve", "--db", str(db), "--port", str(free_port())]) == 2
    assert "RUAM_LEADER_LEASE_SECONDS" in capsys.readouterr().err
    monkeypatch.setenv("RUAM_LEADER_LEASE_SECONDS", "soon")
    assert main(["serve", "--db", str(db), "--port", str(free_port())]) == 2
    assert "'soon'" in capsys.readouterr().err
    assert not db.exists()


@pytest.mark.slow
def test_serve_on_a_terminal_says_where_to_open_it_and_how_to_make_the_first_admin(tmp_path):
    db, port, log = tmp_path / "ruam.db", free_port(), tmp_path / "serve.log"
    master, terminal = pty.openpty()
    with log.open("w") as sink:
        proc = subprocess.Popen([RUAM, "serve", "--db", str(db), "--port", str(port)], cwd=tmp_path, env=_env(),
                                stdin=subprocess.DEVNULL, stdout=terminal, stderr=sink)
    os.close(terminal)
    shown = b""
    try:
        deadline = time.monotonic() + 60
        while shown.count(b"\n") < 2 and time.monotonic() < deadline:
            if select.select([master], [], [], 0.5)[0]:
                shown += os.read(master, 4096)
        lines = shown.decode().splitlines()
        assert lines[0] == f"ร่วม (Ruam) พร้อมใช้งานที่ http://127.0.0.1:{port}/ — หยุดด้วย Ctrl+C"
        assert lines[1].startswith("ยังไม่มีผู้ดูแลระบบ สร้างคนแรกด้วย: ruam people add admin --name ")
        assert f"ruam people set-password admin --db {db}" in lines[1]
        assert _healthy(port)  # said once the server accepts
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        logs = log.read_text()
        assert _events(log, "leader.elected") and _events(log, "calendar.tick")
        assert "Adding job tentatively" not in logs and "Scheduler started" not in logs
        assert "Running job" not in logs
    finally:
        os.close(master)
        _finish(proc)


def test_the_start_lines_follow_who_can_administer(app):
    from engine.accounts import Accounts

    accounts = Accounts(app)
    assert accounts.admins() == {"admin": False}  # the demo's administrator, without a password
    assert start_lines(app, "0.0.0.0", 8000, "en") == [
        "Ruam is serving at http://127.0.0.1:8000/ (Ctrl+C to stop)",
        "administrator admin has no password yet; set one with: ruam people set-password admin"]
    accounts.set_password("admin", "a long enough password 1")
    assert start_lines(app, "::", 8000, "th") == ["ร่วม (Ruam) พร้อมใช้งานที่ http://[::1]:8000/ — หยุดด้วย Ctrl+C"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_library_chatter_stays_below_info(opened, capsys, restore_logging):
    from engine.logs import configure
    from engine.service.scheduler import Runner, build_scheduler

    configure("INFO", json=True)
    steps.run(opened, steps.HAPPY_PATH[:1])  # a state machine step
    build_scheduler(opened, Runner(opened), persistent=False)  # "Adding job tentatively", twice
    logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert {(e["logger"], e["level"]) for e in lines} >= {("apscheduler.scheduler", "warning")}
    assert not [e for e in lines if e["logger"].startswith(("apscheduler", "transitions")) and
                e["level"] in ("info", "debug")]
    configure("DEBUG", json=True)
    logging.getLogger("transitions.core").info("Finished processing state x exit callbacks.")
    [shown] = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert (shown["event"], shown["level"]) == ("Finished processing state x exit callbacks.", "debug")


def test_one_line_says_which_services_the_skipped_tests_wanted():
    assert skip_line([]) is None
    line = skip_line(["Skipped: RUAM_TEST_DATABASE_URL not set"] * 3 + ["no Chromium at /usr/bin/chromium",
                                                                        "need a full moon"])
    assert "\n" not in line
    assert line == ("skipped 5 tests; they wanted: PostgreSQL (set RUAM_TEST_DATABASE_URL) ×3, "
                    "Chromium (RUAM_CHROMIUM, default /usr/bin/chromium) ×1, need a full moon ×1")
