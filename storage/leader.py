"""Who runs the scheduler: a PostgreSQL session advisory lock, or a file lock for SQLite.

PostgreSQL: each ``ruam serve`` keeps one dedicated connection and asks
``pg_try_advisory_lock`` on it; the one that gets it is the leader. The lock
belongs to that *session*: when the leader's process dies its connection
closes, the server drops the lock at once and the next poll of another
process takes it. The old leader only learns it lost the lock at its next
query, so the work itself is fenced in the database too (the tick's own
transaction lock and the unique keys on calendar items and outbox messages).

SQLite: only one process may run the service on a file; an exclusive
``flock`` on ``<db>.serve.lock`` says so, and the OS drops it when the process dies.
"""

from __future__ import annotations

import fcntl
import os
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

# The advisory lock key of the scheduler leader: "Ruam" 02. As two 32-bit halves
# it shows in pg_locks as classid / objid.
LEADER_KEY = 0x5275616D02


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...


class PgAdvisoryLock:
    """The session advisory lock on a dedicated connection (never from the pool)."""

    def __init__(self, url: str, identity: str) -> None:
        self.url, self.identity = url, identity
        self.engine = create_engine(url, poolclass=NullPool,
                                    connect_args={"application_name": f"ruam-serve {identity}"[:63]})
        self.conn: Connection | None = None
        self.held = False

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
        try:
            self.held = bool(self._connection().execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_KEY}).scalar())
        except sa_exc.SQLAlchemyError:
            self._drop()
        return self.held

    def still_held(self) -> bool:
        """A query on the lock's own session: if the session is gone, so is the lock."""
        if not self.held or self.conn is None:
            return False
        try:
            mine = self.conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND classid = :hi AND objid = :lo"),
                {"hi": LEADER_KEY >> 32, "lo": LEADER_KEY & 0xFFFFFFFF}).scalar()
        except sa_exc.SQLAlchemyError:
            self._drop()
            return False
        self.held = bool(mine)
        return self.held

    def release(self) -> None:
        if self.conn is not None and self.held:
            try:
                self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_KEY})
            except sa_exc.SQLAlchemyError:
                pass
        self._drop()
        self.engine.dispose()


def pg_leader(conn: Connection) -> dict | None:
    """Who holds the leader lock now, as the server sees it (for ``ruam status``)."""
    row = conn.execute(text(
        "SELECT l.pid, a.application_name, a.backend_start FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.classid = :hi AND l.objid = :lo"),
        {"hi": LEADER_KEY >> 32, "lo": LEADER_KEY & 0xFFFFFFFF}).first()
    if row is None:
        return None
    name = row[1] or ""
    return {"pid": row[0], "identity": name.removeprefix("ruam-serve "), "connected_since": row[2]}


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
