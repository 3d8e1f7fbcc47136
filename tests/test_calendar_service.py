"""The service: the real APScheduler wiring fires tick, job errors reach
``ruam status``, one scheduler per database (a PostgreSQL advisory lock, or one
process per SQLite file), and failover between two real ``ruam serve`` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.app import Ruam
from engine.service import scheduler as sched
from engine.service.scheduler import JOB_INTERVAL, JOB_MIDNIGHT, Service
from engine.status import status
from storage.leader import PgAdvisoryLock
from storage.store import Store
from tests.ports import free_port, free_ports

RUAM = str(Path(sys.executable).with_name("ruam"))


def _wait(predicate, timeout: float = 30.0, every: float = 0.1):
    """Poll until predicate() is truthy; returns its value (fails the test on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout}s waiting for {predicate}")


def test_the_real_scheduler_wiring_fires_tick(app):
    service = Service.for_app(app, interval_minutes=60, poll_seconds=0.2)
    try:
        service.start()
        assert service.leading
        _wait(lambda: status(app)["last_scheduled_tick_at"] is not None)
        info = status(app, poll_seconds=0.2)
        assert info["running"] and info["leader"] == service.who and info["next_wakeup"] is not None
        assert info["last_tick_summary"]["started"] is True and info["last_tick_summary"]["processes_opened"] == 11
        with app.store.reading() as tx:
            jobs = {row[0] for row in tx.conn.execute(text("SELECT id FROM apscheduler_jobs"))}
            assert tx.calendar_state() is not None
        assert jobs == {JOB_INTERVAL, JOB_MIDNIGHT}
        assert len(app.processes(fiscal_year=2570)) == 11
    finally:
        service.stop()
    assert status(app)["running"] is False


def test_job_errors_go_to_the_log_and_to_status(app, monkeypatch):
    def broken(_app):
        raise RuntimeError("calendar definition unreadable")

    monkeypatch.setattr(sched, "tick", broken)
    service = Service.for_app(app, interval_minutes=60, poll_seconds=0.2, persistent=False)
    try:
        service.start()
        info = _wait(lambda: (s := status(app)) and s["last_error"] and s)
        assert "calendar definition unreadable" in info["last_error"] and info["last_error_at"]
    finally:
        service.stop()


# --------------------------------------------------------------------------- real processes

def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def _serve(db: str, port: int, cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, RUAM_LEADER_POLL_SECONDS="0.5", RUAM_TICK_MINUTES="60", RUAM_LOG_LEVEL="WARNING")
    return subprocess.Popen([RUAM, "serve", "--db", db, "--port", str(port)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=30)


@pytest.mark.postgres
@pytest.mark.slow
def test_leader_failover_between_two_serve_processes(pg_url, tmp_path):
    store = Store(pg_url)
    app = Ruam(store)
    app.init(demo=True)
    port_a, port_b = free_ports(2)
    a = _serve(pg_url, port_a, tmp_path)
    b = None
    try:
        first = _wait(lambda: status(app, 0.5)["running"] and status(app, 0.5), timeout=60)
        assert first["leader"].endswith(f":{a.pid}")
        b = _serve(pg_url, port_b, tmp_path)
        _wait(lambda: _healthy(port_b), timeout=60)
        assert _healthy(port_a) and status(app, 0.5)["leader"].endswith(f":{a.pid}")  # b only serves
        killed_at = time.monotonic()
        a.send_signal(signal.SIGKILL)  # the leader dies without any clean-up
        a.communicate(timeout=30)
        second = _wait(lambda: (s := status(app, 0.5))["running"] and s["leader"].endswith(f":{b.pid}") and s,
                       timeout=60)
        takeover = time.monotonic() - killed_at
        print(f"takeover after SIGKILL of the leader: {takeover:.2f}s")
        assert takeover < 60, takeover
        assert _healthy(port_b)
        _wait(lambda: status(app, 0.5)["last_scheduled_tick_at"] is not None)
        b.send_signal(signal.SIGTERM)  # a clean shutdown
        out, err = b.communicate(timeout=30)
        assert b.returncode == 0, err
        assert status(app, 0.5)["running"] is False
        assert second["leader_since"] is not None
    finally:
        for proc in (a, b):
            if proc is not None:
                _stop(proc)
        store.dispose()


@pytest.mark.slow
def test_serve_on_sqlite_initializes_once_and_refuses_a_second_process(tmp_path):
    db = tmp_path / "ruam.db"
    port_a, port_b = free_ports(2)
    a = _serve(str(db), port_a, tmp_path)
    try:
        _wait(lambda: _healthy(port_a), timeout=60)
        assert db.exists()  # first run: created with the shipped definitions
        second = subprocess.run([RUAM, "serve", "--db", str(db), "--port", str(port_b)], cwd=tmp_path,
                                capture_output=True, text=True, timeout=60,
                                env=dict(os.environ, RUAM_LOG_LEVEL="WARNING"))
        assert second.returncode == 1
        assert "SQLite" in second.stderr and str(a.pid) in second.stderr
        app = Ruam(Store(str(db)))
        _wait(lambda: status(app, 0.5)["last_scheduled_tick_at"] is not None)
        a.send_signal(signal.SIGINT)
        _, err = a.communicate(timeout=30)
        assert a.returncode == 0, err
        assert status(app)["running"] is False
        app.store.dispose()
    finally:
        _stop(a)


@pytest.mark.postgres
def test_one_advisory_lock_holder_at_a_time(pg_url):
    one, two = PgAdvisoryLock(Store(pg_url).url, "one"), PgAdvisoryLock(Store(pg_url).url, "two")
    try:
        assert one.try_acquire() and not two.try_acquire()
        assert one.still_held()
        one.release()
        assert two.try_acquire() and two.still_held()
    finally:
        one.release()
        two.release()


@pytest.mark.postgres
@pytest.mark.slow
def test_serve_workers_share_one_port_and_one_of_them_leads(pg_url, tmp_path):
    (port,) = free_ports(1)
    env = dict(os.environ, RUAM_LEADER_POLL_SECONDS="0.5", RUAM_TICK_MINUTES="60", RUAM_LOG_LEVEL="INFO")
    log = tmp_path / "serve.log"
    store = Store(pg_url)
    with log.open("w") as sink:
        proc = subprocess.Popen([RUAM, "serve", "--db", pg_url, "--port", str(port), "--workers", "2"],
                                cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT, text=True)
        try:
            _wait(lambda: log.read_text().count("Application startup complete") == 2, timeout=60)
            assert all(_healthy(port) for _ in range(20))
            leader = _wait(lambda: status(Ruam(store), 0.5)["leader"])
            assert not leader.endswith(f":{proc.pid}")  # a worker leads, not the parent that started them
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
            logs = log.read_text()
            assert logs.count("Finished server process") == 2 and logs.count('"leader.elected"') == 1
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
            store.dispose()


def test_serve_workers_are_refused_on_sqlite_before_the_file_is_made(tmp_path):
    db = tmp_path / "ruam.db"
    done = subprocess.run([RUAM, "serve", "--db", str(db), "--port", str(free_port()), "--workers", "2"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--workers" in done.stderr
    assert not db.exists()
