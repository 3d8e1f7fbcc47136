"""Web accounts: password credentials, API tokens, sessions, login throttling,
and the service's own settings (its signing key).

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_credentials"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_credentials_person_id_people"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_api_tokens_person_id_people"),
    )
    op.create_index("ix_api_tokens_person_id", "api_tokens", ["person_id"])
    op.create_table(
        "web_sessions",
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("session_hash", name="pk_web_sessions"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_web_sessions_person_id_people"),
    )
    op.create_index("ix_web_sessions_person_id", "web_sessions", ["person_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_failures"),
    )
    op.create_index("ix_login_failures_account_at", "login_failures", ["account", "at"])
    op.create_table(
        "web_settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_web_settings"),
    )


def downgrade() -> None:
    for index, table in (("ix_login_failures_account_at", "login_failures"),
                         ("ix_web_sessions_person_id", "web_sessions"),
                         ("ix_api_tokens_person_id", "api_tokens")):
        op.drop_index(index, table_name=table)
    for table in ("web_settings", "login_failures", "web_sessions", "api_tokens", "credentials"):
        op.drop_table(table)
