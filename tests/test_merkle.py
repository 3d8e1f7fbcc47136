"""The Merkle tree (workflow.merkle): RFC 6962/9162 test vectors, the known verifier
bugs, and properties over random sizes.

The vectors (leaves, roots for sizes 1–8, inclusion and consistency proofs) are
those of transparency-dev/merkle, ``proof/verify_test.go`` (Apache-2.0; the same
set as certificate-transparency-go's ``merkle/log_verifier_test.go``), copied as
data. Their leaf numbers there are 1-based; here indices are 0-based.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow import merkle as m

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                      "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(h) for h in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
H = bytes.fromhex
INCLUSION = [  # (0-based leaf, size, proof)
    (0, 8, [H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (5, 8, [H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (2, 3, [H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (1, 5, [H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
]
CONSISTENCY = [
    (1, 8, [H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (6, 8, [H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (2, 5, [H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
    (6, 7, [H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
]
SOME = H("abacaba000000000000000000000000000000000000000000060061e00123456")


def tree(n: int) -> m.MemoryTree:
    return m.MemoryTree([m.leaf_hash(x) for x in LEAVES[:n]])


def test_the_empty_tree_and_the_roots_of_sizes_one_to_eight():
    assert m.Frontier().root() == hashlib.sha256(b"").digest() == m.MemoryTree().root()
    frontier = m.Frontier()
    for n in range(1, 9):
        frontier.append(m.leaf_hash(LEAVES[n - 1]))
        assert frontier.root() == ROOTS[n - 1] == tree(8).root(n), n


@pytest.mark.parametrize("index, size, proof", INCLUSION)
def test_inclusion_vectors_are_made_and_verified(index, size, proof):
    t = tree(size)
    assert m.inclusion_proof(index, size, t.node) == proof
    m.verify_inclusion(index, size, m.leaf_hash(LEAVES[index]), proof, ROOTS[size - 1])


@pytest.mark.parametrize("size1, size2, proof", CONSISTENCY)
def test_consistency_vectors_are_made_and_verified(size1, size2, proof):
    assert m.consistency_proof(size1, size2, tree(size2).node) == proof
    m.verify_consistency(size1, size2, proof, ROOTS[size1 - 1], ROOTS[size2 - 1])


def _refused(fn, *args):
    with pytest.raises(m.ProofError):
        fn(*args)


@pytest.mark.parametrize("index, size, proof", INCLUSION)
def test_corrupted_inclusion_proofs_are_refused(index, size, proof):
    root, leaf = ROOTS[size - 1], m.leaf_hash(LEAVES[index])
    probes = [(index - 1, size, root, leaf, proof), (index + 1, size, root, leaf, proof),
              (index ^ 2, size, root, leaf, proof), (index, size * 2, root, leaf, proof),
              (index, size // 2, root, leaf, proof), (index, size, root, b"WrongLeaf", proof),
              (index, size, m.EMPTY_ROOT, leaf, proof), (index, size, SOME, leaf, proof),
              (index, size, root, leaf, proof + [b""]), (index, size, root, leaf, proof + [root]),
              (index, size, root, leaf, [b""] + proof), (index, size, root, leaf, [root] + proof),
              (index, size, root, leaf, proof[:-1])]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, root, leaf, flipped))
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], SOME, *proof[1:]]))
    for i, s, r, lf, p in probes:
        _refused(m.verify_inclusion, i, s, lf, p, r)


@pytest.mark.parametrize("size1, size2, proof", CONSISTENCY)
def test_corrupted_consistency_proofs_are_refused(size1, size2, proof):
    r1, r2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    probes = [(size1 - 1, size2, r1, r2, proof), (size1 + 1, size2, r1, r2, proof),
              (size1 ^ 2, size2, r1, r2, proof), (size1, size2 * 2, r1, r2, proof),
              (size1, size2 // 2, r1, r2, proof), (size1, size2, b"WrongRoot", r2, proof),
              (size1, size2, r1, b"WrongRoot", proof), (size1, size2, r2, r1, proof),
              (size1, size2, r1, r2, []), (size1, size2, r1, r2, proof + [b""]),
              (size1, size2, r1, r2, proof + [r1]), (size1, size2, r1, r2, proof + [r2]),
              (size1, size2, r1, r2, [b""] + proof), (size1, size2, r1, r2, [r1] + proof),
              (size1, size2, r1, r2, [r2] + proof), (size1, size2, r1, r2, [proof[0]] + proof),
              (size1, size2, r1, r2, proof[:-1])]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((size1, size2, r1, r2, flipped))
    for s1, s2, a, b, p in probes:
        _refused(m.verify_consistency, s1, s2, p, a, b)


def test_the_edge_sizes_of_consistency():
    one, two = b"don't care 1", b"don't care 2"
    m.verify_consistency(0, 0, [], one, one)
    m.verify_consistency(0, 1, [], one, two)
    m.verify_consistency(1, 1, [], two, two)
    for args in [(0, 0, [], one, two), (1, 1, [], one, two), (1, 0, [], one, two), (2, 1, [], one, two),
                 (1, 2, [], one, two), (0, 0, [m.EMPTY_ROOT], m.EMPTY_ROOT, m.EMPTY_ROOT),
                 (0, 1, [m.EMPTY_ROOT], m.EMPTY_ROOT, m.EMPTY_ROOT),
                 (1, 1, [m.EMPTY_ROOT], m.EMPTY_ROOT, m.EMPTY_ROOT)]:
        _refused(m.verify_consistency, args[0], args[1], args[2], args[3], args[4])


def test_a_first_size_greater_than_the_second_is_refused_even_with_a_real_proof():
    t = tree(8)
    proof = m.consistency_proof(3, 7, t.node)
    _refused(m.verify_consistency, 7, 3, proof, t.root(7), t.root(3))
    _refused(m.consistency_proof, 7, 3, t.node)


def test_a_proof_for_a_wrong_second_size_is_refused():
    """The known bug: a verifier that stops once it reaches the roots (not checking that the
    proof was consumed exactly, to the second size) accepts a proof for a wrong size. Sizes
    whose proofs have another length must fail. (Sizes whose paths have the same shape, 7
    and 8 from 3, cannot be told apart by any RFC verifier: the signed checkpoint binds the
    size to its root, and ``workflow.checkpoint`` checks both come from one signed note.)"""
    big = m.MemoryTree([m.leaf_hash(bytes([i])) for i in range(64)])
    tried = 0
    for s1, s2 in [(3, 7), (4, 8), (5, 16), (6, 7), (1, 2), (2, 5), (6, 8)]:
        proof = m.consistency_proof(s1, s2, big.node)
        m.verify_consistency(s1, s2, proof, big.root(s1), big.root(s2))
        for wrong in range(s1 + 1, 40):
            if wrong == s2 or len(m.consistency_ranges(s1, wrong)) == len(proof):
                continue
            tried += 1
            _refused(m.verify_consistency, s1, wrong, proof, big.root(s1), big.root(s2))
            _refused(m.verify_consistency, s1, wrong, proof, big.root(s1), big.root(wrong))
    assert tried > 100


def test_inclusion_outside_the_tree_is_refused():
    for index, size in [(0, 0), (1, 0), (1, 1), (2, 1)]:
        _refused(m.verify_inclusion, index, size, SOME, [], m.EMPTY_ROOT)
    leaf = m.leaf_hash(b"data")
    m.verify_inclusion(0, 1, leaf, [], leaf)
    _refused(m.verify_inclusion, 0, 1, b"", [], leaf)


def test_the_frontier_names_the_nodes_it_completes():
    f = m.Frontier()
    assert [(lv, i) for lv, i, _ in f.append(b"a" * 32)] == [(0, 0)]
    assert [(lv, i) for lv, i, _ in f.append(b"b" * 32)] == [(0, 1), (1, 0)]
    f.append(b"c" * 32)
    assert [(lv, i) for lv, i, _ in f.append(b"d" * 32)] == [(0, 3), (1, 1), (2, 0)]
    assert m.range_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert m.range_nodes(5, 13) == [(0, 5), (1, 3), (2, 2), (0, 12)]


sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_any_pair_of_sizes_gives_proofs_that_verify_and_a_changed_leaf_breaks_them(data):
    n2 = data.draw(sizes)
    n1 = data.draw(st.integers(min_value=1, max_value=n2))
    leaves = [m.leaf_hash(i.to_bytes(4, "big")) for i in range(n2)]
    t = m.MemoryTree(leaves)
    f = m.Frontier.load(n1, t.node)
    assert f.root() == t.root(n1)
    for leaf in leaves[n1:]:
        f.append(leaf)
    assert f.root() == t.root() == m.MemoryTree(leaves).root()

    proof = m.consistency_proof(n1, n2, t.node)
    assert len(proof) <= 2 * n2.bit_length()
    m.verify_consistency(n1, n2, proof, t.root(n1), t.root())
    index = data.draw(st.integers(min_value=0, max_value=n2 - 1))
    path = m.inclusion_proof(index, n2, t.node)
    assert len(path) <= n2.bit_length()
    m.verify_inclusion(index, n2, leaves[index], path, t.root())

    changed = data.draw(st.integers(min_value=0, max_value=n2 - 1))
    edited = list(leaves)
    edited[changed] = m.leaf_hash(b"edited")
    e = m.MemoryTree(edited)
    if changed < n1:  # an edited old record: the old root no longer extends to the new tree
        _refused(m.verify_consistency, n1, n2, m.consistency_proof(n1, n2, e.node), t.root(n1), e.root())
    if n1 < n2:
        _refused(m.verify_consistency, n1, n2, proof, t.root(n1), e.root())
    _refused(m.verify_inclusion, changed, n2, edited[changed], path if changed == index else
             m.inclusion_proof(changed, n2, t.node), t.root())
