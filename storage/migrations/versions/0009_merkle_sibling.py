"""PostgreSQL: the function a sealing statement reads a Merkle node's left sibling with.

A step's statement seals its record and grows the office's tree in one go
(``storage.hotpath``). It waits for the office's head row lock; under READ
COMMITTED its own snapshot is from before the wait, so it cannot see the nodes
the appender it waited for committed. A VOLATILE PL/pgSQL function takes a new
snapshot for its query at each call, made after the lock is held: it sees them.
SQLite has one writer at a time and grows the tree in Python: nothing to do.

Revision ID: 0009
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION ruam_merkle_node(c text, lv integer, i bigint) RETURNS bytea
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN (SELECT hash FROM merkle_nodes WHERE chain = c AND level = lv AND idx = i);
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ruam_merkle_node(text, integer, bigint)")
