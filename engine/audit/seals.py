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
import os
from dataclasses import dataclass
from pathlib import Path

from engine.app import SYSTEM, Ruam
from storage import merkle as tree
from storage import seal_rows
from workflow import checkpoint as c
from workflow.errors import NotFound, Refused, UsageError
from workflow.ledger import Entry, Record

SEALED = "audit.sealed"
SERVICE = "ruam"


class SignerRefused(Refused):
    """The signer was asked to sign a checkpoint inconsistent with one it signed."""

    code = "seal_inconsistent"

    def __init__(self, message_en: str, message_th: str) -> None:
        super().__init__(message_en, message_th)


def default_key_dir(db_url: str) -> Path:
    """``ruam-keys`` next to a SQLite file; else the user's data directory."""
    from storage.db import normalize_url

    url = normalize_url(db_url)
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url.removeprefix("sqlite:///")).resolve().parent / "ruam-keys"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ruam" / "keys"


def origin_of(app: Ruam, chain: str = tree.DEFAULT_CHAIN) -> str:
    """The log's name (and its key's): the service and the office (the organization's id; the
    chain's key, once the ledger has one chain per office)."""
    office = app.active().organization.id if chain == tree.DEFAULT_CHAIN else chain
    return c.check_name(f"{SERVICE}/{office}")


@dataclass
class Keys:
    """A key directory."""

    path: Path

    @property
    def _signer_file(self) -> Path:
        return self.path / "signer.key"

    @property
    def _list_file(self) -> Path:
        return self.path / "verifiers.txt"

    def _write_private(self, file: Path, text: str) -> None:
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = file.with_suffix(".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, file)

    def _write_list(self, lines: list[str]) -> None:
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self._list_file.with_suffix(".new")
        tmp.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
        os.replace(tmp, self._list_file)

    def signer(self, name: str, *, create: bool = True) -> c.Signer:
        if self._signer_file.exists():
            signer = c.parse_signer(self._signer_file.read_text(encoding="utf-8"))
            if signer.name != name:
                raise UsageError("key", f"the key in {self.path} signs for '{signer.name}', not '{name}'",
                                 f"กุญแจใน {self.path} ลงนามให้ '{signer.name}' ไม่ใช่ '{name}'")
            return signer
        if not create:
            raise NotFound("signing key", str(self.path), "กุญแจลงนามใน")
        signer = c.Signer.generate(name)
        self._write_private(self._signer_file, signer.text() + "\n")
        self._write_list([f"active {signer.verifier.text()}"] + [f"retired {v.text()}" for v, _ in self.listed()])
        return signer

    def listed(self) -> list[tuple[c.Verifier, str]]:
        """Every key this directory has signed with and its status (``active`` | ``retired``)."""
        if not self._list_file.exists():
            return []
        out = []
        for line in self._list_file.read_text(encoding="utf-8").splitlines():
            status, _, key = line.strip().partition(" ")
            if key:
                out.append((c.parse_verifier(key), status))
        return out

    def verifiers(self) -> list[c.Verifier]:
        return [v for v, _ in self.listed()]

    def rotate(self, name: str) -> tuple[c.Signer, c.Verifier | None]:
        """A new active key; the old one stays listed as retired (its private key is removed)."""
        old = self.signer(name, create=False) if self._signer_file.exists() else None
        new = c.Signer.generate(name)
        kept = [f"retired {v.text()}" for v, _ in self.listed()]
        self._write_private(self._signer_file, new.text() + "\n")
        self._write_list([f"active {new.verifier.text()}"] + kept)
        return new, (old.verifier if old else None)

    def last(self, chain: str) -> str | None:
        file = self.path / f"last-{chain}.checkpoint"
        return file.read_text(encoding="utf-8") if file.exists() else None

    def keep_last(self, chain: str, note: str) -> None:
        self._write_private(self.path / f"last-{chain}.checkpoint", note.rstrip("\n") + "\n")


@dataclass(frozen=True)
class Sealed:
    checkpoint: c.Checkpoint
    note: str
    record: Record


def _signed_before(keys: Keys, tx, chain: str) -> c.Checkpoint | None:
    """The last checkpoint this signer signed (its own copy; the database's newest if it has none)."""
    note = keys.last(chain) or seal_rows.latest_note(tx, chain)
    return None if note is None else c.parse_checkpoint(c.parse_note(note)[0])


def seal(app: Ruam, keys: Keys, *, actor: str = SYSTEM, chain: str = tree.DEFAULT_CHAIN,
         snapshot=None) -> Sealed:
    """Sign a checkpoint of the chain's tree at its head; record it. ``snapshot(tx, size)``, if
    given, returns ``(sha256, content)`` of the fold at that size (stored; the record names its hash)."""
    origin = origin_of(app, chain)
    signer = keys.signer(origin)
    now = app.clock()
    with app.store.transaction() as tx:
        size = tx.head()[0]
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


def prove(app: Ruam, seq: int, chain: str = tree.DEFAULT_CHAIN) -> c.ProofFile:
    """The proof file of record ``seq``: against the newest checkpoint that covers it."""
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


def checkpoints(app: Ruam, chain: str = tree.DEFAULT_CHAIN) -> list[dict]:
    """The checkpoints signed, newest first (size, root hex, note, when)."""
    with app.store.reading() as tx:
        return seal_rows.checkpoints(tx, chain)


def checked_proof(text: str, trusted: list[c.Verifier]) -> dict:
    """Check a proof file offline: what it proves, as data (the record, the checkpoint, the keys)."""
    proof, cp, good = c.check_proof_file(text, trusted)
    try:
        record = Record.from_text(proof.extra.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise c.ProofInvalid("the proof's record is not a ledger record",
                             "บันทึกในไฟล์หลักฐานไม่ใช่บันทึกของระบบ") from None
    if record.seq != proof.index + 1:
        raise c.ProofInvalid(f"the record says it is number {record.seq}, the proof places it at {proof.index + 1}",
                             f"บันทึกระบุว่าเป็นรายการที่ {record.seq} แต่หลักฐานระบุตำแหน่ง {proof.index + 1}")
    return {"ok": True, "seq": record.seq, "kind": record.kind, "at": record.at, "process": record.process,
            "actor": record.actor, "hash": record.hash, "origin": cp.origin, "tree_size": cp.size,
            "root": base64.b64encode(cp.root).decode(), "signed_by": [v.text() for v in good],
            "record": record.body()}


def rebuild_tree(app: Ruam, chain: str = tree.DEFAULT_CHAIN) -> tuple[int, int]:
    """Recompute the chain's Merkle tree from the ledger: (records, nodes repaired)."""
    with app.store.transaction() as tx:
        return tree.rebuild(tx, chain)
