"""Run Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.schema import ATTACHMENT_GUARD_SQL, LEDGER_GUARD_SQL

MIGRATIONS = Path(__file__).parent / "migrations"


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two services starting at once on an empty database: one migrates,
            # the other waits here and then finds the schema current.
            conn.execute(text("SELECT pg_advisory_xact_lock(7265610001)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        # A SQLite batch migration that rebuilds the ledger (or the attachments) drops its
        # triggers: re-assert them after every upgrade (the statements are idempotent).
        guards = LEDGER_GUARD_SQL[conn.dialect.name]
        if revision == "head" or revision >= "0004":  # the attachments' guard came with 0004
            guards = guards + ATTACHMENT_GUARD_SQL[conn.dialect.name]
        for statement in guards:
            conn.execute(text(statement))
