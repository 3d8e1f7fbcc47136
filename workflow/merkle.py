"""The Merkle tree over a ledger (RFC 9162 §2.1): hashes, the frontier, proofs.

leaf = SHA-256(0x00 ‖ the record's canonical bytes), node = SHA-256(0x01 ‖ left ‖
right), the empty tree's root = SHA-256(""). A tree of n leaves splits at the
largest power of two below n.

A *node* here is a complete subtree, named ``(level, index)``: it covers the leaves
``[index << level, (index + 1) << level)``. Stored complete nodes are all a proof
needs: any range a proof names is the right-fold of its aligned decomposition
(``range_nodes``), so proofs take O(log n) reads of a ``node(level, index)`` lookup.
``Frontier`` is the compact range ``[0, size)`` (one hash per set bit of size): it
gives each append's new nodes and the root in O(log n), without reading the leaves.

Verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2, with the checks whose absence were
known bugs in other verifiers: the proof is consumed exactly (a proof for a wrong
second size fails), and a first size greater than the second is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
NodeLookup = Callable[[int, int], bytes]  # (level, index) -> the complete subtree's hash


class ProofError(ValueError):
    """A proof that does not verify (or cannot be made for the sizes asked)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(lo: int, hi: int) -> list[tuple[int, int]]:
    """The aligned complete subtrees covering leaves [lo, hi), left to right."""
    out = []
    while lo < hi:
        level = (lo & -lo).bit_length() - 1 if lo else (hi - lo).bit_length() - 1
        while (1 << level) > hi - lo:
            level -= 1
        out.append((level, lo >> level))
        lo += 1 << level
    return out


def range_hash(lo: int, hi: int, node: NodeLookup) -> bytes:
    """MTH of leaves [lo, hi) for a range that is a subtree of the RFC's recursion
    (its blocks descend in size): the right-fold of its aligned nodes."""
    if lo >= hi:
        return EMPTY_ROOT
    parts = [node(level, index) for level, index in range_nodes(lo, hi)]
    acc = parts[-1]
    for h in reversed(parts[:-1]):
        acc = node_hash(h, acc)
    return acc


class Frontier:
    """The compact range [0, size): the hashes of the complete subtrees of size's set bits."""

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a frontier of size {size} has {size.bit_count()} hashes, not {len(hashes)}")
        self.size = size
        self.hashes = list(hashes)

    @classmethod
    def load(cls, size: int, node: NodeLookup) -> Frontier:
        return cls(size, [node(level, index) for level, index in range_nodes(0, size)])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; the complete nodes it completes, leaf first ``(level, index, hash)``."""
        index = self.size
        made = [(0, index, leaf)]
        h, level = leaf, 0
        while index >> level & 1:  # each trailing one bit of the old size closes a subtree
            h = node_hash(self.hashes.pop(), h)
            level += 1
            made.append((level, index >> level, h))
        self.hashes.append(h)
        self.size += 1
        return made

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        acc = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            acc = node_hash(h, acc)
        return acc

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)


class MemoryTree:
    """Every complete node of a list of leaf hashes (tests, offline checks of an export)."""

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append(leaf)

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        level = 0
        while len(self.levels[level]) % 2 == 0:
            pair = self.levels[level][-2:]
            if level + 1 == len(self.levels):
                self.levels.append([])
            self.levels[level + 1].append(node_hash(*pair))
            level += 1

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        return range_hash(0, self.size if size is None else size, self.node)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes form PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), leaf side first."""
    if not 0 <= index < size:
        raise ProofError(f"no leaf {index} in a tree of {size}")
    out, lo, hi = [], 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    return out[::-1]


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The ranges whose hashes form PROOF(size1, D[0:size2]) (RFC 9162 §2.1.4.1)."""
    if not 0 <= size1 <= size2:
        raise ProofError(f"no consistency proof from {size1} to {size2}")
    if size1 in (0, size2):
        return []
    out, m, lo, hi, whole = [], size1, 0, size2, True
    while True:
        if m == hi - lo:
            if not whole:
                out.append((lo, hi))
            break
        k = _split(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            m, lo, whole = m - k, lo + k, False
    return out[::-1]


def inclusion_proof(index: int, size: int, node: NodeLookup) -> list[bytes]:
    return [range_hash(lo, hi, node) for lo, hi in inclusion_ranges(index, size)]


def consistency_proof(size1: int, size2: int, node: NodeLookup) -> list[bytes]:
    return [range_hash(lo, hi, node) for lo, hi in consistency_ranges(size1, size2)]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root the path leads to; ProofError if it cannot be a path."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree needs")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"leaf {index} is not in the tree of {size} with this root")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """RFC 9162 §2.1.4.2: the tree of size2 with root2 extends the tree of size1 with root1."""
    if size1 < 0 or size2 < 0 or size1 > size2:
        raise ProofError(f"the first size ({size1}) is greater than the second ({size2})")
    if size1 == size2:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if root1 != root2:
            raise ProofError("equal sizes with different roots")
        return
    if size1 == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("an empty consistency proof between different sizes")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # an exact power of two: the old root is the first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the sizes allow")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the sizes need")
    if fr != root1:
        raise ProofError(f"the proof does not lead to the old root (size {size1})")
    if sr != root2:
        raise ProofError(f"the proof does not lead to the new root (size {size2})")
