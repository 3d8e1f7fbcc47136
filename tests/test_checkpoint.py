"""Signed checkpoints and proof files (workflow.checkpoint), offline.

The signed-note vector is Go's ``golang.org/x/mod/sumdb/note`` example (its package
doc and note_test.go, BSD-3-Clause): the PeterNeumann keys and the published note.
Ed25519 is deterministic, so signing its text with its key must give its note byte
for byte — then Go's verifiers and witnesses read our checkpoints.
"""

from __future__ import annotations

import pytest

from workflow import checkpoint as c
from workflow import merkle as m

GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"


def test_the_go_note_vector_is_reproduced_and_opened():
    signer = c.parse_signer(GO_SIGNER)
    assert signer.verifier.text() == GO_VERIFIER
    assert signer.text() == GO_SIGNER
    assert c.sign_note(GO_TEXT, [signer]) == GO_NOTE
    text, good = c.open_note(GO_NOTE, [c.parse_verifier(GO_VERIFIER)])
    assert text == GO_TEXT and [v.text() for v in good] == [GO_VERIFIER]
    with pytest.raises(c.ProofInvalid):
        c.open_note(GO_NOTE.replace("cryptography", "cryptographY"), [c.parse_verifier(GO_VERIFIER)])


def test_mangled_verifier_keys_are_refused():
    for bad in [GO_VERIFIER[:-1], GO_VERIFIER.replace("c74f20a3", "c74f20a4"), "PeterNeumann+c74f20a3",
                GO_VERIFIER.replace("ARpc", "AhYc"), "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"]:
        with pytest.raises(c.ProofInvalid):
            c.parse_verifier(bad)


def _cp(size=5, origin="ruam.example/default"):
    tree = m.MemoryTree([m.leaf_hash(bytes([i])) for i in range(size)])
    return c.Checkpoint(origin, size, tree.root()), tree


def test_a_checkpoint_round_trips_and_names_its_signers():
    old, new = c.Signer.generate("ruam.example/default"), c.Signer.generate("ruam.example/default")
    cp, _ = _cp()
    note = cp.sign([new, old])  # the rotation: the new key and the retired one both sign
    assert note.startswith("ruam.example/default\n5\n") and note.count("\n— ruam.example/default ") == 2
    got, good = c.open_checkpoint(note, [old.verifier], origin="ruam.example/default")
    assert got == cp and good == [old.verifier]
    got, good = c.open_checkpoint(note, [new.verifier, old.verifier])
    assert len(good) == 2
    with pytest.raises(c.ProofInvalid):
        c.open_checkpoint(note, [old.verifier], origin="ruam.example/other")


def test_unknown_signatures_are_ignored_but_a_note_no_trusted_key_signed_is_refused():
    ours, witness, stranger = (c.Signer.generate(n) for n in ("ruam.example/default", "witness.example",
                                                            "ruam.example/default"))
    cp, _ = _cp()
    note = cp.sign([witness, ours])
    c.open_checkpoint(note, [ours.verifier])
    with pytest.raises(c.ProofInvalid, match="no trusted key"):
        c.open_checkpoint(cp.sign([stranger]), [ours.verifier])  # same name, another key: unknown
    with pytest.raises(c.ProofInvalid, match="no trusted key"):
        c.open_checkpoint(note, [])


def test_a_forged_signature_by_a_known_key_rejects_the_note():
    ours, other = c.Signer.generate("ruam.example/default"), c.Signer.generate("witness.example")
    cp, _ = _cp()
    note = cp.sign([ours])
    edited = note.replace("\n5\n", "\n6\n", 1)
    with pytest.raises(c.ProofInvalid, match="does not verify"):
        c.open_checkpoint(edited, [ours.verifier])
    with pytest.raises(c.ProofInvalid):
        c.open_checkpoint(edited, [ours.verifier, other.verifier])


@pytest.mark.parametrize("text", ["", "origin\n5\n", "origin\n05\nAAAA\n", "origin\n5\nnot base64!\n",
                                  "origin\n5\nAAAA\n", "\n5\n" + "A" * 43 + "=\n", "origin\n-1\n" + "A" * 43 + "=\n"])
def test_malformed_checkpoints_are_refused(text):
    with pytest.raises(c.ProofInvalid):
        c.parse_checkpoint(text)


def test_notes_with_control_characters_or_no_signatures_are_refused():
    signer = c.Signer.generate("ruam.example/default")
    cp, _ = _cp()
    with pytest.raises(c.ProofInvalid):
        c.parse_note(cp.text())
    with pytest.raises(c.ProofInvalid):
        c.parse_note(cp.sign([signer]).replace("default\n", "default\x07\n", 1))
    with pytest.raises(c.ProofInvalid):
        c.parse_note(cp.sign([signer]) + "— broken\n")


def test_consistency_between_checkpoints():
    big = m.MemoryTree([m.leaf_hash(bytes([i])) for i in range(20)])
    old, new = c.Checkpoint("o", 7, big.root(7)), c.Checkpoint("o", 20, big.root(20))
    c.check_consistent(old, new, m.consistency_proof(7, 20, big.node))
    with pytest.raises(c.ProofInvalid):
        c.check_consistent(new, old, m.consistency_proof(7, 20, big.node))
    with pytest.raises(c.ProofInvalid):
        c.check_consistent(c.Checkpoint("other", 7, big.root(7)), new, m.consistency_proof(7, 20, big.node))


def test_a_proof_file_round_trips_and_verifies_offline():
    signer = c.Signer.generate("ruam.example/default")
    records = [f'{{"seq":{i + 1}}}'.encode() for i in range(11)]
    tree = m.MemoryTree([m.leaf_hash(r) for r in records])
    note = c.Checkpoint("ruam.example/default", 11, tree.root()).sign([signer])
    pf = c.ProofFile(index=6, path=tuple(m.inclusion_proof(6, 11, tree.node)), note=note, extra=records[6])
    text = pf.text()
    assert text.startswith("c2sp.org/tlog-proof@v1\nextra ") and "\nindex 6\n" in text and text.endswith(note)
    assert c.parse_proof_file(text) == pf
    got, cp, good = c.check_proof_file(text, [signer.verifier])
    assert got.extra == records[6] and cp.size == 11 and good == [signer.verifier]

    other = c.ProofFile(index=6, path=pf.path, note=note, extra=records[5]).text()  # another record
    with pytest.raises(c.ProofInvalid, match="not entry 6"):
        c.check_proof_file(other, [signer.verifier])
    moved = c.ProofFile(index=5, path=pf.path, note=note, extra=records[6]).text()
    with pytest.raises(c.ProofInvalid):
        c.check_proof_file(moved, [signer.verifier])
    short = c.ProofFile(index=6, path=pf.path[:-1], note=note, extra=records[6]).text()
    with pytest.raises(c.ProofInvalid):
        c.check_proof_file(short, [signer.verifier])
    with pytest.raises(c.ProofInvalid, match="no trusted key"):
        c.check_proof_file(text, [c.Signer.generate("ruam.example/default").verifier])
    for broken in ["", "c2sp.org/tlog-proof@v2\nindex 1\n\n" + note, "c2sp.org/tlog-proof@v1\nindex x\n\n" + note,
                   "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n" + note]:
        with pytest.raises(c.ProofInvalid):
            c.check_proof_file(broken, [signer.verifier])
