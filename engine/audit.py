"""Audit: verify the chain, replay the ledger, compare with the live projection.

All reads happen in one snapshot (a read transaction; REPEATABLE READ on
PostgreSQL), streaming ledger rows in sequence order in constant memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.app import Ruam
from workflow.canonical import content_hash
from workflow.definitions import Definition
from workflow.errors import Finding
from workflow.replay import Fold, check_chain


@dataclass
class VerifyReport:
    records: int = 0
    head_seq: int = 0
    head_hash: str = ""
    processes: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict:
        return {"ok": self.ok, "records": self.records, "head_seq": self.head_seq,
                "head_hash": self.head_hash, "processes": self.processes,
                "findings": [{"kind": f.kind, "seq": f.seq, "message": f.message} for f in self.findings]}


def _intact_definitions(app: Ruam, tx) -> Callable[[str], Definition | None]:
    """Definitions read afresh in this snapshot, each only if its content hashes to its version."""
    seen: dict[str, Definition | None] = {}

    def lookup(version: str) -> Definition | None:
        if version not in seen:
            content = tx.definition_content(version)
            ok = False
            if content is not None:
                try:
                    ok = content_hash(json.loads(content)) == version
                except ValueError:
                    ok = False
            seen[version] = app.definition_or_none(version, tx) if ok else None
        return seen[version]

    return lookup


def verify(app: Ruam, progress: Callable[[int], None] | None = None) -> VerifyReport:
    report = VerifyReport()
    findings = report.findings
    store = app.store
    if not store.ledger_guards_present():
        findings.append(Finding("storage", None, "the triggers that keep the ledger append-only are missing"))
    with store.reading() as tx:
        if store.dialect == "postgresql":
            tx.conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        lookup = _intact_definitions(app, tx)
        fold = Fold(lookup, findings)
        last_seq, last_hash = 0, None
        for record in check_chain(tx.stream_rows(), findings):
            fold.apply(record)
            if progress and fold.records % 10_000 == 0:
                progress(fold.records)
        if fold.last is not None:
            last_seq, last_hash = fold.last.seq, fold.last.hash
        head_seq, head_hash = tx.head()
        report.records, report.head_seq, report.head_hash = fold.records, head_seq, head_hash
        if (head_seq, head_hash) != (last_seq, last_hash or head_hash):
            findings.append(Finding("chain", head_seq, f"the chain head says record {head_seq} but the ledger "
                                                       f"ends at {last_seq}: records were removed or added"))
        live = {p["id"]: p for p in tx.processes()}
        report.processes = len(live)
        for pid, state in fold.processes.items():
            row = live.pop(pid, None)
            if row is None:
                findings.append(Finding("projection", state.last_seq, f"{pid} is in the ledger but not in the "
                                                                      "process table"))
                continue
            for key, want, have in (("state", state.state, row["state"]), ("version", state.version, row["version"]),
                                    ("procedure version", state.procedure, row["procedure_version"]),
                                    ("task", state.task, row["task_id"])):
                if want != have:
                    findings.append(Finding("projection", state.last_seq,
                                            f"{pid}: {key} is '{have}' in the table but '{want}' by the ledger"))
        for pid in live:
            findings.append(Finding("projection", None, f"{pid} is in the process table but never in the ledger"))
        live_assign = {a.id: a for a in tx.assignments()}
        for aid, a in fold.assignments.items():
            have = live_assign.pop(aid, None)
            if have != a:
                findings.append(Finding("projection", None, f"role assignment {aid} differs from the ledger"))
        for aid in live_assign:
            findings.append(Finding("projection", None, f"role assignment {aid} was never recorded in the ledger"))
        from engine.calendar_items import projection_findings

        findings.extend(projection_findings(fold.calendar, tx))
        for d in tx.definitions():
            if lookup(d["version"]) is None:
                findings.append(Finding("definition", None, f"stored {d['kind']} {d['version'][:12]} does not "
                                                            "hash to its version"))
    findings.sort(key=lambda f: (f.seq is None, f.seq or 0))
    return report
