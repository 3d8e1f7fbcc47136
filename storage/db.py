"""Engines for SQLite (embedded default) and PostgreSQL; the one place their
differences live."""

from __future__ import annotations

import os
import time

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError

from workflow.errors import UsageError

DEFAULT_SQLITE = "ruam.db"


def normalize_url(url: str | None) -> str:
    """A URL or a plain file path (read as SQLite); ``postgresql://`` uses psycopg 3."""
    if not url:
        url = DEFAULT_SQLITE
    if "://" not in url:
        return "sqlite:///" + os.path.abspath(url)
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - any parse failure is a usage error
        raise UsageError("--db", f"'{url}' is not a database URL", f"'{url}' ไม่ใช่ URL ของฐานข้อมูล") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise UsageError("--db", f"unsupported database '{parsed.drivername}' (use sqlite or postgresql)",
                         f"ไม่รองรับฐานข้อมูล '{parsed.drivername}' (ใช้ SQLite หรือ PostgreSQL)")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str | None, **kw) -> Engine:
    from storage.textguard import guard_engine

    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kw)
        _sqlite_setup(engine)
        guard_engine(engine)
        return engine
    kw.setdefault("pool_size", 10)
    kw.setdefault("max_overflow", 20)
    engine = create_engine(url, **kw)
    if not kw.get("pool_pre_ping"):
        _ping_when_idle(engine)
    guard_engine(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling without a round trip on every checkout.

    SQLAlchemy's ``pool_pre_ping`` pings each time a connection leaves the pool,
    a round trip as dear as a step's own statements. Here a connection that was
    back in the pool for more than PING_AFTER_IDLE_SECONDS is pinged (HikariCP's
    "alive bypass window"); a dead one raises ``DisconnectionError`` and the pool
    replaces it (SQLAlchemy's documented checkout-event recipe). A connection lost
    within the window fails its command as a database error, with nothing written;
    the pool then drops it.
    """

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn, record):
        record.info["ruam_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, _proxy):
        since = record.info.get("ruam_idle_since")
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE_SECONDS and not dbapi_conn.closed:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)  # what pool_pre_ping runs
        except Exception as exc:  # noqa: BLE001 - any failure means the connection is unusable
            raise DisconnectionError(f"connection lost: {exc}") from None
        if not alive:
            raise DisconnectionError("connection lost")


def _sqlite_setup(engine: Engine) -> None:
    """The pysqlite recipe: our own BEGIN, taking the write lock at the start.

    WAL lets readers run beside the one writer; synchronous=FULL makes a committed
    step survive a power cut; BEGIN IMMEDIATE takes the write lock before the first
    read of a command, so two writers never both read a chain head (a plain BEGIN
    upgrades late and fails with "database is locked" despite busy_timeout).
    Read-only work runs with the ``ruam_readonly`` execution option and a plain BEGIN.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # let us emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Straight to the driver: this runs once per command, and SQLAlchemy's
        # statement machinery cost more than the BEGIN itself.
        driver = conn.connection.driver_connection
        if driver.in_transaction:  # a step's, begun on the driver (Store._driver_transaction): join it
            return
        driver.execute("BEGIN" if conn.get_execution_options().get("ruam_readonly") else "BEGIN IMMEDIATE")
