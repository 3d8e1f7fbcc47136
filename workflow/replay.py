"""Replay: check the hash chain and fold the ledger into the state of everything.

``check_chain`` walks stored rows in sequence order and reports the first and
every further break; ``Fold.apply`` replays one record: it re-checks legality
against the machine of the procedure version the record names, re-runs the
guards on the recorded evidence, checks the actor's authority and the named
responsible officer, and updates the folded state. Memory grows with the number
of processes and assignments, never with the number of records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from workflow.authority import Assignment, acting_role, responsible_for
from workflow.calendar import CalendarFold, audit_record
from workflow.canonical import sha256_hex
from workflow.definitions import Definition, Organization, Procedure
from workflow.errors import EvidenceInvalid, Finding
from workflow.evidence import normalize_doc_number, validate_evidence
from workflow.guards import GuardContext, run_guards
from workflow.ledger import GENESIS, Record, parse_instant
from workflow.machine import machine_for


@dataclass(frozen=True)
class StoredRow:
    seq: int
    prev_hash: str
    hash: str
    kind: str
    process: str | None
    body: str


def check_chain(rows: Iterable[StoredRow], findings: list[Finding],
                start_seq: int = 1, start_hash: str = GENESIS) -> Iterator[Record]:
    """Yield each parseable record; append a finding for every break."""
    expected_seq, prev = start_seq, start_hash
    for row in rows:
        if row.seq != expected_seq:
            what = "missing record(s) before it" if row.seq > expected_seq else "out of order or inserted"
            findings.append(Finding("chain", row.seq, f"expected sequence {expected_seq}, found {row.seq}: {what}"))
        if sha256_hex(row.body) != row.hash:
            findings.append(Finding("chain", row.seq, "content changed: its hash does not match its stored text"))
        if row.prev_hash != prev:
            findings.append(Finding("chain", row.seq, "chain broken: prev_hash is not the previous record's hash"))
        try:
            record = Record.from_text(row.body)
        except (ValueError, TypeError) as exc:
            findings.append(Finding("chain", row.seq, f"unreadable record: {exc}"))
            record = None
        if record is not None:
            mismatch = [name for name, a, b in (
                ("seq", record.seq, row.seq), ("prev_hash", record.prev_hash, row.prev_hash),
                ("kind", record.kind, row.kind), ("process", record.process, row.process),
            ) if a != b]
            if mismatch:
                findings.append(Finding("chain", row.seq, f"columns differ from the hashed text: {', '.join(mismatch)}"))
            yield record
        expected_seq, prev = row.seq + 1, row.hash


@dataclass
class ProcessState:
    id: str
    fiscal_year: int
    task: str
    procedure: str
    organization: str
    state: str
    version: int
    last_seq: int
    opened_at: str
    history: dict = field(default_factory=dict)  # trigger -> latest evidence
    feedback: list = field(default_factory=list)  # received opinion ids not yet decided

    def projection(self) -> dict[str, Any]:
        return {"id": self.id, "fiscal_year": self.fiscal_year, "task": self.task,
                "procedure_version": self.procedure, "state": self.state, "version": self.version,
                "last_seq": self.last_seq}


class Fold:
    """Replays records one by one; collects findings as it goes."""

    def __init__(self, definition: Callable[[str], Definition | None],
                 findings: list[Finding] | None = None, until: dt.datetime | None = None) -> None:
        self.definition = definition
        self.findings = findings if findings is not None else []
        self.processes: dict[str, ProcessState] = {}
        self.assignments: dict[int, Assignment] = {}
        self.people: dict[str, dict] = {}
        self.definitions: set[str] = set()
        self.documents: dict[tuple[str, int, str], str] = {}
        self.until = until
        self.records = 0
        self.last: Record | None = None
        self.calendar = CalendarFold()

    def _finding(self, kind: str, rec: Record, message: str) -> None:
        self.findings.append(Finding(kind, rec.seq, message))

    def apply(self, rec: Record) -> None:
        self.records += 1
        self.last = rec
        if rec.kind.startswith("calendar."):
            self._calendar(rec)
            return
        handler = getattr(self, "_" + rec.kind.replace(".", "_"), None)
        if handler is None:
            return  # kinds added later (calendar, feedback …) are folded by their own modules
        try:
            handler(rec, rec.data)
        except (KeyError, TypeError, ValueError) as exc:
            self._finding("legality", rec, f"malformed {rec.kind} record: {exc!r}")

    # -- people, roles, definitions -------------------------------------------------
    def _definition_registered(self, rec: Record, data: dict) -> None:
        version = data["version"]
        if self.definition(version) is None:
            self._finding("definition", rec, f"definition {version[:12]} is not stored or its content "
                                             "does not hash to its version")
        self.definitions.add(version)

    def _person_added(self, rec: Record, data: dict) -> None:
        self.people[data["person"]] = dict(data)

    def _person_updated(self, rec: Record, data: dict) -> None:
        self.people.setdefault(data["person"], {}).update(data)

    def _role_assigned(self, rec: Record, data: dict) -> None:
        if data["person"] not in self.people:
            self._finding("legality", rec, f"role given to unknown person '{data['person']}'")
        until = data.get("valid_until")
        self.assignments[data["assignment"]] = Assignment(
            id=data["assignment"], person=data["person"], role=data["role"], scope=data.get("scope"),
            valid_from=parse_instant(data["valid_from"]),
            valid_until=parse_instant(until) if until else None,
        )

    def _role_ended(self, rec: Record, data: dict) -> None:
        old = self.assignments.get(data["assignment"])
        if old is None:
            self._finding("legality", rec, f"ends unknown assignment {data['assignment']}")
            return
        self.assignments[old.id] = Assignment(id=old.id, person=old.person, role=old.role, scope=old.scope,
                                              valid_from=old.valid_from,
                                              valid_until=parse_instant(data["valid_until"]))

    # -- processes -------------------------------------------------------------------
    def _process_opened(self, rec: Record, data: dict) -> None:
        pid = rec.process or ""
        if pid in self.processes:
            self._finding("legality", rec, f"{rec.process} opened twice")
            return
        procedure = self.definition(data["procedure"])
        if not isinstance(procedure, Procedure):
            self._finding("definition", rec, f"unknown procedure version {data['procedure'][:12]}")
        elif data["state"] != procedure.initial:
            self._finding("legality", rec, f"opened in '{data['state']}', not the initial state")
        self.processes[pid] = ProcessState(
            id=pid, fiscal_year=data["fiscal_year"], task=data["task"],
            procedure=data["procedure"], organization=data["organization"], state=data["state"],
            version=0, last_seq=rec.seq, opened_at=rec.at)

    def _process_transitioned(self, rec: Record, data: dict) -> None:
        proc = self.processes.get(rec.process or "")
        if proc is None:
            self._finding("legality", rec, f"transition on unknown process {rec.process}")
            return
        moment = rec.moment
        procedure = self.definition(data["procedure"])
        organization = self.definition(proc.organization)
        trigger = data["trigger"]
        if data["procedure"] != proc.procedure:
            self._finding("legality", rec, "made under another procedure version than the process runs")
        if data["from"] != proc.state:
            self._finding("legality", rec, f"says it left '{data['from']}' but the process was in '{proc.state}'")
        if data.get("version") != proc.version + 1:
            self._finding("legality", rec, f"process version {data.get('version')} after {proc.version}")
        if isinstance(procedure, Procedure):
            spec = procedure.transition(trigger, proc.state)
            if spec is None or not machine_for(procedure).is_legal(proc.state, trigger, data["to"]):
                self._finding("legality", rec, f"'{trigger}' from '{proc.state}' to '{data['to']}' is not a "
                                               f"transition of procedure {procedure.version[:12]}")
            else:
                self._recheck(rec, proc, spec, data, moment)
                if isinstance(organization, Organization):
                    scopes = organization.scopes_covering(proc.task)
                    role = acting_role(self.assignments.values(), rec.actor, (rec.role,), scopes, moment)
                    if rec.role not in spec.roles or role is None:
                        self._finding("authority", rec, f"{rec.actor} did not hold an allowed role "
                                                        f"({', '.join(spec.roles)}) for {proc.task} at {rec.at}"
                                                        f" (recorded role: {rec.role})")
        responsible = responsible_for(self.assignments.values(), proc.task, moment)
        if rec.responsible != responsible:
            self._finding("authority", rec, f"names {rec.responsible} as responsible officer; "
                                            f"the assignment then was {responsible}")
        proc.state, proc.version, proc.last_seq = data["to"], proc.version + 1, rec.seq
        proc.history[trigger] = data.get("evidence") or {}
        if trigger in ("next_round", "close"):
            proc.feedback = []

    def _recheck(self, rec: Record, proc: ProcessState, spec, data: dict, moment: dt.datetime) -> None:
        evidence = data.get("evidence") or {}
        try:
            normalized = validate_evidence(spec.trigger, spec.evidence, evidence)
        except EvidenceInvalid as exc:
            self._finding("legality", rec, f"recorded evidence does not satisfy the definition: {exc.message_en}")
            return
        if normalized != evidence:
            self._finding("legality", rec, "recorded evidence is not in normalized form")
        ctx = GuardContext(now=moment, history=dict(proc.history),
                           document_number_taken=lambda k, y, n: self.documents.get((k, y, n), proc.id) != proc.id,
                           received_feedback=tuple(proc.feedback))
        problems = run_guards(spec.guards, evidence, ctx)
        if problems:
            self._finding("legality", rec, "guards fail on the recorded evidence: "
                          + "; ".join(f"{p.field}: {p.problem}" for p in problems))
        for guard in spec.guards:
            if guard.check == "unique_document_number":
                number = evidence.get(guard.params["field"])
                day = evidence.get(guard.params["date_field"])
                if number and day:
                    key = (guard.params["document_kind"], dt.date.fromisoformat(day).year,
                           normalize_doc_number(number))
                    self.documents.setdefault(key, proc.id)

    def _feedback_received(self, rec: Record, data: dict) -> None:
        proc = self.processes.get(rec.process or "")
        if proc is not None:
            proc.feedback.append(data["opinion"])

    # -- the calendar (folded by workflow.calendar.CalendarFold) ----------------------
    def _calendar(self, rec: Record) -> None:
        before = len(self.calendar.problems)
        try:
            self.calendar.apply(rec.kind, rec.seq, rec.at, rec.actor, rec.data)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            self._finding("legality", rec, f"malformed {rec.kind} record: {exc!r}")
            return
        for _seq, message in self.calendar.problems[before:]:
            self._finding("calendar", rec, message)
        if rec.kind in ("calendar.item_opened", "calendar.report_submitted", "calendar.checkpoint_recorded",
                        "calendar.extra_round_recorded"):
            problem = audit_record(self.calendar.items.get(rec.data["item_id"]), rec.kind, rec.actor, rec.role,
                                   rec.moment, rec.data, self.assignments.values(), self.definition)
            if problem:
                self._finding("authority", rec, problem)
