"""Run Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from storage.schema import ATTACHMENT_GUARD_SQL, DEFAULT_OFFICE, LEDGER_GUARD_SQL, ROLES_EPOCH_SQL
from workflow.errors import Refused

MIGRATIONS = Path(__file__).parent / "migrations"
OFFICES_REVISION = "0007"  # the revision that made offices: below it a database is one office


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = config()
    with engine.begin() as conn:
        _lock(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        _guards(conn, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Back to ``revision``, in one transaction. Going below offices (0007) is refused,
    before anything changes, while the database holds an office other than the default."""
    cfg = config()
    with engine.begin() as conn:
        _lock(conn)
        current = _current(conn)
        if current is not None and OFFICES_REVISION in _undone(cfg, current, revision):
            refuse_other_offices(conn)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        now = _current(conn)
        if now is not None:  # None: back to an empty database
            _guards(conn, now)


def other_offices(conn: Connection) -> list[tuple[int, str, str]]:
    """The offices other than the default one that the database holds: an ``offices`` row,
    or any row of office data carrying its id. ``(id, code, Thai name)``, by id."""
    tables = inspect(conn).get_table_names()
    ids: set[int] = set()
    for table in tables:
        columns = {c["name"] for c in inspect(conn).get_columns(table)}
        key = "office_id" if "office_id" in columns else "id" if table in ("chain_head", "calendar_state") else None
        if key is not None:
            ids.update(conn.execute(text(f"SELECT DISTINCT {key} FROM {table} WHERE {key} <> :d"),
                                    {"d": DEFAULT_OFFICE}).scalars())
    named = {}
    if "offices" in tables:
        named = {r[0]: (r[1], r[2]) for r in conn.execute(text("SELECT id, code, name_th FROM offices"))}
        ids.update(i for i in named if i != DEFAULT_OFFICE)
    return [(i, *named.get(i, (f"#{i}", f"#{i}"))) for i in sorted(ids)]


def refuse_other_offices(conn: Connection) -> None:
    """Refused, naming them, while the database holds offices other than the default:
    a database before offices has one chain, and theirs would have nowhere to go."""
    others = other_offices(conn)
    if not others:
        return
    en = ", ".join(code for _, code, _ in others)
    th = ", ".join(f"{name} ({code})" for _, code, name in others)
    raise Refused(
        f"cannot go back to a schema before offices: the database holds offices other than "
        f"the default one ({en}); nothing was changed",
        f"ย้อนโครงสร้างฐานข้อมูลไปก่อนมีหลายสำนักงานไม่ได้: ฐานข้อมูลมีสำนักงานอื่นนอกจากสำนักงานหลัก "
        f"({th}) ไม่มีสิ่งใดถูกเปลี่ยน",
    )


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        # Two services starting at once on an empty database: one migrates,
        # the other waits here and then finds the schema current.
        conn.execute(text("SELECT pg_advisory_xact_lock(7265610001)"))


def _current(conn: Connection) -> str | None:
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _undone(cfg: Config, current: str, target: str) -> list[str]:
    """The revisions a downgrade from ``current`` to ``target`` undoes (``target`` itself stays)."""
    return [r.revision for r in ScriptDirectory.from_config(cfg).iterate_revisions(current, target)]


def _guards(conn: Connection, revision: str) -> None:
    # A SQLite batch migration that rebuilds the ledger (or the attachments) drops its
    # triggers: re-assert them after every migration (the statements are idempotent).
    guards = LEDGER_GUARD_SQL[conn.dialect.name]
    if revision == "head" or revision >= "0004":  # the attachments' guard came with 0004
        guards = guards + ATTACHMENT_GUARD_SQL[conn.dialect.name]
    if revision == "head" or revision >= "0010":  # (a batch rebuild of role_assignments drops its trigger too)
        guards = guards + ROLES_EPOCH_SQL[conn.dialect.name]
    for statement in guards:
        conn.execute(text(statement))
