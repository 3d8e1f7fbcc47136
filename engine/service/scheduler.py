"""The scheduler wiring: APScheduler 3.11 wakes the engine; leader election.

What is due lives in Ruam's own tables and is computed by the idempotent
``tick``; APScheduler only decides *when to wake up*. Its jobs are kept in a
SQLAlchemy job store in the service's own database (table
``apscheduler_jobs``), timezone Asia/Bangkok, ``coalesce=True`` (a backlog of
missed runs is one run) and a misfire grace time of an hour. Both jobs are
added with stable ids and ``replace_existing`` at every start: a run dropped by
that is harmless, because the next tick catches up on everything.

The jobs are stored as a reference to ``engine.service.scheduler:scheduled_tick``;
both jobs are replaced at every election, so a reference stored by an earlier
layout (``engine.scheduler:scheduled_tick``) is overwritten before it is read.
It finds the running service through a module variable rather than pickled
arguments, so nothing but the reference is ever pickled.

Exactly one ``ruam serve`` runs the scheduler: the holder of the leader lock
(``storage.leader``). The others keep serving the web and poll the lock. On
PostgreSQL the lock is a lease the leader renews at every poll; a leader that
lost it (frozen past the lease, or its connection gone) stops its scheduler at
its next poll, and its job asks the lock before every run, so a leader waking
from a freeze does not tick on a lock it no longer holds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import structlog
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.app import Ruam
from engine.audit.seal_schedule import seal_if_due
from engine.audit.seal_schedule import settings as seal_settings
from engine.logs import get_logger
from engine.calendar import tick
from engine.offices import tick_every_office
from engine.outbox import SmtpConfig, deliver
from storage.leader import DEFAULT_LEASE_SECONDS, LeaderLock, PgAdvisoryLock, SqliteFileLock
from workflow.errors import Refused

BANGKOK = ZoneInfo("Asia/Bangkok")
JOB_INTERVAL = "ruam-tick-interval"
JOB_MIDNIGHT = "ruam-tick-midnight"
MISFIRE_GRACE_SECONDS = 3600
JOB_FUNC = "engine.service.scheduler:scheduled_tick"  # this function's import path, as the job store keeps it

log = get_logger("ruam.scheduler")

_runner: Runner | None = None


def scheduled_tick() -> None:
    """The one job function (stored by its path, JOB_FUNC: change both together)."""
    runner = _runner
    if runner is not None:
        runner.run()


class AlreadyRunning(Refused):
    code = "already_running"

    def __init__(self, path: str, holder: str) -> None:
        self.path, self.holder = path, holder
        super().__init__(
            f"another 'ruam serve' (pid {holder}) is already running on this SQLite database; "
            "SQLite allows one service process (use PostgreSQL for several)",
            f"มี 'ruam serve' อีกตัว (pid {holder}) ทำงานกับฐานข้อมูล SQLite นี้อยู่แล้ว; "
            "SQLite รองรับบริการได้เพียงหนึ่งโปรเซส (ใช้ PostgreSQL หากต้องการหลายโปรเซส)")


def identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Runner:
    """What a wake-up does: tick, then deliver the outbox; results and errors to the status row."""

    def __init__(self, app: Ruam, smtp: SmtpConfig | None = None, who: str | None = None,
                 still_leading: Callable[[], bool] | None = None) -> None:
        self.app, self.smtp, self.who = app, smtp, who or identity()
        self.still_leading = still_leading
        self.lock = threading.Lock()
        self.seals = seal_settings()  # (key directory, cadence)

    def run(self) -> None:
        if self.still_leading is not None and not self.still_leading():
            log.warning("scheduler.run_skipped_not_leader", leader=self.who)
            return
        # Context variables do not reach the pool's threads and leak between jobs
        # on a reused thread: clear and bind them for each run.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(job="tick", leader=self.who)
        try:
            with self.lock:
                # each office's calendar and outbox (tick and deliver named here: tests replace them)
                every = tick_every_office(self.app, self.smtp, tick=tick, deliver=deliver,  # and a seal
                                          seal=lambda office: seal_if_due(office, *self.seals))
                offices = every["offices"]
                # one office: the summary as before; several: per office
                summary = (next(iter(offices.values())) if len(offices) == 1 and not every["failed"]
                           else {"offices": offices, "failed": every["failed"]})
                with self.app.store.transaction() as tx:
                    values: dict = {"last_tick_summary": json.dumps(summary, default=str)}
                    if every["at"] is not None:
                        values["last_tick_at"] = every["at"]
                    if every["failed"]:
                        values.update(last_error=json.dumps(every["failed"], ensure_ascii=False)[:2000],
                                      last_error_at=self.app.now())
                    tx.put_service_status(**values)
        except Exception as exc:
            log.error("scheduler.job_failed", error=repr(exc), exc_info=True)
            try:
                with self.app.store.transaction() as tx:
                    tx.put_service_status(last_error=f"{type(exc).__name__}: {exc}"[:2000],
                                          last_error_at=self.app.now())
            except Exception as inner:  # noqa: BLE001 - the database itself may be the problem
                log.error("scheduler.status_write_failed", error=repr(inner))
            raise
        finally:
            structlog.contextvars.clear_contextvars()


def _listener(event) -> None:
    # Runs synchronously in the scheduler; its own exceptions are swallowed: keep it trivial.
    if event.code == EVENT_JOB_MISSED:
        log.warning("scheduler.job_missed", job=event.job_id)
    else:
        log.error("scheduler.job_error", job=event.job_id, error=repr(event.exception))


def build_scheduler(app: Ruam, runner: Runner, *, interval_minutes: float = 15,
                    persistent: bool = True, first_run: dt.datetime | None = None) -> BackgroundScheduler:
    global _runner
    _runner = runner
    store = (SQLAlchemyJobStore(engine=app.store.engine, tablename="apscheduler_jobs") if persistent
             else MemoryJobStore())
    scheduler = BackgroundScheduler(
        timezone=BANGKOK, jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS, "max_instances": 1})
    scheduler.add_listener(_listener, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    # A wake-up every few minutes (and at once on start: catch up after downtime) …
    scheduler.add_job(JOB_FUNC, IntervalTrigger(minutes=interval_minutes, timezone=BANGKOK),
                      id=JOB_INTERVAL, name="calendar tick", replace_existing=True,
                      next_run_time=first_run or dt.datetime.now(BANGKOK))
    # … and one just after midnight Bangkok, when windows open and items fall due.
    scheduler.add_job(JOB_FUNC, CronTrigger(hour=0, minute=0, second=5, timezone=BANGKOK),
                      id=JOB_MIDNIGHT, name="calendar tick at midnight", replace_existing=True)
    return scheduler


class Service:
    """Leader election and the scheduler's life in one ``ruam serve`` process."""

    def __init__(self, app: Ruam, lock: LeaderLock, *, smtp: SmtpConfig | None = None,
                 interval_minutes: float = 15, poll_seconds: float = 10.0, persistent: bool = True) -> None:
        self.app, self.lock = app, lock
        self.who = identity()
        self.runner = Runner(app, smtp, self.who, still_leading=lock.still_held)
        self.interval_minutes, self.poll_seconds, self.persistent = interval_minutes, poll_seconds, persistent
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_app(cls, app: Ruam, *, lease_seconds: float = DEFAULT_LEASE_SECONDS, **kw) -> Service:
        if app.store.dialect == "postgresql":
            return cls(app, PgAdvisoryLock(app.store.url, identity(), lease_seconds), **kw)
        lock = SqliteFileLock(app.store.url)
        return cls(app, lock, **kw)

    @property
    def leading(self) -> bool:
        return self.scheduler is not None

    def start(self) -> None:
        self._try_elect()
        self._thread = threading.Thread(target=self._loop, name="ruam-leader", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self._try_elect()

    def _try_elect(self) -> None:
        try:
            self._elect()
        except Exception as exc:  # noqa: BLE001 - keep serving and electing; a dead database comes back
            log.error("leader.poll_failed", error=repr(exc))

    def _elect(self) -> None:
        if self.leading:
            if self.lock.still_held():
                self._heartbeat()
            else:
                log.warning("leader.lost", leader=self.who)
                self._stop_scheduler(wait=False)
        elif self.lock.try_acquire():
            log.info("leader.elected", leader=self.who)
            if getattr(self.lock, "lease_enforced", None) is False:
                log.warning("leader.lease_not_enforced", leader=self.who,
                            reason="PostgreSQL < 14 has no idle_session_timeout: a frozen leader keeps the lock")
            self.scheduler = build_scheduler(self.app, self.runner, interval_minutes=self.interval_minutes,
                                             persistent=self.persistent)
            self.scheduler.start()
            now, wakeup = self.app.now(), self._next_wakeup()
            with self.app.store.transaction() as tx:
                tx.put_service_status(leader=self.who, leader_since=now, heartbeat_at=now, running=True,
                                      next_wakeup=wakeup)

    def _next_wakeup(self) -> dt.datetime | None:
        if self.scheduler is None:
            return None
        times = [j.next_run_time for j in self.scheduler.get_jobs() if j.next_run_time]
        return min(times).astimezone(dt.timezone.utc) if times else None

    def _heartbeat(self) -> None:
        # Read the job store before opening our transaction: on SQLite the job
        # store's own connection would wait for our write lock (a self-deadlock).
        wakeup = self._next_wakeup()
        with self.app.store.transaction() as tx:
            tx.put_service_status(leader=self.who, heartbeat_at=self.app.now(), running=True, next_wakeup=wakeup)

    def _stop_scheduler(self, wait: bool) -> None:
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=wait)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        was_leading = self.leading
        self._stop_scheduler(wait=True)
        if was_leading:
            try:
                with self.app.store.transaction() as tx:
                    if (tx.service_status() or {}).get("leader") == self.who:
                        tx.put_service_status(running=False, next_wakeup=None)
            except Exception as exc:  # noqa: BLE001 - shutting down: log and go on
                log.error("leader.status_write_failed", error=repr(exc))
        self.lock.release()
        log.info("leader.stopped", leader=self.who, was_leading=was_leading)
