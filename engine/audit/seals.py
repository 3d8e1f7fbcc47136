"""Seals: the service's signing keys, signed checkpoints as ledger records, proofs.

The key directory (``RUAM_KEY_DIR``, else ``ruam-keys/`` next to a SQLite
database, else ``~/.local/share/ruam/keys``; chosen by the face) holds:

- ``signer.key``: the active Ed25519 key in Go ``note`` signer form, created on
  first use with mode 0600 (the directory 0700);
- ``verifiers.txt``: every key this service has signed with, one line each,
  ``active|retired <verifier key>``; a rotation (``rotate``) makes a new active
  key and keeps the old one's verifier key listed as retired (its private key is
  deleted). Verifiers trust any key listed; checkpoints signed before a rotation
  keep verifying with the retired key;
- ``last-<chain>.checkpoint``: the last checkpoint this signer signed. The
  signer refuses to sign a tree that is not an extension of it (a consistency
  proof from it must verify), so a ledger rewritten in the database, even with
  its hashes and its tree recomputed, is never signed.

``seal`` signs a checkpoint of the chain's tree at its head, stores it, and
appends an ``audit.sealed`` record carrying it (so each seal is itself in the
next one's tree, and published with the ledger). ``prove`` writes the proof
file of one record against the latest checkpoint covering it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from engine.app import SYSTEM, Ruam
from engine.audit.keys import Keys
from storage import merkle as tree
from storage import seal_rows
from workflow import checkpoint as c
from workflow.errors import NotFound, Refused
from workflow.ledger import Entry, Record

SEALED = "audit.sealed"
SERVICE = "ruam"


class SignerRefused(Refused):
    """The signer was asked to sign a checkpoint inconsistent with one it signed."""

    code = "seal_inconsistent"

    def __init__(self, message_en: str, message_th: str) -> None:
        super().__init__(message_en, message_th)


def origin_of(app: Ruam, chain: str | None = None) -> str:
    """The log's name (and its key's): the service and the office (the organization's id; the
    chain's key, once the ledger has one chain per office)."""
    chain = chain or app.store.office_code  # the office's tree (its code; "default")
    office = app.active().organization.id if chain == tree.DEFAULT_CHAIN else chain
    return c.check_name(f"{SERVICE}/{office}")


@dataclass(frozen=True)
class Sealed:
    checkpoint: c.Checkpoint
    note: str
    record: Record


def _signed_before(keys: Keys, tx, chain: str) -> c.Checkpoint | None:
    """The last checkpoint this signer signed (its own copy; the database's newest if it has none)."""
    note = keys.last(chain) or seal_rows.latest_note(tx, chain)
    return None if note is None else c.parse_checkpoint(c.parse_note(note)[0])


def seal(app: Ruam, keys: Keys, *, actor: str = SYSTEM, chain: str | None = None,
         snapshot=None, size: int | None = None) -> Sealed:
    """Sign a checkpoint of the chain's tree at its head (or at ``size``, a prefix of it); record it.
    ``snapshot(tx, size)``, if given, returns ``(sha256, content)`` of the fold at that size (stored;
    the record names its hash)."""
    chain = chain or app.store.office_code  # the office's tree (its code; "default")
    origin = origin_of(app, chain)
    signer = keys.signer(origin)
    now = app.clock()
    with app.store.transaction() as tx:
        head = tx.head()[0]
        size = head if size is None else size
        if not 0 <= size <= head:
            raise Refused(f"no tree of {size} records: the ledger has {head}",
                          f"ไม่มีต้นไม้ขนาด {size} รายการ: บันทึกมี {head} รายการ")
        cp = c.Checkpoint(origin, size, tree.root(tx, chain, size))
        old = _signed_before(keys, tx, chain)
        if old is not None:
            try:
                if old.origin != origin:
                    raise c.ProofInvalid("another log", "บันทึกอื่น")
                c.check_consistent(old, cp, tree.consistency_proof(tx, chain, old.size, size)
                                   if old.size <= size else [])
            except (c.ProofInvalid, ValueError):
                raise SignerRefused(
                    f"refused to sign: the ledger of {size} records is not an extension of the checkpoint "
                    f"of {old.size} records signed before (records were changed or removed)",
                    f"ไม่ยอมลงนาม: บันทึก {size} รายการไม่ได้ต่อจากจุดตรวจ {old.size} รายการที่ลงนามไว้ก่อน "
                    "(มีการแก้ไขหรือลบบันทึก)") from None
        data = {"origin": origin, "size": size, "root": base64.b64encode(cp.root).decode(),
                "key": signer.verifier.text()}
        if snapshot is not None:
            digest, content = snapshot(tx, size)
            seal_rows.put_snapshot(tx, chain, size, digest, content)
            data["fold_sha256"] = digest
        note = cp.sign([signer])
        data["checkpoint"] = note
        seal_rows.put_checkpoint(tx, chain, size, cp.root.hex(), note, now)
        [rec] = tx.append([Entry(kind=SEALED, at=now, actor=actor, role=SYSTEM, data=data)])
    keys.keep_last(chain, note)
    app.log.info(SEALED, size=size, seq=rec.seq)
    return Sealed(cp, note, rec)


def prove(app: Ruam, seq: int, chain: str | None = None) -> c.ProofFile:
    """The proof file of record ``seq``: against the newest checkpoint that covers it."""
    chain = chain or app.store.office_code  # the office's tree (its code; "default")
    with app.store.reading() as tx:
        found = seal_rows.covering(tx, chain, seq)
        body = seal_rows.record_body(tx, seq)
        if body is None:
            raise NotFound("record", str(seq), "บันทึกรายการ")
        if found is None:
            raise NotFound("seal covering record", str(seq), "ตราประทับที่ครอบคลุมบันทึกรายการ")
        size, note = found
        path = tree.inclusion_proof(tx, chain, seq - 1, size)
    return c.ProofFile(index=seq - 1, path=tuple(path), note=note, extra=body.encode("utf-8"))


def checkpoints(app: Ruam, chain: str | None = None) -> list[dict]:
    """The checkpoints signed, newest first (size, root hex, note, when)."""
    chain = chain or app.store.office_code  # the office's tree (its code; "default")
    with app.store.reading() as tx:
        return seal_rows.checkpoints(tx, chain)


def rebuild_tree(app: Ruam, chain: str | None = None) -> tuple[int, int]:
    """Recompute the chain's Merkle tree from the ledger: (records, nodes repaired)."""
    chain = chain or app.store.office_code  # the office's tree (its code; "default")
    with app.store.transaction() as tx:
        return tree.rebuild(tx, chain)
