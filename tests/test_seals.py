"""Seals on both backends: keys made on first use (0600), a checkpoint signed and
recorded, the signer refusing an inconsistent tree, rotation, and proofs of one
record checked with no database."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import text as sql

from engine.audit import seals
from engine.audit.keys import Keys, checked_proof
from storage import merkle as tree
from tests import steps
from workflow import checkpoint as c
from workflow import merkle as m


@pytest.fixture
def keys(tmp_path):
    return Keys(tmp_path / "keys")


def test_a_seal_signs_the_tree_at_the_head_and_is_itself_a_record(opened, keys):
    steps.run(opened, steps.HAPPY_PATH[:2])
    first = seals.seal(opened, keys)
    assert stat.S_IMODE(os.stat(keys.path / "signer.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(keys.path).st_mode) == 0o700
    [(verifier, status)] = keys.listed()
    assert status == "active"
    cp, good = c.open_checkpoint(first.note, [verifier], origin=seals.origin_of(opened))
    assert good == [verifier] and cp.size == first.record.seq - 1
    with opened.store.reading() as tx:
        bodies = [b if isinstance(b, str) else b.decode() for (b,) in
                  tx.conn.execute(sql("SELECT body FROM ledger WHERE seq <= :n ORDER BY seq"), {"n": cp.size})]
    assert cp.root == m.MemoryTree([m.leaf_hash(b.encode()) for b in bodies]).root()
    assert first.record.kind == "audit.sealed" and first.record.data["checkpoint"] == first.note
    second = seals.seal(opened, keys)  # the first seal's record is in the second's tree
    assert second.checkpoint.size == first.record.seq
    assert keys.last(tree.DEFAULT_CHAIN) == second.note


def test_the_signer_refuses_a_tree_inconsistent_with_what_it_signed(opened, keys, db_url):
    steps.run(opened, steps.HAPPY_PATH[:1])
    seals.seal(opened, keys)
    # an operator rewrites an old record, rehashes the chain's row and rebuilds the tree
    with opened.store.transaction() as tx:
        if opened.store.dialect == "sqlite":
            tx.conn.execute(sql("DROP TRIGGER IF EXISTS ledger_no_update"))
            names = [r[0] for r in tx.conn.execute(sql(
                "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='ledger'"))]
            for name in names:
                tx.conn.execute(sql(f"DROP TRIGGER {name}"))
        else:
            tx.conn.execute(sql("ALTER TABLE ledger DISABLE TRIGGER USER"))
        tx.conn.execute(sql("UPDATE ledger SET body = replace(body, :a, :b) WHERE seq = 3"),
                        {"a": '"seq":3', "b": '"seq": 3'})
        tree.rebuild(tx)
    with pytest.raises(seals.SignerRefused, match="not an extension"):
        seals.seal(opened, keys)


def test_a_signer_whose_last_checkpoint_is_larger_refuses(opened, keys):
    seals.seal(opened, keys)
    signer = keys.signer(seals.origin_of(opened))
    big = c.Checkpoint(seals.origin_of(opened), 10_000, b"\1" * 32)
    keys.keep_last(tree.DEFAULT_CHAIN, big.sign([signer]))
    with pytest.raises(seals.SignerRefused):
        seals.seal(opened, keys)


def test_rotation_keeps_old_checkpoints_verifiable_and_new_ones_signed_by_the_new_key(opened, keys):
    before = seals.seal(opened, keys)
    new, old = keys.rotate(seals.origin_of(opened))
    assert [s for _, s in keys.listed()] == ["active", "retired"]
    after = seals.seal(opened, keys)
    c.open_checkpoint(before.note, keys.verifiers())
    _, good = c.open_checkpoint(after.note, keys.verifiers())
    assert good == [new.verifier]
    with pytest.raises(c.ProofInvalid):
        c.open_checkpoint(after.note, [old])


def test_a_record_is_proved_offline_and_a_changed_record_or_unknown_key_fails(opened, keys):
    steps.run(opened, steps.HAPPY_PATH[:2])
    seals.seal(opened, keys)
    for seq in (1, 5, opened.log_records()[-2].seq):
        text = seals.prove(opened, seq).text()
        got = checked_proof(text, keys.verifiers())
        assert got["seq"] == seq and got["ok"]
    proof = seals.prove(opened, 5)
    edited = c.ProofFile(proof.index, proof.path, proof.note, proof.extra.replace(b'"seq":5', b'"seq":5 ')).text()
    with pytest.raises(c.ProofInvalid):
        checked_proof(edited, keys.verifiers())
    with pytest.raises(c.ProofInvalid, match="no trusted key"):
        checked_proof(proof.text(), [c.Signer.generate(seals.origin_of(opened)).verifier])
    from workflow.errors import NotFound

    with pytest.raises(NotFound):
        seals.prove(opened, opened.log_records()[-1].seq + 5)


def _since(app, note, keys):
    from engine.audit.since import verify_since

    return verify_since(app, note, keys.verifiers())


def _seal(app, keys):
    from engine.audit.since import fold_snapshot

    return seals.seal(app, keys, snapshot=fold_snapshot(app))


def test_verify_since_reads_only_the_records_after_the_old_checkpoint(opened, keys):
    steps.run(opened, steps.HAPPY_PATH[:2])
    old = _seal(opened, keys)
    steps.run(opened, steps.HAPPY_PATH[2:4])
    mid = _seal(opened, keys)  # its snapshot folds forward from the first one's
    steps.run(opened, steps.HAPPY_PATH[4:])
    new = _seal(opened, keys)
    report = _since(opened, old.note, keys)
    assert report.ok, report.as_dict()["findings"]
    assert report.records_read == new.checkpoint.size - old.checkpoint.size
    assert report.hashes_read <= 4 * new.checkpoint.size.bit_length()
    assert report.processes_compared == 1
    assert _since(opened, mid.note, keys).ok
    same = _since(opened, new.note, keys)  # nothing signed since the auditor's checkpoint
    assert same.ok and same.records_read == 0
    # the snapshot a seal commits to equals a fold from scratch (the one the full verify makes)
    from engine.audit.checks import intact_definitions
    from engine.audit.live import FOLD_EXTENSIONS
    from engine.audit.since import fold_snapshot
    from storage import seal_rows
    from workflow import fold_state

    with opened.store.reading() as tx:
        stored = seal_rows.snapshot(tx, tree.DEFAULT_CHAIN, new.checkpoint.size)
    with opened.store.transaction() as tx:
        tx.conn.execute(sql("DELETE FROM fold_snapshots"))
        fresh = fold_snapshot(opened)(tx, new.checkpoint.size)
    with opened.store.reading() as tx:
        lookup = intact_definitions(tx)
        a = fold_state.load(stored[1], lookup, [], [make() for make in FOLD_EXTENSIONS])
        b = fold_state.load(fresh[1], lookup, [], [make() for make in FOLD_EXTENSIONS])
    assert {k: v.projection() for k, v in a.processes.items()} == {k: v.projection() for k, v in b.processes.items()}
    assert a.records == b.records and a.active == b.active and a.assignments == b.assignments


def test_verify_since_finds_an_edited_truncated_or_unsealed_delta(opened, keys):
    steps.run(opened, steps.HAPPY_PATH[:1])
    old = _seal(opened, keys)
    steps.run(opened, steps.HAPPY_PATH[1:3])
    _seal(opened, keys)
    with opened.store.transaction() as tx:  # an operator edits a record after the old checkpoint
        if opened.store.dialect == "sqlite":
            for (name,) in tx.conn.execute(sql("SELECT name FROM sqlite_master WHERE type='trigger' "
                                               "AND tbl_name='ledger'")).all():
                tx.conn.execute(sql(f"DROP TRIGGER {name}"))
        else:
            tx.conn.execute(sql("ALTER TABLE ledger DISABLE TRIGGER USER"))
        tx.conn.execute(sql("UPDATE ledger SET body = replace(body, :a, :b) WHERE seq = :s"),
                        {"a": '"actor":"', "b": '"actor":"x', "s": old.checkpoint.size + 2})
    report = _since(opened, old.note, keys)
    assert not report.ok and report.findings[0].kind == "seal"
    with opened.store.transaction() as tx:  # put it back, then reorder two records after the checkpoint
        tx.conn.execute(sql("UPDATE ledger SET body = replace(body, :b, :a) WHERE seq = :s"),
                        {"a": '"actor":"', "b": '"actor":"x', "s": old.checkpoint.size + 2})
    assert _since(opened, old.note, keys).ok
    a, b = old.checkpoint.size + 2, old.checkpoint.size + 3
    with opened.store.transaction() as tx:
        body_a, body_b = (tx.conn.execute(sql("SELECT body FROM ledger WHERE seq = :s"), {"s": s}).scalar()
                          for s in (a, b))
        tx.conn.execute(sql("UPDATE ledger SET body = :x WHERE seq = :s"), {"x": body_b, "s": a})
        tx.conn.execute(sql("UPDATE ledger SET body = :x WHERE seq = :s"), {"x": body_a, "s": b})
    reordered = _since(opened, old.note, keys)
    assert not reordered.ok and "not the ones the new checkpoint signed" in reordered.findings[0].message
    with opened.store.transaction() as tx:  # and a truncation after the old checkpoint
        tx.conn.execute(sql("DELETE FROM ledger WHERE seq > :s"), {"s": old.checkpoint.size + 1})
    assert not _since(opened, old.note, keys).ok
    unknown = c.Signer.generate(seals.origin_of(opened))
    with pytest.raises(c.ProofInvalid):
        _since(opened, old.checkpoint.sign([unknown]), keys)


def test_a_snapshot_naming_anything_but_ruams_types_is_refused():
    import pickle
    import zlib

    from workflow import fold_state

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    bad = zlib.compress(pickle.dumps({"ruam_fold": 1, "fold": {"x": Evil()}, "extensions": []}))
    with pytest.raises(fold_state.SnapshotError, match="never holds"):
        fold_state.load(bad, lambda v: None, [], [])
    worse = zlib.compress(pickle.dumps({"ruam_fold": 1, "fold": {"x": fold_state.dump}, "extensions": []}))
    with pytest.raises(fold_state.SnapshotError):
        fold_state.load(worse, lambda v: None, [], [])
