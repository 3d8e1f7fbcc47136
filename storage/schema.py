"""Tables. The ledger is the truth; every other table is a projection of it or
a content-addressed store (definitions, attachments) that the ledger names by hash."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    Unicode,
    UniqueConstraint,
)

# The Alembic revision this code expects; ``ruam init`` upgrades to it.
SCHEMA_REVISION = "0010"

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


# -- offices (revision 0007). Every row of office data carries its office's id; the
# default office (id 1) is the one a database had before there were offices.
DEFAULT_OFFICE = 1

offices = Table(
    "offices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(32), nullable=False, unique=True),     # what commands and URLs name
    Column("name_th", String(256), nullable=False),
    Column("name_en", String(256), nullable=False, default=""),
    Column("sender", String(256), nullable=True),                # the outbox's From address
    Column("created_at", UTCDateTime(), nullable=False),
    # moved by every change of the office's role assignments (ROLES_EPOCH_SQL; migration 0010)
    Column("roles_epoch", BigInteger, nullable=False, server_default="0"),
)


def office_column() -> Column:
    # the default (1): what a database had before offices, and a row written without one
    return Column("office_id", Integer, ForeignKey("offices.id"), nullable=False, primary_key=True,
                  autoincrement=False, server_default="1")


# One chain per office: its records are numbered 1, 2, … within the office.
ledger = Table(
    "ledger", metadata,
    office_column(),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Column("kind", String(64), nullable=False),
    Column("process_id", String(128), nullable=True),
    Column("actor", String(64), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("office_id", "prev_hash"),
    Index(None, "office_id", "process_id", "seq"),
)

# One head row per office, ``id`` = the office's id: appenders of one office queue on
# its row lock, those of other offices do not wait for them.
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

# The definitions stay one content-addressed store; which an office registered (and
# may read) is ``office_definitions``; which it uses is ``active_definitions``.
office_definitions = Table(
    "office_definitions", metadata,
    office_column(),
    Column("version", String(64), ForeignKey("definitions.version"), primary_key=True),
    Column("registered_at", UTCDateTime(), nullable=False),
)

active_definitions = Table(
    "active_definitions", metadata,
    office_column(),
    Column("kind", String(32), primary_key=True),
    Column("version", String(64), ForeignKey("definitions.version"), nullable=False),
)

# A person belongs to one office. A role in another office is granted there, explicitly:
# a role assignment of that office naming the person as ``person@CODE`` (their office's code).
people = Table(
    "people", metadata,
    office_column(),
    Column("id", String(64), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("position", String(256), nullable=False, default=""),
    Column("email", String(256), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

role_assignments = Table(
    "role_assignments", metadata,
    office_column(),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("person_id", String(64), nullable=False),   # a person of the office, or person@CODE of another
    Column("role", String(64), nullable=False),
    Column("scope", String(128), nullable=True),
    Column("valid_from", UTCDateTime(), nullable=False),
    Column("valid_until", UTCDateTime(), nullable=True),
    Index(None, "office_id", "scope", "role"),  # a step reads the assignments of a task's scopes
    Index(None, "office_id", "person_id"),
    Index(None, "person_id"),                   # the offices that granted a person@CODE a role
)

processes = Table(
    "processes", metadata,
    office_column(),
    Column("id", String(128), primary_key=True),
    Column("fiscal_year", Integer, nullable=False),
    Column("task_id", String(128), nullable=False),
    Column("procedure_version", String(64), ForeignKey("definitions.version"), nullable=False),
    Column("organization_version", String(64), ForeignKey("definitions.version"), nullable=False),
    Column("state", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # (fiscal_year, task_id) also serves look-ups by year; no index on state,
    # which every step changes (one more B-tree page written per commit).
    UniqueConstraint("office_id", "fiscal_year", "task_id"),
)

document_numbers = Table(
    "document_numbers", metadata,
    office_column(),
    Column("kind", String(32), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("number", String(128), primary_key=True),
    Column("process_id", String(128), nullable=False),
)

attachments = Table(
    "attachments", metadata,
    office_column(),
    Column("sha256", String(64), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("media_type", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("stored_at", UTCDateTime(), nullable=False),
)

feedback = Table(
    "feedback", metadata,
    office_column(),
    Column("id", String(64), primary_key=True),
    Column("process_id", String(128), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("decided", Boolean, nullable=False, default=False),
    ForeignKeyConstraint(["office_id", "process_id"], ["processes.office_id", "processes.id"],
                         name="fk_feedback_process_processes"),
    Index(None, "office_id", "process_id", "decided"),
)

# -- the calendar (revision 0002) ------------------------------------------------------
# One row per round of a calendar item for one subject in one fiscal year. The
# unique key is the fence that makes a second tick (or a second, stale leader)
# unable to create an item twice.
calendar_items = Table(
    "calendar_items", metadata,
    office_column(),
    Column("id", String(255), primary_key=True),
    Column("fiscal_year", Integer, nullable=False),
    Column("item", String(64), nullable=False),
    Column("round", String(64), nullable=False),
    Column("subject", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("per", String(16), nullable=False),
    Column("calendar_version", String(64), ForeignKey("definitions.version"), nullable=False),
    Column("opens_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("opens_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),        # overdue from this instant on
    Column("status", String(16), nullable=False),          # open | done | not_applicable
    Column("responsible", Text, nullable=False),           # JSON [{person, role}] named when it opened
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("overdue_at", UTCDateTime(), nullable=True),
    Column("escalated_to", Text, nullable=True),           # JSON [{person, role}]
    Column("completed_at", UTCDateTime(), nullable=True),
    Column("completed_by", String(64), nullable=True),
    Column("late", Boolean, nullable=False, default=False),
    Column("last_seq", BigInteger, nullable=False),
    UniqueConstraint("office_id", "fiscal_year", "item", "round", "subject"),
    Index(None, "office_id", "fiscal_year", "status"),
)

calendar_reminders = Table(
    "calendar_reminders", metadata,
    office_column(),
    Column("item_id", String(255), primary_key=True),
    Column("days_before", Integer, primary_key=True),
    Column("status", String(16), nullable=False),          # queued | superseded
    Column("recorded_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["office_id", "item_id"], ["calendar_items.office_id", "calendar_items.id"],
                         name="fk_calendar_reminders_item_calendar_items"),
)

# one row per office, ``id`` = the office's id (as the chain head)
calendar_state = Table(
    "calendar_state", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("started_fy", Integer, nullable=False),
    Column("last_tick_at", UTCDateTime(), nullable=True),
)

# Operational state of the scheduler (not a projection of the ledger): written by
# the leader, read by ``ruam status`` from any process.
service_status = Table(
    "service_status", metadata,
    Column("name", String(32), primary_key=True),
    Column("leader", String(255), nullable=True),
    Column("leader_since", UTCDateTime(), nullable=True),
    Column("heartbeat_at", UTCDateTime(), nullable=True),
    Column("running", Boolean, nullable=False, default=False),
    Column("next_wakeup", UTCDateTime(), nullable=True),
    Column("last_tick_at", UTCDateTime(), nullable=True),
    Column("last_tick_summary", Text, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_error_at", UTCDateTime(), nullable=True),
)

# Notifications, written in the same transaction as the ledger record that
# caused them; ``dedupe_key`` makes queuing one message twice impossible.
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("office_id", Integer, ForeignKey("offices.id"), nullable=False, server_default="1"),
    Column("dedupe_key", String(255), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("person", String(64), nullable=False),
    Column("email", String(256), nullable=True),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),          # pending | sending | sent | failed | no_address
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("claimed_at", UTCDateTime(), nullable=True),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("office_id", "dedupe_key"),
    Index(None, "status", "next_attempt_at"),
)

# APScheduler 3's SQLAlchemy job store table, created here so the schema has one
# owner (the job store's own create-if-missing then finds it).
apscheduler_jobs = Table(
    "apscheduler_jobs", metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


# -- web accounts (revision 0003). Secrets are never stored: only argon2 hashes of
# passwords and sha256 hashes of session ids and API tokens.
def _person_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["office_id", "person_id"], ["people.office_id", "people.id"],
                                name=f"fk_{table}_person_people")


credentials = Table(
    "credentials", metadata,
    office_column(),
    Column("person_id", String(64), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    _person_fk("credentials"),
)

# a token and a session belong to the office of the person they sign in
api_tokens = Table(
    "api_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("office_id", Integer, ForeignKey("offices.id"), nullable=False, server_default="1"),
    Column("person_id", String(64), nullable=False),
    Column("label", String(128), nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    # 0006: what lists and revokes a token without its secret: ``id`` is the first 16 hex
    # digits of token_hash (no way back to the token); last use to the minute; who revoked it
    Column("id", String(16), nullable=True),
    Column("last_used_at", UTCDateTime(), nullable=True),
    Column("revoked_by", String(64), nullable=True),
    _person_fk("api_tokens"),
    Index(None, "office_id", "person_id"),
    Index(None, "id", unique=True),
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("office_id", Integer, ForeignKey("offices.id"), nullable=False, server_default="1"),
    Column("person_id", String(64), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    _person_fk("web_sessions"),
    Index(None, "office_id", "person_id"),
)

login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("office_id", Integer, ForeignKey("offices.id"), nullable=False, server_default="1"),
    Column("account", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index(None, "account", "at"),
)

web_settings = Table(
    "web_settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# -- the clock of a demonstration database (revision 0005). A row exists only on a
# database marked as a simulation (``ruam init --demo``): its time runs ``offset_us``
# ahead of the real clock once ``ruam tick --now`` moved it forward. A real office's
# database has no row, and a tick ahead of its clock is refused.
database_clock = Table(
    "database_clock", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("offset_us", BigInteger, nullable=False, default=0),
    Column("marked_at", UTCDateTime(), nullable=False),
    Column("moved_at", UTCDateTime(), nullable=True),      # the real time of the last move
    Column("moved_to", UTCDateTime(), nullable=True),      # the simulated time it moved to
)

# 0006: what anonymous requests leave behind, shared by every server process.
# A public form's token, once an opinion was sent with it (kept until the token expires).
form_tokens_used = Table(
    "form_tokens_used", metadata,
    Column("token_id", String(64), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index(None, "expires_at"),
)

# Per-address limits: hits per (limit, keyed hash of the address, window). The address
# itself is never stored; rows older than two windows are pruned.
rate_hits = Table(
    "rate_hits", metadata,
    Column("bucket", String(32), primary_key=True),
    Column("subject", String(64), primary_key=True),
    Column("window_start", BigInteger, primary_key=True, autoincrement=False),
    Column("hits", Integer, nullable=False),
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

# Every insert, update or delete of a role assignment moves its office's roles epoch, in the
# same transaction (a step that ran on assignments it read earlier checks the epoch when it
# writes: engine.steps). Idempotent: re-asserted after each migration, as the guards are.
ROLES_EPOCH_SQL = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS role_assignments_epoch_{event} AFTER {event.upper()} ON role_assignments "
        f"BEGIN UPDATE offices SET roles_epoch = roles_epoch + 1 WHERE id = {row}.office_id; END"
        for event, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD"))
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION ruam_roles_epoch() RETURNS trigger AS $$ "
        "BEGIN UPDATE offices SET roles_epoch = roles_epoch + 1 "
        "WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.office_id ELSE NEW.office_id END; "
        "RETURN NULL; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS role_assignments_epoch ON role_assignments",
        "CREATE TRIGGER role_assignments_epoch AFTER INSERT OR UPDATE OR DELETE ON role_assignments "
        "FOR EACH ROW EXECUTE FUNCTION ruam_roles_epoch()",
    ],
}

# The same for the attachments (revision 0004): a stored file is part of the record
# (invariant 10), so its row and bytes are never updated or deleted either.
ATTACHMENT_GUARD_SQL = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS attachments_no_update BEFORE UPDATE ON attachments "
        "BEGIN SELECT RAISE(ABORT, 'attachments are append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS attachments_no_delete BEFORE DELETE ON attachments "
        "BEGIN SELECT RAISE(ABORT, 'attachments are append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION attachments_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'attachments are append-only'; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS attachments_no_update ON attachments",
        "CREATE TRIGGER attachments_no_update BEFORE UPDATE OR DELETE ON attachments "
        "FOR EACH ROW EXECUTE FUNCTION attachments_append_only()",
        "DROP TRIGGER IF EXISTS attachments_no_truncate ON attachments",
        "CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments "
        "FOR EACH STATEMENT EXECUTE FUNCTION attachments_append_only()",
    ],
}
