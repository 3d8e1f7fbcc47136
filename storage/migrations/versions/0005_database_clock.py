"""The clock of a demonstration database: a row only on a database marked as a
simulation, with how far its time runs ahead of the real clock.

Revision ID: 0005
"""
import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "database_clock",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("offset_us", sa.BigInteger, nullable=False),
        sa.Column("marked_at", UTCDateTime(), nullable=False),
        sa.Column("moved_at", UTCDateTime(), nullable=True),
        sa.Column("moved_to", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_database_clock"),
    )


def downgrade() -> None:
    op.drop_table("database_clock")
