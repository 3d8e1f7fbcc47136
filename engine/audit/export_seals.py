"""An export checked against signed checkpoints, offline (``audit verify --file F --since OLD``).

An export holds every record's exact canonical text, so its Merkle tree can be
recomputed with no database: the first OLD-size records must give OLD's root (the
checkpoint the auditor kept), and the newest seal record in the file carries a
checkpoint that must be signed by a trusted key, extend OLD (a consistency proof
from the recomputed tree) and match the file's records. The fold is then checked
by the export's own offline verify (an export holds no fold snapshot, so it folds
every record). JSON Lines exports only (the CSV holds the same texts; not wired)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from workflow import checkpoint as c
from workflow import merkle as m
from workflow.errors import Finding, UsageError


@dataclass
class ExportSeals:
    old_size: int
    new_size: int = 0
    records: int = 0
    signed_by: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict:
        return {"ok": self.ok, "old_size": self.old_size, "new_size": self.new_size, "records": self.records,
                "signed_by": self.signed_by,
                "findings": [{"kind": f.kind, "seq": f.seq, "message": f.message, "message_th": f.message_th}
                             for f in self.findings]}


def check_export(path: str | Path, old_note: str, trusted: list[c.Verifier]) -> ExportSeals:
    old, _ = c.open_checkpoint(old_note, trusted)
    out = ExportSeals(old_size=old.size)
    tree = m.MemoryTree()
    newest: str | None = None
    with open(path, encoding="utf-8-sig") as handle:
        first = handle.readline()
        if not first.startswith("{") or json.loads(first).get("ruam_export") != 1:
            raise UsageError("--file", "with --since: a Ruam JSON Lines export", "ใช้ --since กับไฟล์ JSON Lines ที่ส่งออกจาก Ruam")
        for line in handle:
            if not line.strip():
                continue
            item = json.loads(line)
            if "body" not in item:
                continue  # a definition line
            tree.append(m.leaf_hash(item["body"].encode("utf-8")))
            if item.get("kind") == "audit.sealed":
                newest = (json.loads(item["body"]).get("data") or {}).get("checkpoint") or newest
    out.records = tree.size

    def fail(en: str, th: str) -> ExportSeals:
        out.findings.append(Finding("seal", None, en, message_th=th))
        return out

    if tree.size < old.size or tree.root(old.size) != old.root:
        return fail(f"the file's first {old.size} records are not the ones the old checkpoint signed",
                    f"บันทึก {old.size} รายการแรกในไฟล์ไม่ใช่ชุดที่จุดตรวจเดิมลงนามไว้")
    if newest is None:
        return fail("the file has no seal record", "ไฟล์ไม่มีบันทึกตราประทับ")
    new, good = c.open_checkpoint(newest, trusted, origin=old.origin)
    out.new_size, out.signed_by = new.size, [v.text() for v in good]
    if new.size > tree.size or tree.root(new.size) != new.root:
        return fail("the file's records are not the ones its newest signed checkpoint covers",
                    "บันทึกในไฟล์ไม่ตรงกับจุดตรวจล่าสุดที่ลงนามไว้")
    try:
        c.check_consistent(old, new, m.consistency_proof(old.size, new.size, tree.node)
                           if old.size <= new.size else [])
    except c.ProofInvalid as exc:
        return fail(exc.message_en, exc.message_th)
    return out
