"""Audit: verify the chain, replay the ledger, compare with the live projection.

All reads happen in one snapshot (a read transaction; REPEATABLE READ on
PostgreSQL), streaming ledger rows in sequence order in constant memory.

Extension points (for kinds folded by other modules, e.g. the calendar):
``FOLD_EXTENSIONS`` holds factories of ``workflow.replay.FoldExtension`` (each
new audit gets fresh instances); ``PROJECTION_CHECKS`` holds functions
``check(tx, fold, findings)`` that compare their live tables with the fold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from engine.app import Ruam, parse_process_id
from engine.audit.checks import compare_processes, intact_definitions, snapshot
from engine.audit.files import check_files
from storage.store import Tx
from workflow.audit import AuditReport, replay, sort_findings, state_as_of, timeline_entry
from workflow.calendar.audit import CalendarExtension
from workflow.definitions import Definition
from workflow.errors import Finding, NotFound, StorageError
from workflow.ledger import Record
from workflow.replay import Fold, FoldExtension, definition_problem
from workflow.seal import Seal
from workflow.seal_fold import SealExtension


def _calendar_tables(tx: Tx, fold: Fold, findings: list[Finding]) -> None:
    from engine.calendar_items import projection_findings

    ext = next((e for e in fold.extensions if isinstance(e, CalendarExtension)), None)
    if ext is not None:
        findings.extend(projection_findings(ext.state, tx))


FOLD_EXTENSIONS: list[Callable[[], FoldExtension]] = [CalendarExtension, SealExtension]
PROJECTION_CHECKS: list[Callable[[Tx, Fold, list[Finding]], None]] = [_calendar_tables]

Progress = Callable[[int], None]

# The report of ``verify`` (kept under its first name for callers of the spine).
VerifyReport = AuditReport


def verify(app: Ruam, progress: Progress | None = None, seal: Seal | None = None,
           total: Callable[[int], None] | None = None, workers: int | None = None) -> AuditReport:
    """Everything an auditor checks, on the live database. ``total`` is told the head's sequence number.

    ``workers``: how many processes fold the ledger (default one; see
    ``engine.audit.workers``).
    """
    _fold, report = _audit(app, until=None, seal=seal, progress=progress, total=total, workers=workers)
    return report


def _audit(app: Ruam, *, until: dt.datetime | None, seal: Seal | None, progress: Progress | None,
           total: Callable[[int], None] | None, workers: int | None,
           want_states: bool = False) -> tuple[Fold, AuditReport]:
    from engine.audit.workers import Workers, ranges, worker_count

    report = AuditReport(source=app.store.dialect)
    findings = report.findings
    store = app.store
    if until is None and not store.ledger_guards_present():
        findings.append(Finding("storage", None, "the triggers that keep the ledger append-only are missing",
                                message_th="ไม่พบ trigger ที่ป้องกันการแก้ไขหรือลบบันทึก"))
    with store.reading() as tx:
        snapshot(store, tx)
        head_seq, head_hash = tx.head()
        if total is not None:
            total(head_seq)
        count = worker_count(workers, store.url)
        bounds = tx.process_bounds(count) if count > 1 else []
        parts = ranges(bounds)
        extensions = [make() for make in FOLD_EXTENSIONS]
        theirs = tuple(p for ext in extensions for p in ext.prefixes)  # folded here, whatever their process
        pool = (Workers(store.url, tx.last_seq(), parts[1:], until, want_states, theirs, office=store.record_office)
                if len(parts) > 1 else None)
        try:
            own = progress
            if pool is not None and progress is not None:
                workers_pool, outer = pool, progress

                def own(n: int) -> None:  # the coordinator's count plus what the workers have done
                    outer(n + workers_pool.done_records())
            lookup = intact_definitions(tx)
            fold = replay(tx.stream_ledger(None, parts[0] if pool is not None else None, coordinator_kinds=theirs),
                          lookup, report=report, until=until, seal=seal, progress=own, extensions=extensions,
                          claims=pool is not None, office=store.record_office)
            results = pool.results(None if own is None else lambda: own(fold.records)) if pool else []
        except BaseException:
            if pool is not None:
                pool.cancel()
            raise
        _merge(report, fold, results, want_states)
        if until is None:
            report.head_seq, report.head_hash = head_seq, head_hash
            if (head_seq, head_hash) != (report.last_seq, report.last_hash or head_hash):
                findings.append(Finding("chain", head_seq if head_seq > report.last_seq else report.last_seq,
                                        f"the chain head says record {head_seq} ({head_hash[:16]}…) but the "
                                        f"ledger ends at record {report.last_seq}: records were removed or added",
                                        message_th=f"หัวสายระบุบันทึกที่ {head_seq} ({head_hash[:16]}…) แต่บันทึก"
                                                   f"สิ้นสุดที่ {report.last_seq}: มีการลบหรือเพิ่มบันทึก"))
            own_part = parts[0] if pool is not None else None
            compare_processes(lambda: tx.stream_processes(part=own_part), fold, findings, set())
            _compare_tables(tx, fold, findings, lookup)
            report.checks["attachments"] = check_files(tx, report.last_seq, findings)  # invariant 10
            for check in PROJECTION_CHECKS:
                check(tx, fold, findings)
            report.checks["projection"] = "done"
    sort_findings(report)
    return fold, report


def _merge(report: AuditReport, fold: Fold, results: list, want_states: bool) -> None:
    """Fold the workers' parts into the coordinator's report (and, for a replay, its fold)."""
    from engine.audit.workers import PartResult
    from workflow.replay import document_conflicts

    if not results:
        return
    parts: list[PartResult] = results
    failed = [r for r in parts if r.error]
    if failed:
        raise StorageError(f"an audit worker failed: {failed[0].error}",
                           f"ตัวตรวจสอบย่อยขัดข้อง: {failed[0].error}")
    findings = report.findings
    for r in parts:
        findings.merge(r.findings, r.total, r.by_kind)
        report.records += r.records
        report.processes += r.processes
        for kind, n in r.unchecked.items():
            report.unchecked[kind] = report.unchecked.get(kind, 0) + n
        if want_states and r.states:
            fold.processes.update((p.id, p) for p in r.states)
    fold.folded += sum(r.folded for r in parts)
    findings.extend(document_conflicts([(fold.documents, fold.claims or {})]
                                       + [(r.documents, r.claims) for r in parts]))
    changed = sum(r.changed_since for r in parts)
    if changed:
        report.checks["projection_changed_during_audit"] = (
            f"{changed} process(es) changed by records after this audit's snapshot: compared at the next verify")
    report.checks["workers"] = str(len(parts) + 1)


def _compare_tables(tx: Tx, fold: Fold, findings: list[Finding],
                    lookup: Callable[[str], Definition | None]) -> None:
    """People, role assignments, active and stored definitions must equal the ledger's."""
    live_assign = {a.id: a for a in tx.assignments()}
    for aid, a in fold.assignments.items():
        have = live_assign.pop(aid, None)
        if have != a:
            findings.append(Finding("projection", None, f"role assignment {aid} differs from the ledger"
                                    if have else f"role assignment {aid} is in the ledger but not in the table",
                                    message_th=f"การมอบหมายบทบาท {aid} ไม่ตรงกับบันทึก" if have
                                    else f"การมอบหมายบทบาท {aid} อยู่ในบันทึกแต่ไม่อยู่ในตาราง"))
    for aid in live_assign:
        findings.append(Finding("projection", None, f"role assignment {aid} was never recorded in the ledger",
                                message_th=f"การมอบหมายบทบาท {aid} ไม่เคยถูกบันทึก"))
    live_people = {p["id"]: p for p in tx.people()}
    for pid, data in fold.people.items():
        row = live_people.pop(pid, None)
        if row is None or any(row.get(k) != data.get(k) for k in ("name", "position", "email") if k in data):
            findings.append(Finding("projection", None, f"person {pid} differs from the ledger",
                                    message_th=f"ข้อมูลบุคคล {pid} (รหัส {pid}) ไม่ตรงกับบันทึก"))
    for pid in live_people:
        findings.append(Finding("projection", None, f"person {pid} was never recorded in the ledger",
                                message_th=f"บุคคล {pid} ไม่เคยถูกบันทึก"))
    active = tx.active_definitions()
    if fold.active and active != fold.active:
        findings.append(Finding("projection", None, "the active definitions differ from the ledger's last "
                                                    "activation",
                                message_th="นิยามที่ใช้งานอยู่ไม่ตรงกับการเปิดใช้ครั้งล่าสุดในบันทึก"))
    for d in tx.definitions():
        if lookup(d["version"]) is None:
            seq = fold.registered.get(d["version"], {}).get("seq")
            findings.append(Finding("definition", seq, f"stored {d['kind']} {d['version'][:12]} does not "
                                                       "hash to its version",
                                    data={"problem": definition_problem(d["version"])},  # once, with the fold's
                                    message_th=f"นิยาม {d['kind']} {d['version'][:12]} ที่เก็บไว้ไม่ตรงกับ hash ของรุ่น"))
        elif d["version"] not in fold.registered:
            findings.append(Finding("definition", None, f"stored {d['kind']} {d['version'][:12]} was never "
                                                        "registered in the ledger",
                                    message_th=f"นิยาม {d['kind']} {d['version'][:12]} ที่เก็บไว้ไม่เคยลงทะเบียนในบันทึก"))


def replay_as_of_fold(app: Ruam, moment: dt.datetime, progress: Progress | None = None,
                      total: Callable[[int], None] | None = None,
                      workers: int | None = None) -> tuple[Fold, AuditReport]:
    """The fold of every record stamped up to ``moment`` (the whole chain is still checked)."""
    return _audit(app, until=moment, seal=None, progress=progress, total=total, workers=workers,
                  want_states=True)


def replay_as_of(app: Ruam, moment: dt.datetime, progress: Progress | None = None,
                 total: Callable[[int], None] | None = None, workers: int | None = None) -> dict[str, Any]:
    """The state of every process (and everything else folded) as it was at ``moment``."""
    fold, report = replay_as_of_fold(app, moment, progress, total, workers)
    out = state_as_of(fold, moment)
    out["ledger_ok"] = report.ok
    out["findings_total"] = report.findings.total
    out["first_finding"] = (None if not report.findings else
                            {"kind": report.findings[0].kind, "seq": report.findings[0].seq,
                             "message": report.findings[0].message,
                             "message_th": report.findings[0].text("th")})
    return out


def history(app: Ruam, process_id: str) -> dict[str, Any]:
    """The timeline of one process; each entry carries its hash and whether its text still matches it."""
    from workflow.canonical import sha256_hex

    parse_process_id(process_id)
    with app.store.reading() as tx:
        proc = tx.get_process(process_id)
        rows = list(tx.stream_rows(process_id=process_id))
    if proc is None and not rows:
        raise NotFound("process", process_id, "กระบวนการ")
    entries = []
    for row in rows:
        try:
            rec = Record.from_text(row.body)
        except (ValueError, TypeError):
            entries.append({"seq": row.seq, "kind": row.kind, "intact": False, "hash": row.hash,
                            "problem": "unreadable record"})
            continue
        entry = timeline_entry(rec, row.hash)
        entry["intact"] = sha256_hex(row.body) == row.hash and rec.seq == row.seq
        entries.append(entry)
    return {"process": process_id, "state": proc["state"] if proc else None,
            "version": proc["version"] if proc else None, "entries": entries,
            "intact": all(e["intact"] for e in entries)}
