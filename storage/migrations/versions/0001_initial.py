"""Initial schema: ledger and chain head, definitions, people and roles,
processes, document numbers, attachments, feedback.

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

from storage.schema import LEDGER_GUARD_SQL, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("process_id", sa.String(128), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_ledger"),
        sa.UniqueConstraint("prev_hash", name="uq_ledger_prev_hash"),
        sa.UniqueConstraint("hash", name="uq_ledger_hash"),
    )
    op.create_index("ix_ledger_process_id_seq", "ledger", ["process_id", "seq"])
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chain_head"),
    )
    op.execute(sa.text("INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, :h)").bindparams(h="0" * 64))
    op.create_table(
        "definitions",
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_definitions"),
    )
    op.create_table(
        "active_definitions",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("kind", name="pk_active_definitions"),
        sa.ForeignKeyConstraint(["version"], ["definitions.version"],
                                name="fk_active_definitions_version_definitions"),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("position", sa.String(256), nullable=False),
        sa.Column("email", sa.String(256), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
    )
    op.create_table(
        "role_assignments",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(128), nullable=True),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_role_assignments"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_role_assignments_person_id_people"),
    )
    op.create_index("ix_role_assignments_scope_role", "role_assignments", ["scope", "role"])
    op.create_index("ix_role_assignments_person_id", "role_assignments", ["person_id"])
    op.create_table(
        "processes",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("fiscal_year", sa.Integer, nullable=False),
        sa.Column("task_id", sa.String(128), nullable=False),
        sa.Column("procedure_version", sa.String(64), nullable=False),
        sa.Column("organization_version", sa.String(64), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_processes"),
        sa.UniqueConstraint("fiscal_year", "task_id", name="uq_processes_fiscal_year_task_id"),
        sa.ForeignKeyConstraint(["procedure_version"], ["definitions.version"],
                                name="fk_processes_procedure_version_definitions"),
        sa.ForeignKeyConstraint(["organization_version"], ["definitions.version"],
                                name="fk_processes_organization_version_definitions"),
    )
    op.create_table(
        "document_numbers",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("number", sa.String(128), nullable=False),
        sa.Column("process_id", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("kind", "year", "number", name="pk_document_numbers"),
    )
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_attachments"),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("process_id", sa.String(128), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("decided", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.ForeignKeyConstraint(["process_id"], ["processes.id"], name="fk_feedback_process_id_processes"),
    )
    op.create_index("ix_feedback_process_id_decided", "feedback", ["process_id", "decided"])
    for statement in LEDGER_GUARD_SQL[op.get_bind().dialect.name]:
        op.execute(sa.text(statement))


def downgrade() -> None:
    for name in ("feedback", "attachments", "document_numbers", "processes", "role_assignments",
                 "people", "active_definitions", "definitions", "chain_head", "ledger"):
        op.drop_table(name)
