"""The seal: a ledger's head, anchored outside the database.

Anyone with enough rights on the database can rewrite and rehash the whole chain;
a seal taken earlier (printed, signed, kept by the auditor) cannot be changed with
it. A seal names the record count, the head record's sequence number and hash,
and the definitions the ledger was made under. ``SealWatch`` checks a stream of
rows against an earlier seal: the sealed record must still be there with the same
hash (if the chain ends before it, the ledger was truncated; if its hash differs,
the chain was rewritten since).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from workflow.errors import Finding, UsageError

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


_FIELDS = ("ruam_seal", "records", "head_seq", "head_hash", "definitions", "office", "exported_by", "exported_at",
           "verdict")


@dataclass(frozen=True)
class Seal:
    """A ledger's head, and (for a seal written by an export) who sealed what, when.

    ``office``: the organization's title (``{"th", "en"}``); ``exported_by``: the person who
    exported (``{"id", "th", "en"}``: the id and the name in both languages as the ledger had
    it then); ``exported_at``: the instant (ISO, UTC); ``verdict``: what the database's own
    verify found just before the export (``{"verdict": "passed" | "failed" | "incomplete",
    "findings_total", "finding_counts", "head_seq"}``: the record it verified up to).
    """

    head_hash: str
    head_seq: int | None = None
    records: int | None = None
    definitions: tuple[dict, ...] = ()
    extra: dict = field(default_factory=dict)
    office: dict | None = None
    exported_by: dict | None = None
    exported_at: str | None = None
    verdict: dict | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ruam_seal": 1, "records": self.records, "head_seq": self.head_seq,
                               "head_hash": self.head_hash, "definitions": list(self.definitions)}
        for key in ("office", "exported_by", "exported_at", "verdict"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out | self.extra

    @property
    def verdict_word(self) -> str | None:
        """``passed``, ``failed``, ``incomplete`` — or None for a seal that does not record it."""
        return self.verdict.get("verdict") if isinstance(self.verdict, dict) else None

    @property
    def short(self) -> str:
        """The head in one token (``SEQ:HASH``) for ``--seal``."""
        return f"{self.head_seq}:{self.head_hash}" if self.head_seq is not None else self.head_hash


def parse_seal(text: str) -> Seal:
    """A seal given by an auditor: ``HASH``, ``SEQ:HASH``, or a seal file's JSON."""
    raw = (text or "").strip()
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UsageError("--seal", f"the seal file is not JSON: {exc.msg}", "ไฟล์ตราประทับไม่ใช่ JSON") from None
        head = data.get("head_hash") if isinstance(data, dict) else None
        if not isinstance(head, str) or not _HEX64.match(head):
            raise UsageError("--seal", "the seal file has no head_hash", "ไฟล์ตราประทับไม่มี head_hash")
        extra = {k: v for k, v in data.items() if k not in _FIELDS}

        def part(key: str, kind: type) -> Any:
            value = data.get(key)
            return value if isinstance(value, kind) else None

        return Seal(head_hash=head, head_seq=data.get("head_seq"), records=data.get("records"),
                    definitions=tuple(data.get("definitions") or ()), extra=extra, office=part("office", dict),
                    exported_by=part("exported_by", dict), exported_at=part("exported_at", str),
                    verdict=part("verdict", dict))
    seq_text, sep, head = raw.rpartition(":")
    if not sep:
        head, seq_text = raw, ""
    head = head.lower()
    if not _HEX64.match(head) or (seq_text and not seq_text.isdigit()):
        raise UsageError("--seal", f"'{text}' is not a seal: give the head hash (64 hex digits), SEQ:HASH, "
                                   "or a seal file", f"'{text}' ไม่ใช่ตราประทับ (hash 64 หลัก, SEQ:HASH หรือไฟล์)")
    return Seal(head_hash=head, head_seq=int(seq_text) if seq_text else None)


class SealWatch:
    """Watches rows go by (``observe(seq, hash)``) and judges them against an earlier seal."""

    def __init__(self, seal: Seal) -> None:
        self.seal = seal
        self.found_at: int | None = None     # where the sealed hash was seen
        self.hash_at_seq: str | None = None  # what stands at the sealed sequence number now
        self.last_seq = 0

    def observe(self, seq: int, digest: str) -> None:
        self.last_seq = seq
        if digest == self.seal.head_hash and self.found_at is None:
            self.found_at = seq
        if seq == self.seal.head_seq:
            self.hash_at_seq = digest

    @property
    def after(self) -> int:
        """Records appended after the sealed head."""
        return max(0, self.last_seq - self.found_at) if self.found_at is not None else 0

    def findings(self) -> list[Finding]:
        s = self.seal
        want = f"record {s.head_seq} with hash {s.head_hash[:16]}…" if s.head_seq else f"hash {s.head_hash[:16]}…"
        if s.head_seq is not None:
            if self.hash_at_seq is None:
                return [Finding("seal", s.head_seq, f"truncated: the seal names {want}, but the ledger ends at "
                                                    f"record {self.last_seq}",
                                message_th=f"ถูกตัดท้าย: ตราประทับระบุ {want} แต่บันทึกสิ้นสุดที่ {self.last_seq}")]
            if self.hash_at_seq != s.head_hash:
                return [Finding("seal", s.head_seq, f"rewritten since the seal: record {s.head_seq} has hash "
                                                    f"{self.hash_at_seq[:16]}…, the seal says {s.head_hash[:16]}…",
                                message_th=f"ถูกเขียนใหม่หลังประทับตรา: บันทึกที่ {s.head_seq} มี hash "
                                           f"{self.hash_at_seq[:16]}… แต่ตราประทับระบุ {s.head_hash[:16]}…")]
            return []
        if self.found_at is None:
            return [Finding("seal", None, f"the sealed head ({want}) is not in the ledger: it was truncated or "
                                          f"rewritten since the seal (the ledger ends at record {self.last_seq})",
                            message_th=f"ไม่พบหัวสายที่ประทับตรา ({want}) ในบันทึก: ถูกตัดหรือเขียนใหม่หลังประทับตรา "
                                       f"(บันทึกสิ้นสุดที่ {self.last_seq})")]
        return []

    def as_dict(self) -> dict[str, Any]:
        return {"seal": self.seal.short, "ok": not self.findings(), "records_after_seal": self.after}
