"""The Merkle tree beside each chain, kept in the same transaction as each append.

One tree per office's chain, keyed by the office's code (``DEFAULT_CHAIN``, "default", is the
default office's). A record's leaf is ``workflow.merkle.leaf_hash`` of the exact canonical
bytes the chain hashed; its position in the tree is its position in the chain
(``seq - 1``). Stored: every *complete* node ``(chain, level, idx) → hash`` — the
leaf hashes at level 0 and each subtree an append closes (two rows per record on
average). A proof or a root at any size reads only the O(log n) nodes it names,
in one query.

The append hook (``grow``, called by ``Tx.append`` under the chain-head lock)
needs the frontier of the tree before the new records. It is cached per engine
and chain together with the hash of the chain record it ends at: a new record
whose ``prev_hash`` is that hash follows exactly the records the cached frontier
was built from (each record's hash commits to the chain before it), so a rolled
back transaction or another process's appends can never make the cache wrong —
the cache misses and the frontier is read (one query). So an append costs its
leaf hash, about one merge, and one INSERT.

The tree is derived data, rebuildable from the ledger (``rebuild``); it is
trusted by nobody: an auditor trusts only signed checkpoints and recomputes
leaves from the records.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Sequence

from sqlalchemy import BigInteger, Column, LargeBinary, SmallInteger, String, Table, delete, select
from sqlalchemy.engine import Engine

from storage import schema as s
from workflow import merkle
from workflow.errors import StorageError

DEFAULT_CHAIN = "default"

merkle_nodes = Table(
    "merkle_nodes", s.metadata,
    Column("chain", String(64), primary_key=True),
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

_INSERT = "INSERT INTO merkle_nodes (chain, level, idx, hash) VALUES "
_CACHE: weakref.WeakKeyDictionary[Engine, dict[str, tuple[str, merkle.Frontier]]] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _mark(dialect: str) -> str:
    return "%s" if dialect == "postgresql" else "?"


def nodes(tx, chain: str, wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored hashes of the named complete nodes (one query)."""
    wanted = sorted(set(wanted))
    if not wanted:
        return {}
    mk = _mark(tx.dialect)
    # point look-ups on the primary key, one per node (an OR of pairs makes SQLite scan the chain)
    one = f"SELECT level, idx, hash FROM merkle_nodes WHERE chain = {mk} AND level = {mk} AND idx = {mk}"
    params = [x for pair in wanted for x in (chain, *pair)]
    rows = tx._run(" UNION ALL ".join([one] * len(wanted)), params).fetchall()
    return {(int(lv), int(i)): bytes(h) for lv, i, h in rows}


MISSING_TH_EN = ("ต้นไม้ Merkle ไม่ครบ โปรดสั่ง 'ruam audit rebuild-tree'",
                 "the Merkle tree lacks a node: run 'ruam audit rebuild-tree'")


def lookup(tx, chain: str, ranges: Sequence[tuple[int, int]]):
    """A ``(level, idx) -> hash`` lookup over what the ranges need, read in one query."""
    wanted = [n for lo, hi in ranges for n in merkle.range_nodes(lo, hi)]
    found = nodes(tx, chain, wanted)

    def node(level: int, idx: int) -> bytes:
        try:
            return found[(level, idx)]
        except KeyError:
            raise StorageError(f"the Merkle tree lacks node {level}/{idx}: run 'ruam audit rebuild-tree'",
                               "ต้นไม้ Merkle ไม่ครบ โปรดสั่ง 'ruam audit rebuild-tree'") from None
    return node


def frontier(tx, chain: str, size: int) -> merkle.Frontier:
    return merkle.Frontier.load(size, lookup(tx, chain, [(0, size)]))


def root(tx, chain: str, size: int) -> bytes:
    return merkle.range_hash(0, size, lookup(tx, chain, [(0, size)]))


def inclusion_proof(tx, chain: str, index: int, size: int) -> list[bytes]:
    ranges = merkle.inclusion_ranges(index, size)
    node = lookup(tx, chain, ranges)
    return [merkle.range_hash(lo, hi, node) for lo, hi in ranges]


def consistency_proof(tx, chain: str, size1: int, size2: int) -> list[bytes]:
    ranges = merkle.consistency_ranges(size1, size2)
    node = lookup(tx, chain, ranges)
    return [merkle.range_hash(lo, hi, node) for lo, hi in ranges]


def tree_size(tx, chain: str) -> int:
    """How many leaves the stored tree has (the next leaf's position)."""
    mk = _mark(tx.dialect)
    row = tx._run(f"SELECT max(idx) FROM merkle_nodes WHERE chain = {mk} AND level = 0", (chain,)).fetchone()
    return 0 if row is None or row[0] is None else int(row[0]) + 1


def grow(tx, chain: str, first_seq: int, prev_hash: str, leaves: Sequence[tuple[bytes, str]]) -> None:
    """The append hook: add the leaves of records ``first_seq, …`` (each ``(canonical bytes, record
    hash)``; the first record follows ``prev_hash``) to ``chain``'s tree, in the caller's transaction.
    (PostgreSQL's single-record sealing statements grow the tree themselves: ``storage.hotpath``.)"""
    engine = tx.conn.engine
    with _CACHE_LOCK:
        cached = _CACHE.get(engine, {}).get(chain)
    size = first_seq - 1
    if cached is not None and cached[0] == prev_hash and cached[1].size == size:
        f = cached[1].copy()
    else:
        f = frontier(tx, chain, size)
    made = []
    for data, _ in leaves:
        made += f.append(merkle.leaf_hash(data))
    mk = _mark(tx.dialect)
    row = f"({mk}, {mk}, {mk}, {mk})"
    tx._run(_INSERT + ", ".join([row] * len(made)), [x for lv, i, h in made for x in (chain, lv, i, h)])
    with _CACHE_LOCK:
        _CACHE.setdefault(engine, {})[chain] = (leaves[-1][1], f)


def forget(engine: Engine) -> None:
    """Drop the cached frontiers of an engine (after a rebuild)."""
    with _CACHE_LOCK:
        _CACHE.pop(engine, None)


def rebuild(tx, chain: str | None = None) -> tuple[int, int]:
    """Recompute the whole tree of the transaction's office from the ledger's stored texts; replace
    what differs. Returns (leaves, stored nodes that were wrong, missing or extra)."""
    result = build_existing(tx.conn, chain or tx.chain_key, tx.office_id)
    forget(tx.conn.engine)
    return result


def build_existing(conn, chain: str, office_id: int = 1, batch: int = 5000) -> tuple[int, int]:
    """The tree of one office's ledger as stored (a migration, ``rebuild``), on a connection."""
    mk = _mark(conn.dialect.name)
    tree = merkle.Frontier()
    made: list[tuple[int, int, bytes]] = []
    last = 0
    body = "CAST(body AS BLOB)" if conn.dialect.name == "sqlite" else "body"
    while True:
        rows = conn.exec_driver_sql(f"SELECT seq, {body} FROM ledger WHERE office_id = {mk} AND seq > {mk} "
                                    f"ORDER BY seq LIMIT {int(batch)}", (int(office_id), last)).fetchall()
        for seq, text in rows:
            if seq != tree.size + 1:
                raise StorageError(f"the ledger has a gap before record {seq}", f"บันทึกขาดช่วงก่อนรายการที่ {seq}")
            data = bytes(text) if isinstance(text, (bytes, memoryview)) else text.encode("utf-8")
            made += tree.append(merkle.leaf_hash(data))
        if len(rows) < batch:
            break
        last = rows[-1][0]
    c = merkle_nodes.c
    stored = {(int(lv), int(i)): bytes(h) for lv, i, h in conn.execute(
        select(c.level, c.idx, c.hash).where(c.chain == chain))}
    wrong = sum(1 for lv, i, h in made if stored.get((lv, i)) != h) + max(0, len(stored) - len(made))
    if wrong:
        conn.execute(delete(merkle_nodes).where(c.chain == chain))
        row = f"({mk}, {mk}, {mk}, {mk})"
        for start in range(0, len(made), 500):
            part = made[start:start + 500]
            conn.exec_driver_sql(_INSERT + ", ".join([row] * len(part)),
                                 tuple(x for lv, i, h in part for x in (chain, lv, i, h)))
    return tree.size, wrong
