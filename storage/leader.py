"""Who runs the scheduler: a PostgreSQL session advisory lock, or a file lock for SQLite.

PostgreSQL: each ``ruam serve`` keeps one dedicated connection and asks
``pg_try_advisory_lock`` on it; the one that gets it is the leader. The lock
belongs to that *session*: when the leader's process dies its connection
closes, the server drops the lock at once and the next poll of another
process takes it. The old leader only learns it lost the lock at its next
query, so the work itself is fenced in the database too (the tick's own
transaction lock and the unique keys on calendar items and outbox messages).

A lock held by a live connection is not enough: a leader frozen by SIGSTOP
(or a stalled VM, or a host cut off the network) keeps its session open and
would keep the lock for ever. So leadership is a *lease*: once elected, the
leader's lock session sets ``idle_session_timeout`` to the lease
(``RUAM_LEADER_LEASE_SECONDS``, 30) and renews it by running a statement on
that session at every poll. If the leader stops renewing, the server itself —
by its own clock, whatever the leader's clock says — ends the session when
the lease runs out, which drops the lock, and a standby's next poll takes it.
A leader that wakes finds its session gone at its next statement and stops its
scheduler (see ``engine.scheduler``). ``idle_session_timeout`` needs
PostgreSQL 14 or later; on an older server the lease is not enforced (a
warning at election) and a frozen leader is replaced only when its connection drops.

Advisory locks are per database, so one server may hold the leaders of several
Ruam databases; every look at ``pg_locks`` here is filtered to this database.

SQLite: only one process may run the service on a file; an exclusive
``flock`` on ``<db>.serve.lock`` says so, and the OS drops it when the process dies.
"""

from __future__ import annotations

import fcntl
import os
import threading
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

# The advisory lock key of the scheduler leader: "Ruam" 02. As two 32-bit halves
# it shows in pg_locks as classid / objid.
LEADER_KEY = 0x5275616D02
# A bigint key shows with objsubid 1 (a pair of int4 keys would be 2).
_THIS_LOCK = ("l.locktype = 'advisory' AND l.granted AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1 "
              "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())")
_KEY_PARTS = {"hi": LEADER_KEY >> 32, "lo": LEADER_KEY & 0xFFFFFFFF}
DEFAULT_LEASE_SECONDS = 30.0


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...


class PgAdvisoryLock:
    """The session advisory lock on a dedicated connection (never from the pool), as a lease.

    Used from two threads (the leader loop and the scheduler's job, which asks
    ``still_held`` before each run), so the connection is behind a mutex.
    """

    def __init__(self, url: str, identity: str, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        self.url, self.identity, self.lease_seconds = url, identity, lease_seconds
        self.engine = create_engine(url, poolclass=NullPool,
                                    connect_args={"application_name": f"ruam-serve {identity}"[:63]})
        self.conn: Connection | None = None
        self.held = False
        self.lease_enforced: bool | None = None  # known once elected: False on a server without the setting
        self._mutex = threading.RLock()

    def _connection(self) -> Connection:
        if self.conn is None:
            self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self.conn

    def _drop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.invalidate()
                self.conn.close()
            except sa_exc.SQLAlchemyError:
                pass
        self.conn, self.held = None, False

    def try_acquire(self) -> bool:
        with self._mutex:
            try:
                self.held = bool(self._connection().execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_KEY}).scalar())
                if self.held:
                    self._start_lease()
            except sa_exc.SQLAlchemyError:
                self._drop()
            return self.held

    def _start_lease(self) -> None:
        """The server ends this session (and so drops the lock) once it has been idle for a lease."""
        assert self.conn is not None
        try:
            self.conn.execute(text("SELECT set_config('idle_session_timeout', :ms, false)"),
                              {"ms": str(max(1, round(self.lease_seconds * 1000)))})
            self.lease_enforced = True
        except sa_exc.ProgrammingError:  # PostgreSQL < 14: "unrecognized configuration parameter"
            self.lease_enforced = False

    def still_held(self) -> bool:
        """A statement on the lock's own session — which also renews the lease.

        If the session is gone (the leader was frozen past its lease and the
        server ended it, or the connection broke), so is the lock.
        """
        with self._mutex:
            if not self.held or self.conn is None:
                return False
            try:
                mine = self.conn.execute(text(
                    f"SELECT count(*) FROM pg_locks l WHERE {_THIS_LOCK} AND l.pid = pg_backend_pid()"),
                    _KEY_PARTS).scalar()
            except sa_exc.SQLAlchemyError:
                self._drop()
                return False
            self.held = bool(mine)
            return self.held

    def release(self) -> None:
        with self._mutex:
            if self.conn is not None and self.held:
                try:
                    self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_KEY})
                except sa_exc.SQLAlchemyError:
                    pass
            self._drop()
            self.engine.dispose()


def pg_leader(conn: Connection) -> dict | None:
    """Who holds this database's leader lock now, as the server sees it (for ``ruam status``).

    ``last_seen`` is when the holder's lock session last ran a statement (its
    last lease renewal, by the server's clock); None when this role may not see
    that session's activity.
    """
    row = conn.execute(text(
        "SELECT l.pid, a.application_name, a.backend_start, a.state_change FROM pg_locks l "
        f"JOIN pg_stat_activity a ON a.pid = l.pid WHERE {_THIS_LOCK}"), _KEY_PARTS).first()
    if row is None:
        return None
    name = row[1] or ""
    return {"pid": row[0], "identity": name.removeprefix("ruam-serve "), "connected_since": row[2],
            "last_seen": row[3]}


class SqliteFileLock:
    """One service process per SQLite file: an exclusive, non-blocking flock."""

    def __init__(self, db_url: str) -> None:
        database = make_url(db_url).database or "ruam.db"
        self.path = os.path.abspath(database) + ".serve.lock"
        self.fd: int | None = None

    def holder(self) -> str:
        try:
            with open(self.path, encoding="utf-8") as f:
                return f.read().strip() or "?"
        except OSError:
            return "?"

    def try_acquire(self) -> bool:
        if self.fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return True

    def still_held(self) -> bool:
        return self.fd is not None

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
