"""Seals over many offices: one Merkle tree per office's chain, each office's log with its own
key and origin, a proof of office B's record checked against B's checkpoint and not A's key."""

from __future__ import annotations

import pytest

from engine.audit import seals
from engine.audit.keys import Keys, checked_proof, office_key_dir
from engine.offices import add_office
from storage import merkle as tree
from tests import steps
from workflow import checkpoint as c


@pytest.fixture
def two(opened):
    add_office(opened, "north", "สำนักงานบี", "Office B")
    b = opened.for_office("north")
    b.load_demo()
    b.open_cycle(2570)
    steps.run(opened, steps.HAPPY_PATH[:3])
    steps.run(b, steps.HAPPY_PATH[:1])
    return opened, b


def test_each_office_has_its_own_tree_key_and_checkpoints(two, tmp_path):
    a, b = two
    base = tmp_path / "keys"
    ka, kb = Keys(office_key_dir(base, "default")), Keys(office_key_dir(base, "north"))
    sa, sb = seals.seal(a, ka), seals.seal(b, kb)
    with a.store.reading() as tx:
        head_a = tx.head()[0]
    with b.store.reading() as tx:
        head_b = tx.head()[0]
    # each tree is as long as its office's chain before the seal record (seq counts from 1 per office)
    assert (sa.checkpoint.size, sb.checkpoint.size) == (head_a - 1, head_b - 1)
    assert sa.checkpoint.origin == seals.origin_of(a) != sb.checkpoint.origin == "ruam/north"
    assert [x["size"] for x in seals.checkpoints(b)] == [sb.checkpoint.size]
    assert [x["size"] for x in seals.checkpoints(a)] == [sa.checkpoint.size]
    # a record of B proves against B's checkpoint with B's key; A's key does not vouch for it
    text = seals.prove(b, 2).text()
    got = checked_proof(text, kb.verifiers())
    assert got["origin"] == "ruam/north" and got["seq"] == 2
    with pytest.raises(c.ProofInvalid):
        checked_proof(text, ka.verifiers())
    # B's appends do not touch A's tree: A's next seal is consistent with its last
    steps.run(b, steps.HAPPY_PATH[1:3])
    again = seals.seal(a, ka)
    assert again.checkpoint.size == sa.checkpoint.size + 1
    # each tree rebuilds from its own office's records with nothing to repair
    with b.store.transaction() as tx:
        assert tree.rebuild(tx) == (tx.head()[0], 0)
    with a.store.transaction() as tx:
        assert tree.rebuild(tx) == (tx.head()[0], 0)
