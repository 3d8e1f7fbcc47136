"""Each office's roles epoch: a counter its role assignments' every change moves.

A step may run on what its server read at its previous step of the same process (the
process row, the assignments covering its task: ``engine.steps``); its one writing
statement then checks both still hold — the process's version, and this counter, which
a trigger on ``role_assignments`` moves in the transaction of every grant, end or
removal of a role in the office (whatever code writes it). A revoked role is refused at
the next step as it is today.

Revision ID: 0010
"""
import sqlalchemy as sa
from alembic import op

from storage.schema import ROLES_EPOCH_SQL

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("offices", sa.Column("roles_epoch", sa.BigInteger, nullable=False, server_default="0"))
    for statement in ROLES_EPOCH_SQL[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS role_assignments_epoch ON role_assignments")
        op.execute("DROP FUNCTION IF EXISTS ruam_roles_epoch()")
        op.drop_column("offices", "roles_epoch")
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS role_assignments_epoch_{event}")
    # (SQLite 3.35+ drops a column in place: a batch rebuild of offices would have to drop the
    # table every office row of the database refers to)
    op.execute("ALTER TABLE offices DROP COLUMN roles_epoch")
