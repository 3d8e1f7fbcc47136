"""The audit's pure core: stream rows through the chain check and the fold.

The same driver serves ``ruam audit verify`` on a database, on an export file
(no database at all) and ``ruam audit replay --as-of``: rows in, a report out,
memory bounded by the number of processes and people, never by records.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow.canonical import content_hash
from workflow.chain import DEFAULT_OFFICE_CODE, FROM_FIRST, Findings, check_chain, office_of
from workflow.definitions import Definition
from workflow.errors import DefinitionError, Finding
from workflow.fiscal import format_datetime_be
from workflow.ledger import Record
from workflow.reader import from_content
from workflow.replay import Fold, FoldExtension
from workflow.seal import Seal, SealWatch

PROGRESS_EVERY = 8192

FINDING_KINDS = ("chain", "seal", "legality", "authority", "definition", "projection", "calendar", "attachment",
                 "storage")


def definition_from_content(version: str, content: str | None) -> Definition | None:
    """A definition from stored text, only if that text still hashes to its version."""
    if content is None:
        return None
    try:
        data = json.loads(content)
        if content_hash(data) != version:
            return None
        return from_content(data)
    except (ValueError, TypeError, DefinitionError):
        return None


@dataclass
class AuditReport:
    source: str = "database"
    records: int = 0
    first_seq: int | None = None
    last_seq: int = 0
    last_hash: str = ""
    head_seq: int = 0
    head_hash: str = ""
    processes: int = 0
    people: int = 0
    assignments: int = 0
    definitions: list[dict] = field(default_factory=list)
    unchecked: dict[str, int] = field(default_factory=dict)
    seal: dict | None = None
    checks: dict[str, str] = field(default_factory=dict)  # check -> done | skipped (why)
    findings: Findings = field(default_factory=Findings)
    # what could not be judged and keeps the verdict from being a pass: (check, English, Thai)
    incomplete: list[tuple[str, str, str]] = field(default_factory=list)
    office: str | None = None  # the code of the office whose chain was read (None: no record read)

    @property
    def ok(self) -> bool:
        return self.findings.total == 0 and not self.incomplete

    @property
    def verdict(self) -> str:
        return "failed" if self.findings.total else "incomplete" if self.incomplete else "passed"

    def first(self, kind: str | None = None) -> Finding | None:
        return next((f for f in self.findings if kind is None or f.kind == kind), None)

    def as_dict(self) -> dict[str, Any]:
        first_break = self.first("chain")
        return {
            "ok": self.ok, "verdict": self.verdict, "source": self.source, "records": self.records,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq, "head_seq": self.head_seq, "head_hash": self.head_hash,
            "processes": self.processes, "people": self.people, "assignments": self.assignments,
            "definitions": self.definitions, "checks": self.checks, "unchecked_kinds": self.unchecked,
            "seal": self.seal,
            # where the chain first breaks (the finding itself is listed once, in ``findings``)
            "first_chain_break": None if first_break is None else {"kind": "chain", "seq": first_break.seq},
            "finding_counts": dict(self.findings.by_kind), "findings_total": self.findings.total,
            "findings_listed": len(self.findings),
            "findings": [_finding_dict(f) for f in self.findings],
            "incomplete": [{"check": c, "message": en, "message_th": th} for c, en, th in self.incomplete],
            "office": self.office,
        }


def _finding_dict(f: Finding) -> dict:
    return {"kind": f.kind, "seq": f.seq, "message": f.message, "message_th": f.message_th or f.message}


def replay(rows: Iterable[tuple], definition: Callable[[str], Definition | None], *,
           report: AuditReport, until: dt.datetime | None = None,
           extensions: Sequence[FoldExtension] = (), seal: Seal | None = None,
           progress: Callable[[int], None] | None = None, claims: bool = False,
           office: str | None = None) -> Fold:
    """Check the chain and fold every record; fill ``report``; return the fold.

    Rows whose body is ``None`` (another worker's, in a partitioned audit) are
    only checked as links of the chain. ``claims`` keeps what the settling of
    document numbers across workers needs. ``office``: the code the chain's records
    carry (None: the default office's records, which carry none).
    """
    findings = report.findings
    fold = Fold(definition, findings, until=until, extensions=extensions)
    if claims:
        fold.claims = {}
    watch = SealWatch(seal) if seal is not None else None
    last: dict[str, Any] = {"hash": "", "first": None, "seq": 0, "office": office}

    def observed(rows_in: Iterable[tuple]) -> Iterator[tuple]:
        for row in rows_in:  # StoredRow or the driver's plain tuple of the same fields
            if last["first"] is None:
                last["first"] = row[0]
            if last["office"] == FROM_FIRST and row[5] is not None:  # (as check_chain reads it)
                last["office"] = office_of(row[5])
            if watch is not None:
                watch.observe(row[0], row[2])
            last["hash"], last["seq"] = row[2], row[0]
            yield row

    source = observed(rows)
    apply = fold.apply
    count = 0
    for record in check_chain(source, findings, office=office):
        apply(record)
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    if progress is not None:
        progress(count)
    fold.finish()
    report.records = fold.records
    report.last_seq = last["seq"]
    report.last_hash = last["hash"]
    report.first_seq = last["first"]
    if last["first"] is not None and last["office"] != FROM_FIRST:
        report.office = last["office"] or DEFAULT_OFFICE_CODE
    report.processes = len(fold.processes)
    report.people = len(fold.people)
    report.assignments = len(fold.assignments)
    report.definitions = sorted(fold.registered.values(), key=lambda d: d["seq"])
    report.unchecked = dict(fold.unchecked)
    report.checks.setdefault("chain", "done")
    report.checks.setdefault("legality", "done")
    report.checks.setdefault("authority", "done")
    if watch is not None:
        for f in watch.findings():
            findings.append(f)
        report.seal = watch.as_dict()
    if any(e.name == "calendar" for e in fold.extensions):
        report.checks["calendar"] = "done"
    elif any(k.startswith("calendar.") for k in fold.unchecked):
        report.checks["calendar"] = "not checked by this version"
    else:
        report.checks["calendar"] = "no calendar records in the ledger"
    if fold.unchecked:
        report.checks["unchecked"] = ("records of kinds this version does not judge: "
                                      + ", ".join(f"{k} ×{n}" for k, n in sorted(fold.unchecked.items())))
    return fold


def sort_findings(report: AuditReport) -> None:
    report.findings.sort(key=lambda f: (f.seq is None, f.seq or 0))


# --------------------------------------------------------------------------- views


def state_as_of(fold: Fold, moment: dt.datetime | None) -> dict[str, Any]:
    """Everything the fold knows, as it stood at ``moment`` (every process, people, roles, extensions)."""
    processes = []
    for p in sorted(fold.processes.values(), key=lambda p: p.id):
        processes.append({"id": p.id, "fiscal_year": p.fiscal_year, "task": p.task, "state": p.state,
                          "version": p.version, "procedure_version": p.procedure,
                          "organization_version": p.organization, "opened_at": p.opened_at,
                          "last_seq": p.last_seq, "last_at": p.last_at,
                          "responsible": fold.responsible_at(p.task, moment) if moment else p.responsible,
                          "open_feedback": list(p.feedback)})
    assignments = fold.assignments_at(moment) if moment else list(fold.assignments.values())
    out: dict[str, Any] = {
        "as_of": moment.isoformat() if moment else None,
        "as_of_be": format_datetime_be(moment) if moment else None,
        "records_folded": fold.folded,
        "last_seq": fold.last_folded.seq if fold.last_folded else 0,
        "last_hash": fold.last_folded.hash if fold.last_folded else None,
        "active_definitions": dict(fold.active),
        "processes": processes,
        "people": sorted(fold.people),
        "assignments": [{"id": a.id, "person": a.person, "role": a.role, "scope": a.scope,
                         "valid_from": a.valid_from.isoformat(),
                         "valid_until": a.valid_until.isoformat() if a.valid_until else None}
                        for a in sorted(assignments, key=lambda a: a.id)],
    }
    for ext in fold.extensions:
        out[ext.name] = ext.snapshot(fold)
    return out


def timeline_entry(rec: Record, digest: str) -> dict[str, Any]:
    """One line of a process's history: when, what, who, in which role, responsible, evidence, note."""
    d = rec.data
    entry: dict[str, Any] = {"seq": rec.seq, "at": rec.at, "at_be": format_datetime_be(rec.moment),
                             "kind": rec.kind, "actor": rec.actor, "role": rec.role,
                             "responsible": rec.responsible, "hash": digest}
    if rec.kind == "process.transitioned":
        entry.update({"trigger": d.get("trigger"), "step_kind": d.get("kind"), "from": d.get("from"),
                      "to": d.get("to"), "version": d.get("version"), "procedure_version": d.get("procedure"),
                      "evidence": d.get("evidence") or {}, "note": d.get("note")})
    elif rec.kind == "process.opened":
        entry.update({"to": d.get("state"), "procedure_version": d.get("procedure"),
                      "organization_version": d.get("organization"), "evidence": {}, "note": None})
    else:
        entry.update({"evidence": d, "note": d.get("note") if isinstance(d, dict) else None})
    return entry
