"""Attachments are append-only: triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL) on the attachments table, as on the ledger (invariant 10).

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

from storage.schema import ATTACHMENT_GUARD_SQL

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in ATTACHMENT_GUARD_SQL[op.get_bind().dialect.name]:
        op.execute(sa.text(statement))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS attachments_no_update")
        op.execute("DROP TRIGGER IF EXISTS attachments_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS attachments_no_update ON attachments")
        op.execute("DROP TRIGGER IF EXISTS attachments_no_truncate ON attachments")
        op.execute("DROP FUNCTION IF EXISTS attachments_append_only()")
