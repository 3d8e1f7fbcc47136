"""Verify only what changed since a checkpoint the auditor kept (``audit verify --since``),
and the fold snapshot each seal commits to.

Given OLD (a signed checkpoint kept from last quarter) and the keys the auditor
trusts:

1. OLD's signature, and the newest checkpoint the service signed (NEW): its
   signature, its origin (the same log), and the RFC 9162 consistency proof from
   OLD to NEW (O(log n) hashes from the stored tree);
2. the records after OLD's size, up to NEW's — and only those — are read; their
   leaves, appended to OLD's frontier (≤ log₂ n hashes, checked against OLD's
   root), must give NEW's root: the records read are exactly the ones NEW signed;
3. the fold starts from the snapshot of OLD's size: its sha256 must be the one
   named by the ``audit.sealed`` record of OLD, which is one of the records read
   (so it is in NEW's tree); then each record is checked as a full verify checks
   it (chain links, legality, authority, calendar), and the processes they touch
   are compared with the live table.

The report says how many records and hashes it read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from engine.app import Ruam
from engine.audit.checks import intact_definitions, snapshot
from engine.audit.live import FOLD_EXTENSIONS
from engine.audit.seals import SEALED
from storage import merkle as tree
from storage import seal_rows
from workflow import checkpoint as c
from workflow import fold_state
from workflow import merkle as m
from workflow.chain import Findings, check_chain
from workflow.errors import Finding
from workflow.ledger import GENESIS
from workflow.replay import Fold


def _rows(tx, after: int, upto: int, batch: int = 5000) -> Iterator[tuple]:
    """Ledger rows ``after < seq <= upto`` in order, as the audit reads them (bodies as bytes on SQLite)."""
    mark = "?" if tx.dialect == "sqlite" else "%s"
    body = "CAST(body AS BLOB)" if tx.dialect == "sqlite" else "body"
    sql = (f"SELECT seq, prev_hash, hash, kind, process_id, {body}, actor, recorded_at FROM ledger "
           f"WHERE office_id = {mark} AND seq > {mark} AND seq <= {mark} ORDER BY seq LIMIT {int(batch)}")
    last = after
    while True:
        rows = tx.conn.exec_driver_sql(sql, (tx.office_id, last, upto)).fetchall()
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1][0]


def _bytes(body) -> bytes:
    return bytes(body) if isinstance(body, (bytes, memoryview)) else body.encode("utf-8")


def _fold_from(tx, chain: str, base: tuple[int, bytes] | None, findings) -> tuple[Fold, int, str]:
    extensions = [make() for make in FOLD_EXTENSIONS]
    lookup = intact_definitions(tx)
    if base is None:
        return Fold(lookup, findings, extensions=extensions), 0, GENESIS
    size, content = base
    fold = fold_state.load(content, lookup, findings, extensions)
    return fold, size, fold.last.hash if fold.last is not None else GENESIS


def fold_snapshot(app: Ruam, chain: str | None = None) -> Callable:
    """For ``seals.seal``: the fold at a size, from the newest snapshot below it (else from record 1)."""
    chain = chain or app.store.office_code  # the office's tree (its code; "default")

    def make(tx, size: int) -> tuple[str, bytes]:
        base = seal_rows.snapshot_below(tx, chain, size)
        fold, start, prev = _fold_from(tx, chain, base, Findings())
        for rec in check_chain(_rows(tx, start, size), fold.findings, start_seq=start + 1, start_hash=prev):
            fold.apply(rec)
        content = fold_state.dump(fold)
        return fold_state.digest(content), content

    return make


@dataclass
class SinceReport:
    old_size: int
    new_size: int = 0
    head_seq: int = 0
    records_read: int = 0
    hashes_read: int = 0
    signed_by: list[str] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)
    processes_compared: int = 0

    @property
    def ok(self) -> bool:
        return self.findings.total == 0

    def as_dict(self) -> dict:
        return {"ok": self.ok, "old_size": self.old_size, "new_size": self.new_size, "head_seq": self.head_seq,
                "records_read": self.records_read, "hashes_read": self.hashes_read, "signed_by": self.signed_by,
                "processes_compared": self.processes_compared, "findings_total": self.findings.total,
                "findings": [{"kind": f.kind, "seq": f.seq, "message": f.message, "message_th": f.message_th}
                             for f in self.findings]}


def _fail(report: SinceReport, kind: str, seq, en: str, th: str) -> SinceReport:
    report.findings.append(Finding(kind, seq, en, message_th=th))
    return report


def verify_since(app: Ruam, old_note: str, trusted: list[c.Verifier], chain: str | None = None) -> SinceReport:
    chain = chain or app.store.office_code  # the office's tree (its code; "default")
    old, _ = c.open_checkpoint(old_note, trusted)
    report = SinceReport(old_size=old.size)
    with app.store.reading() as tx:
        snapshot(app.store, tx)
        report.head_seq = tx.head()[0]
        latest = seal_rows.latest_note(tx, chain)
        if latest is None:
            return _fail(report, "seal", None, "the service has signed no checkpoint", "ระบบยังไม่เคยลงนามจุดตรวจ")
        new, good = c.open_checkpoint(latest, trusted, origin=old.origin)
        report.new_size, report.signed_by = new.size, [v.text() for v in good]
        proof = tree.consistency_proof(tx, chain, old.size, new.size) if old.size <= new.size else []
        report.hashes_read += len(proof)
        try:
            c.check_consistent(old, new, proof)
        except c.ProofInvalid as exc:
            return _fail(report, "seal", None, exc.message_en, exc.message_th)
        if new.size == old.size:
            return report  # nothing signed since: the same tree (the roots are equal)
        frontier = tree.frontier(tx, chain, old.size)
        report.hashes_read += len(frontier.hashes)
        if frontier.root() != old.root:
            return _fail(report, "seal", old.size, "the stored tree does not end at the old checkpoint's root",
                         "ต้นไม้ที่เก็บไว้ไม่ตรงกับรากของจุดตรวจเดิม")
        rows = list(_rows(tx, old.size, new.size))
        report.records_read = len(rows)
        for row in rows:
            frontier.append(m.leaf_hash(_bytes(row[5])))
        if frontier.size != new.size or frontier.root() != new.root:
            return _fail(report, "seal", new.size, "the records after the old checkpoint are not the ones the new "
                                                   "checkpoint signed (changed, removed, reordered or added)",
                         "บันทึกหลังจุดตรวจเดิมไม่ใช่ชุดที่จุดตรวจใหม่ลงนามไว้ (ถูกแก้ ลบ สลับ หรือเพิ่ม)")
        sealed = _seal_record_of(rows, old)
        if sealed is None:
            return _fail(report, "seal", None, f"no seal record of the checkpoint of {old.size} records follows it: "
                                               "give a checkpoint printed by 'ruam audit seal'",
                         f"ไม่พบบันทึกตราประทับของจุดตรวจ {old.size} รายการ: โปรดใช้จุดตรวจจาก 'ruam audit seal'")
        stored = seal_rows.snapshot(tx, chain, old.size)
        want = sealed.get("fold_sha256")
        if stored is None or want is None or fold_state.digest(stored[1]) != want:
            return _fail(report, "seal", None, "the fold snapshot of the old checkpoint is missing or is not the "
                                               "one its seal names", "ไม่พบสถานะที่ประทับตราไว้ของจุดตรวจเดิม หรือไม่ตรงกับตราประทับ")
        try:
            fold, start, prev = _fold_from(tx, chain, (old.size, stored[1]), report.findings)
        except fold_state.SnapshotError as exc:
            return _fail(report, "seal", None, str(exc), "อ่านสถานะที่ประทับตราไว้ไม่ได้")
        for rec in check_chain(iter(rows), report.findings, start_seq=start + 1, start_hash=prev):
            fold.apply(rec)
        fold.finish()
        touched = {row[4] for row in rows if row[4] is not None}
        report.processes_compared = _compare(tx, fold, touched, report.findings)
    return report


def _seal_record_of(rows: list[tuple], old: c.Checkpoint) -> dict | None:
    import base64

    root = base64.b64encode(old.root).decode()
    for row in rows:
        if row[3] == SEALED:
            data = json.loads(_bytes(row[5])).get("data") or {}
            if data.get("size") == old.size and data.get("root") == root:
                return data
    return None


def _compare(tx, fold: Fold, touched: set[str], findings) -> int:
    for pid in sorted(touched):
        row, state = tx.get_process(pid), fold.processes.get(pid)
        if state is None or row is None:
            findings.append(Finding("projection", None, f"{pid} is in only one of the ledger and the process table",
                                    message_th=f"{pid} อยู่ในบันทึกหรือตารางกระบวนการเพียงด้านเดียว"))
            continue
        if (row["state"], row["version"]) != (state.state, state.version):
            findings.append(Finding("projection", state.last_seq, f"{pid}: the table says {row['state']} "
                                    f"(version {row['version']}), the ledger {state.state} (version {state.version})",
                                    message_th=f"{pid}: สถานะในตารางไม่ตรงกับบันทึก"))
    return len(touched)
