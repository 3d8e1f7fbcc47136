"""API tokens listed and revoked without their secret (an id, last use, who revoked);
public form tokens used once; per-address limits shared by every server process.

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("id", sa.String(16), nullable=True))
    op.add_column("api_tokens", sa.Column("last_used_at", UTCDateTime(), nullable=True))
    op.add_column("api_tokens", sa.Column("revoked_by", sa.String(64), nullable=True))
    op.execute("UPDATE api_tokens SET id = substr(token_hash, 1, 16)")
    op.create_index("ix_api_tokens_id", "api_tokens", ["id"], unique=True)
    op.create_table(
        "form_tokens_used",
        sa.Column("token_id", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_id", name="pk_form_tokens_used"),
    )
    op.create_index("ix_form_tokens_used_expires_at", "form_tokens_used", ["expires_at"])
    op.create_table(
        "rate_hits",
        sa.Column("bucket", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("window_start", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("bucket", "subject", "window_start", name="pk_rate_hits"),
    )


def downgrade() -> None:
    op.drop_table("rate_hits")
    op.drop_index("ix_form_tokens_used_expires_at", table_name="form_tokens_used")
    op.drop_table("form_tokens_used")
    op.drop_index("ix_api_tokens_id", table_name="api_tokens")
    with op.batch_alter_table("api_tokens") as batch:
        for column in ("revoked_by", "last_used_at", "id"):
            batch.drop_column(column)
