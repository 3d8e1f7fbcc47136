"""The key directory of a service's signing keys, and checking a proof file offline.

Imports nothing of the database: ``ruam audit check-proof`` runs on a machine with
no database at all. The layout of the directory is described in
``engine.audit.seals``.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from workflow import checkpoint as c
from workflow.errors import NotFound, UsageError
from workflow.ledger import Record


def office_key_dir(base: Path, office_code: str) -> Path:
    """Each office's log has its own key (its name is the office's log): the default office's in
    the key directory itself (as before offices), another office's in ``offices/CODE`` under it."""
    return base if office_code == "default" else base / "offices" / office_code


def default_key_dir(db_url: str) -> Path:
    """``ruam-keys`` next to a SQLite file; else the user's data directory."""
    url = db_url.strip()
    if "://" not in url and url != ":memory:":
        return Path(url).resolve().parent / "ruam-keys"  # a SQLite file named by its path
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url.removeprefix("sqlite:///")).resolve().parent / "ruam-keys"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    where = url.split("@")[-1].split("?")[0]  # host/database, without the credentials
    return Path(base) / "ruam" / "keys" / "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in where)


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
