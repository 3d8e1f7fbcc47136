"""The calendar: calendar items and reminders, calendar state, service status,
the notification outbox and APScheduler's job store table.

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_items",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("fiscal_year", sa.Integer, nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("round", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("per", sa.String(16), nullable=False),
        sa.Column("calendar_version", sa.String(64), nullable=False),
        sa.Column("opens_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("opens_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("responsible", sa.Text, nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("overdue_at", UTCDateTime(), nullable=True),
        sa.Column("escalated_to", sa.Text, nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("completed_by", sa.String(64), nullable=True),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_items"),
        sa.UniqueConstraint("fiscal_year", "item", "round", "subject",
                            name="uq_calendar_items_fiscal_year_item_round_subject"),
        sa.ForeignKeyConstraint(["calendar_version"], ["definitions.version"],
                                name="fk_calendar_items_calendar_version_definitions"),
    )
    op.create_index("ix_calendar_items_fiscal_year_status", "calendar_items", ["fiscal_year", "status"])
    op.create_table(
        "calendar_reminders",
        sa.Column("item_id", sa.String(255), nullable=False),
        sa.Column("days_before", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "days_before", name="pk_calendar_reminders"),
        sa.ForeignKeyConstraint(["item_id"], ["calendar_items.id"],
                                name="fk_calendar_reminders_item_id_calendar_items"),
    )
    op.create_table(
        "calendar_state",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("started_fy", sa.Integer, nullable=False),
        sa.Column("last_tick_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_state"),
    )
    op.create_table(
        "service_status",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("leader", sa.String(255), nullable=True),
        sa.Column("leader_since", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.Column("running", sa.Boolean, nullable=False),
        sa.Column("next_wakeup", UTCDateTime(), nullable=True),
        sa.Column("last_tick_at", UTCDateTime(), nullable=True),
        sa.Column("last_tick_summary", sa.Text, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_error_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_service_status"),
    )
    op.execute(sa.text("INSERT INTO service_status (name, running) VALUES ('scheduler', :f)").bindparams(f=False))
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("email", sa.String(256), nullable=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), nullable=False),
        sa.Column("next_run_time", sa.Float(25), nullable=True),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_apscheduler_jobs"),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    for name in ("apscheduler_jobs", "outbox", "service_status", "calendar_state", "calendar_reminders",
                 "calendar_items"):
        op.drop_table(name)
