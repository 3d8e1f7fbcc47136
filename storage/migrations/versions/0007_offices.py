"""Offices: every row of office data carries its office; one hash chain per office.

A database made before offices becomes the default office (id 1, code ``default``)
with its chain intact: every ledger row keeps its seq, prev_hash, hash and exact
text (the default office's records carry no office field, so no hash changes);
the one chain head row (id 1) is already the default office's head.

Tables whose keys gain ``office_id`` are copied aside, dropped and made again with
the new keys (the same way on both backends: SQLite cannot change a primary key in
place), then filled from the copy. The tables below are this revision's, written
out here (not taken from ``storage.schema``, which later revisions change).

Downgrade: the reverse, byte for byte the same way, back to the tables as 0001-0006
made them (every key and index by its name), only while the database holds the
default office alone; with another office (a row of it anywhere) it is refused,
naming the offices, before anything changes (``storage.migrate.downgrade`` checks
before the first revision is undone; the whole runs in one transaction).

Revision ID: 0007
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

M = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})
C, S, I, T = sa.Column, sa.String, sa.Integer, sa.Text


def office() -> sa.Column:
    return C("office_id", I, sa.ForeignKey("offices.id"), nullable=False, primary_key=True, autoincrement=False,
             server_default="1")


def person_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["office_id", "person_id"], ["people.office_id", "people.id"],
                                   name=f"fk_{table}_person_people")


offices = sa.Table(
    "offices", M,
    C("id", I, primary_key=True, autoincrement=False),
    C("code", S(32), nullable=False, unique=True),
    C("name_th", S(256), nullable=False),
    C("name_en", S(256), nullable=False),
    C("sender", S(256), nullable=True),
    C("created_at", UTCDateTime(), nullable=False),
)
sa.Table("definitions", M, C("version", S(64), primary_key=True))  # referred to; not made here
office_definitions = sa.Table(
    "office_definitions", M, office(),
    C("version", S(64), sa.ForeignKey("definitions.version"), primary_key=True),
    C("registered_at", UTCDateTime(), nullable=False),
)
# the rebuilt tables, parents before children
REBUILT = [
    sa.Table("ledger", M, office(),
             C("seq", sa.BigInteger, primary_key=True, autoincrement=False),
             C("prev_hash", S(64), nullable=False), C("hash", S(64), nullable=False, unique=True),
             C("kind", S(64), nullable=False), C("process_id", S(128), nullable=True),
             C("actor", S(64), nullable=False), C("recorded_at", UTCDateTime(), nullable=False),
             C("body", T, nullable=False),
             sa.UniqueConstraint("office_id", "prev_hash"), sa.Index(None, "office_id", "process_id", "seq")),
    sa.Table("active_definitions", M, office(), C("kind", S(32), primary_key=True),
             C("version", S(64), sa.ForeignKey("definitions.version"), nullable=False)),
    sa.Table("people", M, office(), C("id", S(64), primary_key=True), C("name", S(256), nullable=False),
             C("position", S(256), nullable=False), C("email", S(256), nullable=True),
             C("created_at", UTCDateTime(), nullable=False)),
    sa.Table("role_assignments", M, office(), C("id", I, primary_key=True, autoincrement=False),
             C("person_id", S(64), nullable=False), C("role", S(64), nullable=False),
             C("scope", S(128), nullable=True), C("valid_from", UTCDateTime(), nullable=False),
             C("valid_until", UTCDateTime(), nullable=True),
             sa.Index(None, "office_id", "scope", "role"), sa.Index(None, "office_id", "person_id"),
             sa.Index(None, "person_id")),
    sa.Table("processes", M, office(), C("id", S(128), primary_key=True),
             C("fiscal_year", I, nullable=False), C("task_id", S(128), nullable=False),
             C("procedure_version", S(64), sa.ForeignKey("definitions.version"), nullable=False),
             C("organization_version", S(64), sa.ForeignKey("definitions.version"), nullable=False),
             C("state", S(64), nullable=False), C("version", I, nullable=False),
             C("opened_at", UTCDateTime(), nullable=False), C("updated_at", UTCDateTime(), nullable=False),
             sa.UniqueConstraint("office_id", "fiscal_year", "task_id")),
    sa.Table("document_numbers", M, office(), C("kind", S(32), primary_key=True),
             C("year", I, primary_key=True, autoincrement=False), C("number", S(128), primary_key=True),
             C("process_id", S(128), nullable=False)),
    sa.Table("attachments", M, office(), C("sha256", S(64), primary_key=True),
             C("name", S(256), nullable=False), C("media_type", S(128), nullable=False),
             C("size", sa.BigInteger, nullable=False), C("content", sa.LargeBinary, nullable=False),
             C("stored_at", UTCDateTime(), nullable=False)),
    sa.Table("feedback", M, office(), C("id", S(64), primary_key=True), C("process_id", S(128), nullable=False),
             C("received_at", UTCDateTime(), nullable=False), C("decided", sa.Boolean, nullable=False),
             sa.ForeignKeyConstraint(["office_id", "process_id"], ["processes.office_id", "processes.id"],
                                     name="fk_feedback_process_processes"),
             sa.Index(None, "office_id", "process_id", "decided")),
    sa.Table("calendar_items", M, office(), C("id", S(255), primary_key=True),
             C("fiscal_year", I, nullable=False), C("item", S(64), nullable=False),
             C("round", S(64), nullable=False), C("subject", S(128), nullable=False),
             C("kind", S(16), nullable=False), C("per", S(16), nullable=False),
             C("calendar_version", S(64), sa.ForeignKey("definitions.version"), nullable=False),
             C("opens_on", sa.Date, nullable=False), C("due_on", sa.Date, nullable=False),
             C("opens_at", UTCDateTime(), nullable=False), C("due_at", UTCDateTime(), nullable=False),
             C("status", S(16), nullable=False), C("responsible", T, nullable=False),
             C("recorded_at", UTCDateTime(), nullable=False), C("overdue_at", UTCDateTime(), nullable=True),
             C("escalated_to", T, nullable=True), C("completed_at", UTCDateTime(), nullable=True),
             C("completed_by", S(64), nullable=True), C("late", sa.Boolean, nullable=False),
             C("last_seq", sa.BigInteger, nullable=False),
             sa.UniqueConstraint("office_id", "fiscal_year", "item", "round", "subject"),
             sa.Index(None, "office_id", "fiscal_year", "status")),
    sa.Table("calendar_reminders", M, office(), C("item_id", S(255), primary_key=True),
             C("days_before", I, primary_key=True, autoincrement=False), C("status", S(16), nullable=False),
             C("recorded_at", UTCDateTime(), nullable=False),
             sa.ForeignKeyConstraint(["office_id", "item_id"], ["calendar_items.office_id", "calendar_items.id"],
                                     name="fk_calendar_reminders_item_calendar_items")),
    sa.Table("credentials", M, office(), C("person_id", S(64), primary_key=True),
             C("password_hash", S(256), nullable=False), C("updated_at", UTCDateTime(), nullable=False),
             person_fk("credentials")),
    sa.Table("api_tokens", M, C("token_hash", S(64), primary_key=True),
             C("office_id", I, sa.ForeignKey("offices.id"), nullable=False, server_default="1"),
             C("person_id", S(64), nullable=False), C("label", S(128), nullable=False),
             C("created_at", UTCDateTime(), nullable=False), C("revoked_at", UTCDateTime(), nullable=True),
             C("id", S(16), nullable=True), C("last_used_at", UTCDateTime(), nullable=True),
             C("revoked_by", S(64), nullable=True), person_fk("api_tokens"),
             sa.Index(None, "office_id", "person_id"), sa.Index(None, "id", unique=True)),
    sa.Table("web_sessions", M, C("session_hash", S(64), primary_key=True),
             C("office_id", I, sa.ForeignKey("offices.id"), nullable=False, server_default="1"),
             C("person_id", S(64), nullable=False), C("csrf", S(64), nullable=False),
             C("created_at", UTCDateTime(), nullable=False), C("expires_at", UTCDateTime(), nullable=False),
             person_fk("web_sessions"), sa.Index(None, "office_id", "person_id")),
]


def _columns(table: sa.Table) -> list[str]:
    return [c.name for c in table.columns if c.name != "office_id"]


def upgrade() -> None:
    bind = op.get_bind()
    offices.create(bind)
    bind.execute(offices.insert().values(id=1, code="default", name_th="สำนักงานหลัก", name_en="Main office",
                                         sender=None, created_at=dt.datetime.now(dt.UTC)))
    office_definitions.create(bind)
    bind.execute(sa.text("INSERT INTO office_definitions (office_id, version, registered_at) "
                         "SELECT 1, version, registered_at FROM definitions"))
    for table in REBUILT:  # copied aside: no keys, no indexes, no triggers
        bind.execute(sa.text(f"CREATE TABLE {table.name}__0006 AS SELECT * FROM {table.name}"))
    for table in reversed(REBUILT):  # children first (their keys name the parents)
        bind.execute(sa.text(f"DROP TABLE {table.name}"))
    for table in REBUILT:
        table.create(bind)
        cols = ", ".join(_columns(table))
        bind.execute(sa.text(f"INSERT INTO {table.name} (office_id, {cols}) SELECT 1, {cols} "
                             f"FROM {table.name}__0006"))
        bind.execute(sa.text(f"DROP TABLE {table.name}__0006"))
    for name in ("outbox", "login_failures"):  # a column, no new key of their own rows
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("office_id", sa.Integer, nullable=False, server_default="1"))
            batch.create_foreign_key(f"fk_{name}_office_id_offices", "offices", ["office_id"], ["id"])
            if name == "outbox":
                batch.drop_constraint("uq_outbox_dedupe_key", type_="unique")
                batch.create_unique_constraint("uq_outbox_office_id_dedupe_key", ["office_id", "dedupe_key"])
    # the ledger's and the attachments' append-only triggers are re-made by storage.migrate


# The same tables as revisions 0001-0006 made them (their names for every key and
# index), what a downgrade makes again: parents before children.
OLD = sa.MetaData()
PK, UQ, FK, IX = sa.PrimaryKeyConstraint, sa.UniqueConstraint, sa.ForeignKeyConstraint, sa.Index
sa.Table("definitions", OLD, C("version", S(64), primary_key=True))  # referred to; not made here
BEFORE_OFFICES = [
    sa.Table("ledger", OLD, C("seq", sa.BigInteger, nullable=False, autoincrement=False),
             C("prev_hash", S(64), nullable=False), C("hash", S(64), nullable=False),
             C("kind", S(64), nullable=False), C("process_id", S(128), nullable=True),
             C("actor", S(64), nullable=False), C("recorded_at", UTCDateTime(), nullable=False),
             C("body", T, nullable=False), PK("seq", name="pk_ledger"),
             UQ("prev_hash", name="uq_ledger_prev_hash"), UQ("hash", name="uq_ledger_hash"),
             IX("ix_ledger_process_id_seq", "process_id", "seq")),
    sa.Table("active_definitions", OLD, C("kind", S(32), nullable=False), C("version", S(64), nullable=False),
             PK("kind", name="pk_active_definitions"),
             FK(["version"], ["definitions.version"], name="fk_active_definitions_version_definitions")),
    sa.Table("people", OLD, C("id", S(64), nullable=False), C("name", S(256), nullable=False),
             C("position", S(256), nullable=False), C("email", S(256), nullable=True),
             C("created_at", UTCDateTime(), nullable=False), PK("id", name="pk_people")),
    sa.Table("role_assignments", OLD, C("id", I, nullable=False, autoincrement=False),
             C("person_id", S(64), nullable=False), C("role", S(64), nullable=False),
             C("scope", S(128), nullable=True), C("valid_from", UTCDateTime(), nullable=False),
             C("valid_until", UTCDateTime(), nullable=True), PK("id", name="pk_role_assignments"),
             FK(["person_id"], ["people.id"], name="fk_role_assignments_person_id_people"),
             IX("ix_role_assignments_scope_role", "scope", "role"),
             IX("ix_role_assignments_person_id", "person_id")),
    sa.Table("processes", OLD, C("id", S(128), nullable=False), C("fiscal_year", I, nullable=False),
             C("task_id", S(128), nullable=False), C("procedure_version", S(64), nullable=False),
             C("organization_version", S(64), nullable=False), C("state", S(64), nullable=False),
             C("version", I, nullable=False), C("opened_at", UTCDateTime(), nullable=False),
             C("updated_at", UTCDateTime(), nullable=False), PK("id", name="pk_processes"),
             UQ("fiscal_year", "task_id", name="uq_processes_fiscal_year_task_id"),
             FK(["procedure_version"], ["definitions.version"], name="fk_processes_procedure_version_definitions"),
             FK(["organization_version"], ["definitions.version"],
                name="fk_processes_organization_version_definitions")),
    sa.Table("document_numbers", OLD, C("kind", S(32), nullable=False), C("year", I, nullable=False),
             C("number", S(128), nullable=False), C("process_id", S(128), nullable=False),
             PK("kind", "year", "number", name="pk_document_numbers")),
    sa.Table("attachments", OLD, C("sha256", S(64), nullable=False), C("name", S(256), nullable=False),
             C("media_type", S(128), nullable=False), C("size", sa.BigInteger, nullable=False),
             C("content", sa.LargeBinary, nullable=False), C("stored_at", UTCDateTime(), nullable=False),
             PK("sha256", name="pk_attachments")),
    sa.Table("feedback", OLD, C("id", S(64), nullable=False), C("process_id", S(128), nullable=False),
             C("received_at", UTCDateTime(), nullable=False), C("decided", sa.Boolean, nullable=False),
             PK("id", name="pk_feedback"),
             FK(["process_id"], ["processes.id"], name="fk_feedback_process_id_processes"),
             IX("ix_feedback_process_id_decided", "process_id", "decided")),
    sa.Table("calendar_items", OLD, C("id", S(255), nullable=False), C("fiscal_year", I, nullable=False),
             C("item", S(64), nullable=False), C("round", S(64), nullable=False),
             C("subject", S(128), nullable=False), C("kind", S(16), nullable=False),
             C("per", S(16), nullable=False), C("calendar_version", S(64), nullable=False),
             C("opens_on", sa.Date, nullable=False), C("due_on", sa.Date, nullable=False),
             C("opens_at", UTCDateTime(), nullable=False), C("due_at", UTCDateTime(), nullable=False),
             C("status", S(16), nullable=False), C("responsible", T, nullable=False),
             C("recorded_at", UTCDateTime(), nullable=False), C("overdue_at", UTCDateTime(), nullable=True),
             C("escalated_to", T, nullable=True), C("completed_at", UTCDateTime(), nullable=True),
             C("completed_by", S(64), nullable=True), C("late", sa.Boolean, nullable=False),
             C("last_seq", sa.BigInteger, nullable=False), PK("id", name="pk_calendar_items"),
             UQ("fiscal_year", "item", "round", "subject", name="uq_calendar_items_fiscal_year_item_round_subject"),
             FK(["calendar_version"], ["definitions.version"], name="fk_calendar_items_calendar_version_definitions"),
             IX("ix_calendar_items_fiscal_year_status", "fiscal_year", "status")),
    sa.Table("calendar_reminders", OLD, C("item_id", S(255), nullable=False),
             C("days_before", I, nullable=False, autoincrement=False), C("status", S(16), nullable=False),
             C("recorded_at", UTCDateTime(), nullable=False),
             PK("item_id", "days_before", name="pk_calendar_reminders"),
             FK(["item_id"], ["calendar_items.id"], name="fk_calendar_reminders_item_id_calendar_items")),
    sa.Table("credentials", OLD, C("person_id", S(64), nullable=False), C("password_hash", S(256), nullable=False),
             C("updated_at", UTCDateTime(), nullable=False), PK("person_id", name="pk_credentials"),
             FK(["person_id"], ["people.id"], name="fk_credentials_person_id_people")),
    sa.Table("api_tokens", OLD, C("token_hash", S(64), nullable=False), C("person_id", S(64), nullable=False),
             C("label", S(128), nullable=False), C("created_at", UTCDateTime(), nullable=False),
             C("revoked_at", UTCDateTime(), nullable=True), C("id", S(16), nullable=True),
             C("last_used_at", UTCDateTime(), nullable=True), C("revoked_by", S(64), nullable=True),
             PK("token_hash", name="pk_api_tokens"),
             FK(["person_id"], ["people.id"], name="fk_api_tokens_person_id_people"),
             IX("ix_api_tokens_person_id", "person_id"), IX("ix_api_tokens_id", "id", unique=True)),
    sa.Table("web_sessions", OLD, C("session_hash", S(64), nullable=False), C("person_id", S(64), nullable=False),
             C("csrf", S(64), nullable=False), C("created_at", UTCDateTime(), nullable=False),
             C("expires_at", UTCDateTime(), nullable=False), PK("session_hash", name="pk_web_sessions"),
             FK(["person_id"], ["people.id"], name="fk_web_sessions_person_id_people"),
             IX("ix_web_sessions_person_id", "person_id")),
]
assert [t.name for t in BEFORE_OFFICES] == [t.name for t in REBUILT]


def downgrade() -> None:
    """Back to one office, only while the database holds the default office alone (else
    refused, naming the others, before anything changes): the same rows without their
    ``office_id``, every ledger row with its seq, hashes and text as they are."""
    from storage.migrate import refuse_other_offices

    bind = op.get_bind()
    refuse_other_offices(bind)
    for name in ("outbox", "login_failures"):
        with op.batch_alter_table(name) as batch:
            if name == "outbox":
                batch.drop_constraint("uq_outbox_office_id_dedupe_key", type_="unique")
                batch.create_unique_constraint("uq_outbox_dedupe_key", ["dedupe_key"])
            batch.drop_constraint(f"fk_{name}_office_id_offices", type_="foreignkey")
            batch.drop_column("office_id")
    for table in REBUILT:  # copied aside: no keys, no indexes, no triggers
        bind.execute(sa.text(f"CREATE TABLE {table.name}__0007 AS SELECT * FROM {table.name}"))
    for table in reversed(REBUILT):  # children first (their keys name the parents)
        bind.execute(sa.text(f"DROP TABLE {table.name}"))
    for table in BEFORE_OFFICES:
        table.create(bind)
        cols = ", ".join(c.name for c in table.columns)
        bind.execute(sa.text(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {table.name}__0007"))
        bind.execute(sa.text(f"DROP TABLE {table.name}__0007"))
    office_definitions.drop(bind)
    offices.drop(bind)
    # the ledger's and the attachments' append-only triggers are re-made by storage.migrate
