"""Tables. The ledger is the truth; every other table is a projection of it or
a content-addressed store (definitions, attachments) that the ledger names by hash."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger, Boolean, Column, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table,
    Text, TypeDecorator, UniqueConstraint, DateTime,
)

# The Alembic revision this code expects; ``ruam init`` upgrades to it.
SCHEMA_REVISION = "0003"

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both backends (SQLite keeps no zone: store naive UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(DateTime(timezone=dialect.name != "sqlite"))


ledger = Table(
    "ledger", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("kind", String(64), nullable=False),
    Column("process_id", String(128), nullable=True),
    Column("actor", String(64), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("body", Text, nullable=False),
    Index(None, "process_id", "seq"),
)

chain_head = Table(
    "chain_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

definitions = Table(
    "definitions", metadata,
    Column("version", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("content", Text, nullable=False),
    Column("registered_at", UTCDateTime(), nullable=False),
)

active_definitions = Table(
    "active_definitions", metadata,
    Column("kind", String(32), primary_key=True),
    Column("version", String(64), ForeignKey("definitions.version"), nullable=False),
)

people = Table(
    "people", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("position", String(256), nullable=False, default=""),
    Column("email", String(256), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

role_assignments = Table(
    "role_assignments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("person_id", String(64), ForeignKey("people.id"), nullable=False),
    Column("role", String(64), nullable=False),
    Column("scope", String(128), nullable=True),
    Column("valid_from", UTCDateTime(), nullable=False),
    Column("valid_until", UTCDateTime(), nullable=True),
    Index(None, "role", "scope"),
    Index(None, "person_id"),
)

processes = Table(
    "processes", metadata,
    Column("id", String(128), primary_key=True),
    Column("fiscal_year", Integer, nullable=False),
    Column("task_id", String(128), nullable=False),
    Column("procedure_version", String(64), ForeignKey("definitions.version"), nullable=False),
    Column("organization_version", String(64), ForeignKey("definitions.version"), nullable=False),
    Column("state", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("fiscal_year", "task_id"),
    Index(None, "fiscal_year", "state"),
)

document_numbers = Table(
    "document_numbers", metadata,
    Column("kind", String(32), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("number", String(128), primary_key=True),
    Column("process_id", String(128), nullable=False),
)

attachments = Table(
    "attachments", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("media_type", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("stored_at", UTCDateTime(), nullable=False),
)

feedback = Table(
    "feedback", metadata,
    Column("id", String(64), primary_key=True),
    Column("process_id", String(128), ForeignKey("processes.id"), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("decided", Boolean, nullable=False, default=False),
    Index(None, "process_id", "decided"),
)

# -- web accounts (revision 0003). Secrets are never stored: only argon2 hashes of
# passwords and sha256 hashes of session ids and API tokens.
credentials = Table(
    "credentials", metadata,
    Column("person_id", String(64), ForeignKey("people.id"), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("person_id", String(64), ForeignKey("people.id"), nullable=False),
    Column("label", String(128), nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Index(None, "person_id"),
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("person_id", String(64), ForeignKey("people.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index(None, "person_id"),
)

login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index(None, "account", "at"),
)

web_settings = Table(
    "web_settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# SQL that makes the ledger refuse UPDATE and DELETE (defence in depth for
# invariant 1). Re-create it in any migration that rebuilds the ledger table.
LEDGER_GUARD_SQL = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger "
        "BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger "
        "BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'ledger is append-only'; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS ledger_no_update ON ledger",
        "CREATE TRIGGER ledger_no_update BEFORE UPDATE OR DELETE ON ledger "
        "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
        "DROP TRIGGER IF EXISTS ledger_no_truncate ON ledger",
        "CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()",
    ],
}
