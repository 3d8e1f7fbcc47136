"""The audit's rules for ``audit.sealed`` records (a ``FoldExtension``): each seal is
written by the system, names a tree size below its own place in the ledger (the
checkpoint covers the records before the seal), sizes only grow, and the signed
checkpoint it carries says the same origin, size and root as the record. (Whose key
signed it is the auditor's question: ``ruam audit verify --since`` and
``check-proof`` answer it with the keys the auditor trusts.)"""

from __future__ import annotations

import base64

from workflow.checkpoint import ProofInvalid, parse_checkpoint, parse_note
from workflow.replay import SYSTEM, Fold, FoldExtension


class SealExtension(FoldExtension):
    name = "seals"
    prefixes = ("audit.",)

    def __init__(self) -> None:
        self.count = 0
        self.last_size = -1

    def apply(self, fold: Fold, rec) -> None:
        if rec.kind != "audit.sealed":
            fold.finding("legality", rec, f"unknown audit record kind {rec.kind}", f"บันทึกตรวจสอบชนิดที่ไม่รู้จัก {rec.kind}")
            return
        d = rec.data
        if rec.actor != SYSTEM and rec.role != SYSTEM:
            fold.finding("authority", rec, "a seal not written by the system", "ตราประทับที่ไม่ได้เขียนโดยระบบ")
        size = d.get("size")
        if not isinstance(size, int) or not 0 <= size < rec.seq:
            fold.finding("legality", rec, f"the seal names tree size {size!r}, not one below its own record",
                         f"ตราประทับระบุขนาด {size!r} ซึ่งไม่น้อยกว่าตำแหน่งของตัวเอง")
            return
        if size <= self.last_size:
            fold.finding("legality", rec, f"the seal's size {size} does not grow past the last seal's "
                                          f"{self.last_size}", f"ขนาดในตราประทับ {size} ไม่มากกว่าครั้งก่อน ({self.last_size})")
        try:
            cp = parse_checkpoint(parse_note(d.get("checkpoint") or "")[0])
        except ProofInvalid as exc:
            fold.finding("legality", rec, f"the seal's checkpoint is malformed: {exc.message_en}",
                         f"จุดตรวจในตราประทับมีรูปแบบไม่ถูกต้อง: {exc.message_th}")
            return
        if (cp.origin, cp.size, base64.b64encode(cp.root).decode()) != (d.get("origin"), size, d.get("root")):
            fold.finding("legality", rec, "the seal's checkpoint differs from the record's origin, size or root",
                         "จุดตรวจในตราประทับไม่ตรงกับชื่อบันทึก ขนาด หรือรากในบันทึก")
        self.count += 1
        self.last_size = size

    def snapshot(self, fold: Fold) -> dict:
        return {"seals": self.count, "last_size": self.last_size}
