"""The checkpoints the service signed and the fold snapshots its seals commit to
(tables ``checkpoints`` and ``fold_snapshots``, migration 0007), and the one
record read a proof needs. Functions of a ``Tx``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, LargeBinary, String, Table, Text, insert, select

from storage import schema as s

checkpoints_table = Table(
    "checkpoints", s.metadata,
    Column("chain", String(64), primary_key=True),
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", s.UTCDateTime(), nullable=False),
)

fold_snapshots = Table(
    "fold_snapshots", s.metadata,
    Column("chain", String(64), primary_key=True),
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
)


def put_checkpoint(tx, chain: str, size: int, root_hex: str, note: str, at: dt.datetime) -> None:
    tx.conn.execute(insert(checkpoints_table).values(chain=chain, size=size, root=root_hex, note=note, signed_at=at))


def latest_note(tx, chain: str) -> str | None:
    c = checkpoints_table.c
    return tx.conn.execute(select(c.note).where(c.chain == chain).order_by(c.size.desc()).limit(1)).scalar()


def covering(tx, chain: str, seq: int) -> tuple[int, str] | None:
    """The newest checkpoint whose tree holds record ``seq`` (its size and note)."""
    c = checkpoints_table.c
    row = tx.conn.execute(select(c.size, c.note).where(c.chain == chain, c.size >= seq)
                          .order_by(c.size.desc()).limit(1)).first()
    return (int(row[0]), row[1]) if row else None


def checkpoints(tx, chain: str) -> list[dict]:
    c = checkpoints_table.c
    return [dict(r._mapping) for r in tx.conn.execute(
        select(c.size, c.root, c.note, c.signed_at).where(c.chain == chain).order_by(c.size.desc()))]


def put_snapshot(tx, chain: str, size: int, digest: str, content: bytes) -> None:
    tx.conn.execute(insert(fold_snapshots).values(chain=chain, size=size, sha256=digest, content=content))


def snapshot(tx, chain: str, size: int) -> tuple[str, bytes] | None:
    c = fold_snapshots.c
    row = tx.conn.execute(select(c.sha256, c.content).where(c.chain == chain, c.size == size)).first()
    return (row[0], bytes(row[1])) if row else None


def record_body(tx, seq: int) -> str | None:
    body = tx.conn.execute(select(s.ledger.c.body).where(s.ledger.c.office_id == tx.office_id, s.ledger.c.seq == seq)).scalar()
    if isinstance(body, (bytes, memoryview)):
        body = bytes(body).decode("utf-8")
    return body


def snapshot_below(tx, chain: str, size: int) -> tuple[int, bytes] | None:
    """The newest snapshot at or below ``size`` whose content still hashes to its row's sha256."""
    import hashlib

    c = fold_snapshots.c
    row = tx.conn.execute(select(c.size, c.sha256, c.content).where(c.chain == chain, c.size <= size)
                          .order_by(c.size.desc()).limit(1)).first()
    if row is None or hashlib.sha256(bytes(row[2])).hexdigest() != row[1]:
        return None
    return int(row[0]), bytes(row[2])
