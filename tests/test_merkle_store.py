"""The Merkle tree kept beside the chain, on both backends: maintained in the same
transaction as each append (single steps, batches, threads, a rolled-back
transaction, another process's appends), rebuildable from the ledger, and its
proofs read from the stored nodes verify against a tree built from the records."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import text as sql

from engine.app import Ruam
from storage import merkle as tree
from storage.store import Store
from tests import steps
from workflow import merkle as m
from workflow.ledger import Entry


def _entry(n: int) -> Entry:
    return Entry(kind="process.noted", at=dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC), actor="officer_x",
                 role="responsible_officer", process="2570/task_x", data={"n": n, "ข้อความ": "ร่วม ✓"})


def _expected(store: Store) -> m.MemoryTree:
    with store.reading() as tx:
        rows = tx.conn.execute(sql("SELECT body FROM ledger ORDER BY seq")).all()
    return m.MemoryTree([m.leaf_hash((b.decode() if isinstance(b, bytes) else b).encode()) for (b,) in rows])


def _stored_root(store: Store, size: int | None = None) -> bytes:
    with store.reading() as tx:
        return tree.root(tx, tree.DEFAULT_CHAIN, tx.head()[0] if size is None else size)


def test_every_append_path_keeps_the_tree_equal_to_the_ledger(opened):
    store = opened.store
    assert _stored_root(store) == _expected(store).root()  # init and the cycle, several records each
    steps.run(opened, steps.HAPPY_PATH[:2])
    with store.transaction() as tx:
        tx.append([_entry(i) for i in range(5)])  # a batch
    with store.transaction() as tx:
        tx.append([_entry(9)], commit=True)  # one committing record (PostgreSQL: sealed by the database)
    expected = _expected(store)
    with store.reading() as tx:
        assert tree.tree_size(tx, tree.DEFAULT_CHAIN) == tx.head()[0] == expected.size
        n = expected.size
        assert tree.root(tx, tree.DEFAULT_CHAIN, n) == expected.root()
        for size in (1, n // 2, n - 1):
            assert tree.root(tx, tree.DEFAULT_CHAIN, size) == expected.root(size)
            m.verify_consistency(size, n, tree.consistency_proof(tx, tree.DEFAULT_CHAIN, size, n),
                                 expected.root(size), expected.root())
        for index in (0, n // 3, n - 1):
            path = tree.inclusion_proof(tx, tree.DEFAULT_CHAIN, index, n)
            assert path == m.inclusion_proof(index, n, expected.node)
            m.verify_inclusion(index, n, expected.node(0, index), path, expected.root())


def test_a_rolled_back_append_and_another_writer_leave_the_tree_right(opened, db_url):
    store = opened.store
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.append([_entry(1)])
        raise RuntimeError("the command fails after its append")
    other = Store(db_url)  # another process: its appends never touch this engine's cache
    try:
        with other.transaction() as tx:
            tx.append([_entry(2), _entry(3)])
    finally:
        other.dispose()
    with store.transaction() as tx:
        tx.append([_entry(4)])
    assert _stored_root(store) == _expected(store).root()


def test_threads_appending_at_once_keep_one_tree(opened):
    tasks = [t.id for t in opened.active().organization.tasks]
    barrier = threading.Barrier(len(tasks))
    errors = []

    def step(task):
        barrier.wait()
        try:
            Ruam(opened.store, clock=opened.clock).advance(
                f"2570/{task}", "complete_analysis", "officer_" + task.removeprefix("task_"), steps.analysis())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=step, args=(t,)) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _stored_root(opened.store) == _expected(opened.store).root()


def test_the_tree_is_rebuilt_from_the_ledger(opened):
    store = opened.store
    steps.run(opened, steps.HAPPY_PATH[:1])
    with store.transaction() as tx:
        assert tree.rebuild(tx)[1] == 0  # nothing to repair
        tx.conn.execute(sql("UPDATE merkle_nodes SET hash = :h WHERE level = 0 AND idx = 2"), {"h": b"\0" * 32})
        tx.conn.execute(sql("DELETE FROM merkle_nodes WHERE level = 1 AND idx = 0"))
    with store.transaction() as tx:
        size, wrong = tree.rebuild(tx)
    assert wrong >= 2 and size == _expected(store).size
    assert _stored_root(store) == _expected(store).root()
    with store.transaction() as tx:  # the append path goes on from the rebuilt tree
        tx.append([_entry(7)])
    assert _stored_root(store) == _expected(store).root()


def test_a_missing_node_is_a_clear_error(opened):
    with opened.store.transaction() as tx:
        tx.conn.execute(sql("DELETE FROM merkle_nodes WHERE level = 0 AND idx = 1"))
    from workflow.errors import StorageError

    with pytest.raises(StorageError, match="rebuild-tree"), opened.store.reading() as tx:
        tree.inclusion_proof(tx, tree.DEFAULT_CHAIN, 0, tx.head()[0])


def test_the_migration_builds_the_tree_of_an_existing_ledger(tmp_path):
    from storage.migrate import upgrade
    from workflow.ledger import GENESIS, Record

    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(store.engine, "0006")
        prev, bodies = GENESIS, []
        with store.engine.begin() as conn:
            for seq in range(1, 14):
                rec = Record.seal(_entry(seq), seq, prev)
                conn.execute(sql("INSERT INTO ledger (seq, prev_hash, hash, kind, process_id, actor, recorded_at, "
                                 "body) VALUES (:s, :p, :h, :k, :pid, :a, :t, :b)"),
                             {"s": seq, "p": prev, "h": rec.hash, "k": rec.kind, "pid": rec.process, "a": rec.actor,
                              "t": "2026-11-20 03:00:00.000000", "b": rec.canonical()})
                conn.execute(sql("UPDATE chain_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq, "h": rec.hash})
                prev = rec.hash
                bodies.append(rec.canonical().encode())
        store.migrate()
        assert _stored_root(store) == m.MemoryTree([m.leaf_hash(b) for b in bodies]).root()
    finally:
        store.dispose()
