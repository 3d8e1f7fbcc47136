"""The Merkle tree beside the chain (issue #15): every complete node per chain,
the checkpoints the service signed, the fold snapshots its seals commit to.
The tree of an existing ledger is built here from the stored record texts.

Revision ID: 0008
"""
import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merkle_nodes",
        sa.Column("chain", sa.String(64), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False, autoincrement=False),
        sa.Column("idx", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("chain", "level", "idx", name="pk_merkle_nodes"),
    )
    op.create_table(
        "checkpoints",
        sa.Column("chain", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("signed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chain", "size", name="pk_checkpoints"),
    )
    op.create_table(
        "fold_snapshots",
        sa.Column("chain", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("chain", "size", name="pk_fold_snapshots"),
    )
    from storage.merkle import DEFAULT_CHAIN, build_existing

    conn = op.get_bind()  # one tree per office's chain (the default office's key is "default")
    for office_id, code in conn.exec_driver_sql("SELECT id, code FROM offices ORDER BY id").fetchall():
        build_existing(conn, DEFAULT_CHAIN if office_id == 1 else code, office_id)


def downgrade() -> None:
    op.drop_table("fold_snapshots")
    op.drop_table("checkpoints")
    op.drop_table("merkle_nodes")
