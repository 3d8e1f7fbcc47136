"""A workflow step: the one write path (``Ruam.advance``).

Resolve the actor and their role *at this moment*, ask the machine (legality,
evidence, guards), then move the state projection and append the ledger record
in the same unit of work. Any refusal is a typed error and nothing is written.

A step may be decided on what this application read at its previous step of
the same process (``StepReads``: the process row, the assignments covering its
task, the process's record texts, the office's roles epoch), updated with what
that step wrote — if the process is still at that version (every step moves it,
and only steps do) and the office's roles epoch has not moved (every change of a
role assignment moves it, by trigger). On PostgreSQL the one writing statement
checks both and writes nothing otherwise, so a step costs one round trip instead
of two; a read that turns out stale, or any refusal decided on one, is decided
again on fresh reads (as if nothing had been remembered). On SQLite the step
checks both first, in its transaction (which holds the database's write lock, so
nothing changes under it), with one small read instead of the process row, its
assignments and its history. A step that decides opinions, or reserves several
document numbers, always reads afresh (its open opinions change without the
process moving).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from typing import Any

from engine.people import SYSTEM
from storage.ledger_writes import StaleReads
from workflow.authority import acting_role, responsible_for
from workflow.definitions import Organization, Procedure
from workflow.errors import (
    Conflict,
    EvidenceInvalid,
    InvalidTransition,
    NotAllowed,
    NotFound,
    Problem,
    Refused,
    RuamError,
    StorageError,
    UsageError,
)
from workflow.evidence import attachment_hashes, normalize_doc_number
from workflow.guards import GuardContext, decides_feedback, history_refs, latest_evidence, trigger_reads_feedback
from workflow.ledger import Entry, Record
from workflow.machine import machine_for

Ruam = Any  # the application (engine.app.Ruam, which imports this module): what a step reads and writes through

PROCESS_ID = re.compile(r"^(\d{4})/([a-z][a-z0-9_]*)$")
ATTEMPTS = 3  # a step decided on remembered reads, then twice more on fresh ones (roles moving meanwhile)


class StepReads:
    """What an application knows for its steps.

    ``get``/``put``/``drop``: what it read and wrote at its last step of each process:
    ``process id -> (process row, assignments, {"epoch": …, "history": [texts]})``.
    Bounded (least recently used first out); entries are never changed, only replaced.
    ``scopes_seen``: per task, its guess of the scopes covering it (organization version,
    scopes, procedure version last seen). ``reads_feedback``: per (procedure version,
    trigger), whether the trigger's guards read the process's open feedback."""

    def __init__(self, size: int = 4096) -> None:
        self._entries: OrderedDict[str, tuple[dict, list, dict]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self.scopes_seen: dict[str, tuple[str, set[str | None], str]] = {}
        self.reads_feedback: dict[tuple[str, str], bool] = {}

    def get(self, process_id: str) -> tuple[dict, list, dict] | None:
        with self._lock:
            found = self._entries.get(process_id)
            if found is not None:
                self._entries.move_to_end(process_id)
            return found

    def put(self, process_id: str, entry: tuple[dict, list, dict]) -> None:
        with self._lock:
            self._entries[process_id] = entry
            self._entries.move_to_end(process_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def drop(self, process_id: str) -> None:
        with self._lock:
            self._entries.pop(process_id, None)


def parse_process_id(text: str) -> tuple[int, str]:
    match = PROCESS_ID.match(text or "")
    if not match:
        raise UsageError("process", f"'{text}' is not a process id like 2570/task_teacher_welfare",
                         f"'{text}' ไม่ใช่รหัสกระบวนการ (รหัส เช่น 2570/task_teacher_welfare)")
    return int(match.group(1)), match.group(2)


def advance(app: Ruam, process_id: str, trigger: str, actor: str, evidence: dict | None = None,
            note: str | None = None, expected_version: int | None = None) -> Record:
    """Fire a trigger with evidence (see the module's docstring)."""
    remembered = app.step_reads.get(process_id)
    for _ in range(ATTEMPTS):
        try:
            return _step(app, process_id, trigger, actor, evidence, note, expected_version, remembered)
        except StaleReads:
            app.step_reads.drop(process_id)
            remembered = None
    raise StorageError("the office's roles kept changing while the step was decided; try again",
                       "สิทธิ์ในสำนักงานเปลี่ยนระหว่างดำเนินการ โปรดลองอีกครั้ง")


def _step(app: Ruam, process_id: str, trigger: str, actor: str, evidence: dict | None, note: str | None,
          expected_version: int | None, remembered: tuple[dict, list, dict] | None) -> Record:
    now = app.now()
    _, task_id = parse_process_id(process_id)
    # The scopes covering this task under the organization version its process was
    # last seen with: the assignments are read with the process row, in one round
    # trip on PostgreSQL; re-read below if the process names another organization.
    hint = app.step_reads.scopes_seen.get(task_id)
    # whether the trigger's guards read the process's open feedback: asked for with the
    # process row (the same round trip on PostgreSQL), and never decided on a remembered read
    feedback = _reads_feedback(app, hint[2], trigger) if hint else False
    if feedback:
        remembered = None
    with app.store.transaction(step=True) as tx:
        if remembered is not None and app.store.dialect != "postgresql" and not tx.still_as_read(
                process_id, remembered[0]["version"], remembered[2]["epoch"]):
            remembered = None  # (SQLite, under the write lock: the process or the office's roles moved)
        if remembered is not None:
            proc, held, extra = remembered
        else:  # (the history too, whether the guards read it or not: what is remembered of the step has it)
            proc, held, extra = tx.step_reads(process_id, hint[1] if hint else None, history=True,
                                              feedback=feedback)
        try:
            decided = _decide(app, tx, process_id, trigger, actor, evidence, expected_version, now,
                              hint, proc, held, extra)
        except RuamError:
            if remembered is not None:  # decided on what may be stale: decide again on fresh reads
                raise StaleReads(process_id) from None
            raise
        procedure, step, role, responsible, assignments, received, numbers = decided
        # a step's writes in one go (one statement on PostgreSQL) unless it also decides
        # opinions or reserves several numbers: then it moves first, as the lock order asks
        other_writes = bool(received) or len(numbers) > 1
        if other_writes and remembered is not None:
            raise StaleReads(process_id)  # (these writes do not check the roles epoch: read afresh)
        new_version = (proc["version"] + 1 if not other_writes
                       else tx.move_process(process_id, proc["version"], step.dest, now))
        if other_writes:
            for kind, year, number in numbers:
                tx.reserve_document_number(kind, year, number, process_id)
        if received:  # the opinions this step's evidence answered (one arriving meanwhile stays open)
            tx.mark_feedback_decided(process_id, received)
        data: dict[str, Any] = {"trigger": trigger, "kind": step.kind, "from": step.source,
                                "to": step.dest, "evidence": step.evidence,
                                "procedure": procedure.version, "version": new_version}
        if note:
            data["note"] = note.strip()
        entry = Entry(kind="process.transitioned", at=now, actor=actor, role=role,
                      responsible=responsible, process=process_id, data=data)
        if other_writes:
            [rec] = tx.append([entry], commit=True)
        else:
            try:
                rec = tx.move_and_append(process_id, proc["version"], step.dest, entry,
                                         numbers[0] if numbers else None, extra.get("epoch"))
            except Conflict:
                if remembered is not None:  # the process moved since this application's last step
                    raise StaleReads(process_id) from None
                raise
    if not other_writes and extra.get("epoch") is not None and "history" in extra:
        app.step_reads.put(process_id, ({**proc, "state": step.dest, "version": new_version}, assignments,
                                        {"epoch": extra["epoch"], "history": [*extra["history"], rec.text]}))
    app.log.info("process.transitioned", process=process_id, trigger=trigger, actor=actor,
                 role=role, state=step.dest, seq=rec.seq)
    return rec


def _decide(app: Ruam, tx, process_id: str, trigger: str, actor: str, evidence: dict | None,
            expected_version: int | None, now: dt.datetime, hint, proc: dict | None, held, extra: dict):
    """Whether and how the step may be taken, from what was read: raises the refusal, or
    returns what the writes need."""
    if proc is None:
        raise NotFound("process", process_id, "กระบวนการ")
    procedure: Procedure = app.definition(proc["procedure_version"], tx)  # type: ignore[assignment]
    org: Organization = app.definition(proc["organization_version"], tx)  # type: ignore[assignment]
    state = proc["state"]
    if expected_version is not None and expected_version != proc["version"]:
        raise Conflict(process_id, expected_version, proc["version"])
    if trigger not in procedure.triggers():
        raise UsageError("trigger", f"unknown trigger '{trigger}' (known: "
                         f"{', '.join(sorted(procedure.triggers()))})", f"ไม่รู้จักคำสั่ง '{trigger}'")
    spec = procedure.transition(trigger, state)
    if spec is None:
        raise InvalidTransition(process_id, state,
                                trigger, sorted({t.trigger for t in procedure.transitions_from(state)}))
    scopes = org.scopes_covering(proc["task_id"])
    if held is not None and hint is not None and hint[0] == org.version and hint[1] == scopes \
            and hint[2] == procedure.version:
        assignments = held
    else:
        assignments = tx.assignments_for_scopes(scopes)
        seen = app.step_reads.scopes_seen
        if len(seen) > 100_000:
            seen.clear()
        seen[proc["task_id"]] = (org.version, scopes, procedure.version)
    role = acting_role(assignments, actor, spec.roles, scopes, now)
    if role is None:
        if tx.get_person(actor) is None and actor != SYSTEM:
            raise NotFound("person", actor, "บุคคล")
        raise NotAllowed(actor, trigger, process_id, spec.roles)
    responsible = responsible_for(assignments, proc["task_id"], now)
    if responsible is None:
        raise Refused(
            f"no responsible officer is assigned to {proc['task_id']} now; an administrator "
            f"must assign one (ruam people assign PERSON responsible_officer --scope {proc['task_id']})",
            f"ยังไม่มีผู้รับผิดชอบงาน {proc['task_id']} ในขณะนี้ ผู้ดูแลระบบต้องมอบหมายก่อน")
    refs, decides = history_refs(spec.guards), decides_feedback(spec.guards)
    if hint is None or hint[2] != procedure.version:  # (asked for on a guess: keep only the history, any step's)
        extra = {"history": extra["history"]} if "history" in extra else {}
    texts = extra.get("history") if refs else None
    received = tuple(extra["feedback"] if "feedback" in extra
                     else tx.open_feedback(process_id)) if decides else ()
    ctx = GuardContext(now=now, history=latest_evidence(
                           texts if texts is not None else tx.record_texts(process_id), refs) if refs else {},
                       document_number_taken=lambda kind, year, number: tx.document_owner(
                           kind, year, number) not in (None, process_id),
                       received_feedback=received,
                       fiscal_year=int(process_id.partition("/")[0]))
    step = machine_for(procedure).fire(process_id, state, trigger, evidence, ctx)
    missing = [h for h in attachment_hashes(spec.evidence, step.evidence) if not tx.has_attachment(h)]
    if missing:
        raise EvidenceInvalid(trigger, [Problem("attachments", f"file {h[:12]}… is not stored; "
                                                               "upload it first") for h in missing])
    numbers = []
    for guard in (g for g in spec.guards if g.check == "unique_document_number"):
        number = step.evidence.get(guard.params["field"])
        day = step.evidence.get(guard.params["date_field"])
        if number and day:
            numbers.append((guard.params["document_kind"], dt.date.fromisoformat(day).year,
                            normalize_doc_number(number)))
    return procedure, step, role, responsible, assignments, received, numbers


def _reads_feedback(app: Ruam, procedure_version: str, trigger: str) -> bool:
    key, known = (procedure_version, trigger), app.step_reads.reads_feedback
    if key not in known:
        procedure = app._cache.get(procedure_version)
        if not isinstance(procedure, Procedure):
            return False
        known[key] = trigger_reads_feedback(procedure.transitions, trigger)
    return known[key]
