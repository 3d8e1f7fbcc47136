"""Replay: fold the ledger into the state of everything.

(The hash chain is checked record by record by ``workflow.chain``, whose rows
this folds.) ``Fold.apply`` replays one record: it re-checks legality
against the machine of the procedure version the record names, re-runs the
guards on the recorded evidence, checks the actor's authority and the named
responsible officer, and updates the folded state. Memory grows with the number
of processes and assignments, never with the number of records.

Kinds this module does not know (``calendar.*`` and later ones) are handed to
``FoldExtension`` objects that claim their prefix, or counted as unchecked.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from workflow.authority import Assignment, acting_role, responsible_for
from workflow.definitions import Definition, Organization, Procedure, TransitionSpec
from workflow.errors import EvidenceInvalid, Finding
from workflow.evidence import is_normalized, normalize_doc_number, validate_evidence
from workflow.guards import GuardContext, run_guards
from workflow.ita import PUBLISH_ROLES
from workflow.ledger import Record, format_instant, parse_instant

SYSTEM = "system"
ADMIN_KINDS = ("definition.", "person.", "role.")
_NO_HISTORY: dict = {}


def definition_problem(version: str) -> tuple[str, str]:
    """The identity of "this definition is missing or altered", whichever check reports it (one finding)."""
    return ("definition", version)


@dataclass(slots=True)
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
    history: dict = field(default_factory=dict)  # trigger -> latest evidence (dropped once final)
    feedback: tuple = ()  # received opinion ids not yet decided
    last_at: str = ""
    responsible: str | None = None
    final: bool = False

    def projection(self) -> dict[str, Any]:
        return {"id": self.id, "fiscal_year": self.fiscal_year, "task": self.task,
                "procedure_version": self.procedure, "state": self.state, "version": self.version,
                "last_seq": self.last_seq}


class FoldExtension:
    """Folds the records of the kinds it owns (by prefix, e.g. ``calendar.``).

    Give instances to ``Fold(extensions=...)``. ``apply`` sees each record of its
    kinds in order (and may call ``fold.finding``); ``finish`` runs once at the
    end of the ledger (rules that need the whole picture, e.g. calendar counts);
    ``snapshot`` is the folded state for ``audit replay --as-of`` and must be JSON.
    """

    name = "extension"
    prefixes: tuple[str, ...] = ()

    def apply(self, fold: Fold, rec: Record) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def finish(self, fold: Fold) -> None:
        return None

    def snapshot(self, fold: Fold) -> Any:
        return None


class Fold:
    """Replays records one by one; collects findings as it goes.

    ``until`` (an aware instant) makes an as-of replay: records stamped later are
    still counted (the chain is checked in full by the caller) but not folded.
    """

    def __init__(self, definition: Callable[[str], Definition | None],
                 findings: list[Finding] | None = None, until: dt.datetime | None = None,
                 extensions: Sequence[FoldExtension] = ()) -> None:
        self.definition = definition
        self.findings = findings if findings is not None else []
        self.processes: dict[str, ProcessState] = {}
        self.assignments: dict[int, Assignment] = {}
        self.people: dict[str, dict] = {}
        self.definitions: set[str] = set()
        self.registered: dict[str, dict] = {}  # version -> kind, id, seq of its definition.registered
        self.active: dict[str, str] = {}
        self.documents: dict[str, str] = {}  # "kind|year|number" -> the process that used it
        # with ``claims`` (a partitioned audit), the seq of each use by that first process, so
        # numbers shared across parts can be settled after (``document_conflicts``)
        self.claims: dict[str, int | list[int]] | None = None
        self.until = until
        self._until_text = format_instant(until) if until is not None else None
        self.records = 0
        self.folded = 0
        self.last: Record | None = None
        self.last_folded: Record | None = None
        self.unchecked: Counter = Counter()
        self.extensions = list(extensions)
        self._by_person: dict[str, list[Assignment]] = {}
        self._by_role_scope: dict[tuple[str, str | None], list[Assignment]] = {}
        self._scopes: dict[tuple[str, str], set[str | None] | None] = {}
        self._specs: dict[tuple[str, str, str], TransitionSpec | None] = {}
        self._handlers: dict[str, Callable[[Record, dict], None] | None] = {}
        self._final_states: dict[str, frozenset[str]] = {}
        self._strings: dict[str, str] = {}

    # -- plumbing ---------------------------------------------------------------------
    def finding(self, kind: str, rec: Record, message: str, th: str = "") -> None:
        self.findings.append(Finding(kind, rec.seq, message, message_th=th))

    _finding = finding

    def _handler(self, kind: str) -> Callable[[Record, dict], None] | None:
        if kind not in self._handlers:
            own = getattr(self, "_" + kind.replace(".", "_"), None)
            if own is None:
                ext = next((e for e in self.extensions if kind.startswith(e.prefixes)), None)
                if ext is not None:
                    own = lambda rec, _data, ext=ext: ext.apply(self, rec)  # noqa: E731
            self._handlers[kind] = own
        return self._handlers[kind]

    def apply(self, rec: Record) -> None:
        self.records += 1
        self.last = rec
        if self._until_text is not None and rec.at > self._until_text:
            return
        self.folded += 1
        self.last_folded = rec
        handler = self._handler(rec.kind)
        if handler is None:
            self.unchecked[rec.kind] += 1  # kinds this version does not know: not judged, counted
            return
        try:
            handler(rec, rec.data)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            self._finding("legality", rec, f"malformed {rec.kind} record: {exc!r}",
                          f"บันทึก {rec.kind} มีรูปแบบไม่ถูกต้อง: {exc!r}")

    def finish(self) -> None:
        for ext in self.extensions:
            ext.finish(self)

    # -- authority helpers --------------------------------------------------------------
    def _index(self, a: Assignment, old: Assignment | None = None) -> None:
        for bucket in (self._by_person.setdefault(a.person, []),
                       self._by_role_scope.setdefault((a.role, a.scope), [])):
            if old is not None and old in bucket:
                bucket[bucket.index(old)] = a
            else:
                bucket.append(a)

    def held_by(self, person: str) -> list[Assignment]:
        return self._by_person.get(person, [])

    def responsible_at(self, task: str, moment: dt.datetime) -> str | None:
        return responsible_for(self._by_role_scope.get(("responsible_officer", task), ()), task, moment)

    def assignments_at(self, moment: dt.datetime) -> list[Assignment]:
        return [a for a in self.assignments.values() if a.valid_at(moment)]

    def _scopes_for(self, organization: str, task: str) -> set[str | None] | None:
        key = (organization, task)
        if key not in self._scopes:
            org = self.definition(organization)
            self._scopes[key] = org.scopes_covering(task) if isinstance(org, Organization) else None
        return self._scopes[key]

    def _spec(self, procedure: Procedure, trigger: str, state: str) -> TransitionSpec | None:
        key = (procedure.version, trigger, state)
        if key not in self._specs:
            self._specs[key] = procedure.transition(trigger, state)
        return self._specs[key]

    @overload
    def _same(self, text: str) -> str: ...

    @overload
    def _same(self, text: None) -> None: ...

    def _same(self, text: str | None) -> str | None:
        """One shared copy of each repeated string (versions, tasks, states, people) across all processes."""
        if text is None:
            return None
        return self._strings.setdefault(text, text)

    def _finals(self, procedure: Procedure) -> frozenset[str]:
        found = self._final_states.get(procedure.version)
        if found is None:
            found = self._final_states[procedure.version] = frozenset(s.id for s in procedure.states if s.final)
        return found

    def _require_admin(self, rec: Record) -> None:
        """Definitions, people and roles: the local operator, or a person holding admin then."""
        if rec.actor == SYSTEM and rec.role == SYSTEM:
            return
        if rec.role != "admin" or acting_role(self.held_by(rec.actor), rec.actor, ("admin",), {None},
                                              rec.moment) is None:
            self._finding("authority", rec, f"{rec.actor} did not hold the admin role at {rec.at} "
                                            f"(recorded role: {rec.role})",
                          f"{rec.actor} ไม่ได้มีบทบาทผู้ดูแลระบบ ณ {rec.at} (บทบาทที่บันทึก: {rec.role})")

    # -- people, roles, definitions -------------------------------------------------
    def _definition_registered(self, rec: Record, data: dict) -> None:
        self._require_admin(rec)
        version = data["version"]
        if self.definition(version) is None:  # the table check and an export's reader name the same problem
            self.findings.append(Finding("definition", rec.seq, f"definition {version[:12]} is not stored or its "
                                                                "content does not hash to its version",
                                         data={"problem": definition_problem(version)},
                                         message_th=f"ไม่พบนิยาม {version[:12]} หรือเนื้อหาไม่ตรงกับ hash ของรุ่น"))
        self.definitions.add(version)
        self.registered[version] = {"kind": data.get("kind"), "id": data.get("id"), "version": version,
                                    "seq": rec.seq}

    def _definition_activated(self, rec: Record, data: dict) -> None:
        self._require_admin(rec)
        if data["version"] not in self.definitions:
            self._finding("legality", rec, f"activates {data['version'][:12]}, which was never registered",
                          f"เปิดใช้นิยาม {data['version'][:12]} ที่ไม่เคยลงทะเบียน")
        self.active[data["kind"]] = data["version"]

    def _person_added(self, rec: Record, data: dict) -> None:
        self._require_admin(rec)
        self.people[data["person"]] = dict(data)

    def _person_updated(self, rec: Record, data: dict) -> None:
        self._require_admin(rec)
        self.people.setdefault(data["person"], {}).update(data)

    def _role_assigned(self, rec: Record, data: dict) -> None:
        self._require_admin(rec)
        if data["person"] not in self.people and "@" not in data["person"]:  # person@CODE: of another office
            self._finding("legality", rec, f"role given to unknown person '{data['person']}'",
                          f"มอบบทบาทให้บุคคลที่ไม่รู้จัก '{data['person']}'")
        until = data.get("valid_until")
        a = Assignment(
            id=data["assignment"], person=data["person"], role=data["role"], scope=data.get("scope"),
            valid_from=parse_instant(data["valid_from"]),
            valid_until=parse_instant(until) if until else None,
        )
        old = self.assignments.get(a.id)
        if old is not None:
            self._finding("legality", rec, f"assignment id {a.id} used twice", f"ใช้รหัสการมอบหมาย {a.id} ซ้ำ")
        self.assignments[a.id] = a
        self._index(a, old)

    def _role_ended(self, rec: Record, data: dict) -> None:
        self._require_admin(rec)
        old = self.assignments.get(data["assignment"])
        if old is None:
            self._finding("legality", rec, f"ends unknown assignment {data['assignment']}",
                          f"สิ้นสุดการมอบหมายที่ไม่รู้จัก {data['assignment']}")
            return
        new = Assignment(id=old.id, person=old.person, role=old.role, scope=old.scope,
                         valid_from=old.valid_from, valid_until=parse_instant(data["valid_until"]))
        self.assignments[old.id] = new
        self._index(new, old)

    # -- processes -------------------------------------------------------------------
    def _process_opened(self, rec: Record, data: dict) -> None:
        if rec.process in self.processes:
            self._finding("legality", rec, f"{rec.process} opened twice", f"เปิด {rec.process} ซ้ำ")
            return
        if rec.actor != SYSTEM or rec.role != SYSTEM:
            # admin or esa_director may open a cycle; the record names the role they acted in
            if rec.role not in ("admin", "esa_director") or acting_role(
                    self.held_by(rec.actor), rec.actor, (rec.role,), {None}, rec.moment) is None:
                self._finding("authority", rec, f"{rec.actor} did not hold admin or esa_director at {rec.at} "
                                                f"to open {rec.process} (recorded role: {rec.role})",
                              f"{rec.actor} ไม่ได้เป็นผู้ดูแลระบบหรือ ผอ.สพป. ณ {rec.at} จึงเปิด {rec.process} "
                              f"ไม่ได้ (บทบาทที่บันทึก: {rec.role})")
        procedure = self.definition(data["procedure"])
        if not isinstance(procedure, Procedure):
            self._finding("definition", rec, f"unknown procedure version {data['procedure'][:12]}",
                          f"ไม่รู้จักขั้นตอนรุ่น {data['procedure'][:12]}")
        elif data["state"] != procedure.initial:
            self._finding("legality", rec, f"opened in '{data['state']}', not the initial state",
                          f"เปิดในสถานะ '{data['state']}' ไม่ใช่สถานะเริ่มต้น")
        if rec.process != f"{data['fiscal_year']}/{data['task']}":
            self._finding("legality", rec, f"process id {rec.process} does not match fiscal year and task",
                          f"รหัสกระบวนการ {rec.process} ไม่ตรงกับปีงบประมาณและงาน")
        responsible = self.responsible_at(data["task"], rec.moment)
        if rec.responsible != responsible:
            self._finding("authority", rec, f"names {rec.responsible} as responsible officer; "
                                            f"the assignment then was {responsible}",
                          f"ระบุ {rec.responsible} เป็นผู้รับผิดชอบ แต่ขณะนั้นผู้ได้รับมอบหมายคือ {responsible}")
        same = self._same
        pid = str(rec.process)  # a record without one was reported just above
        self.processes[pid] = ProcessState(
            id=pid, fiscal_year=data["fiscal_year"], task=same(data["task"]),
            procedure=same(data["procedure"]), organization=same(data["organization"]), state=same(data["state"]),
            version=0, last_seq=rec.seq, opened_at=rec.at, last_at=rec.at, responsible=same(rec.responsible))

    def _process_transitioned(self, rec: Record, data: dict) -> None:
        proc = self.processes.get(rec.process or "")
        if proc is None:
            self._finding("legality", rec, f"transition on unknown process {rec.process}",
                          f"เปลี่ยนขั้นของกระบวนการที่ไม่รู้จัก {rec.process}")
            return
        moment = rec.moment
        procedure = self.definition(data["procedure"])
        trigger = data["trigger"]
        if data["procedure"] != proc.procedure:
            self._finding("legality", rec, "made under another procedure version than the process runs",
                          "บันทึกภายใต้ขั้นตอนคนละรุ่นกับที่กระบวนการใช้")
        if data["from"] != proc.state:
            self._finding("legality", rec, f"says it left '{data['from']}' but the process was in '{proc.state}'",
                          f"ระบุว่าออกจาก '{data['from']}' แต่กระบวนการอยู่ที่ '{proc.state}'")
        if data.get("version") != proc.version + 1:
            self._finding("legality", rec, f"process version {data.get('version')} after {proc.version}",
                          f"รุ่นของกระบวนการ {data.get('version')} ต่อจาก {proc.version}")
        if isinstance(procedure, Procedure):
            spec = self._spec(procedure, trigger, proc.state)  # what machine_for(procedure).is_legal asks, cached
            if spec is None or spec.dest != data["to"]:
                self._finding("legality", rec, f"'{trigger}' from '{proc.state}' to '{data['to']}' is not a "
                                               f"transition of procedure {procedure.version[:12]}",
                              f"'{trigger}' จาก '{proc.state}' ไป '{data['to']}' ไม่ใช่ขั้นที่ขั้นตอนรุ่น "
                              f"{procedure.version[:12]} อนุญาต")
            else:
                self._recheck(rec, proc, spec, data, moment)
                scopes = self._scopes_for(proc.organization, proc.task)
                if scopes is not None:
                    role = acting_role(self.held_by(rec.actor), rec.actor, (rec.role,), scopes, moment)
                    if rec.role not in spec.roles or role is None:
                        self._finding("authority", rec, f"{rec.actor} did not hold an allowed role "
                                                        f"({', '.join(spec.roles)}) for {proc.task} at {rec.at}"
                                                        f" (recorded role: {rec.role})",
                                      f"{rec.actor} ไม่ได้มีบทบาทที่มีสิทธิ์ ({', '.join(spec.roles)}) สำหรับ "
                                      f"{proc.task} ณ {rec.at} (บทบาทที่บันทึก: {rec.role})")
                else:
                    self._finding("definition", rec, f"unknown organization version {proc.organization[:12]}",
                                  f"ไม่รู้จักโครงสร้างหน่วยงานรุ่น {proc.organization[:12]}")
        else:
            self._finding("definition", rec, f"unknown procedure version {str(data['procedure'])[:12]}",
                          f"ไม่รู้จักขั้นตอนรุ่น {str(data['procedure'])[:12]}")
        responsible = self.responsible_at(proc.task, moment)
        if rec.responsible != responsible:
            self._finding("authority", rec, f"names {rec.responsible} as responsible officer; "
                                            f"the assignment then was {responsible}",
                          f"ระบุ {rec.responsible} เป็นผู้รับผิดชอบ แต่ขณะนั้นผู้ได้รับมอบหมายคือ {responsible}")
        same = self._same
        proc.state, proc.version, proc.last_seq, proc.last_at = same(data["to"]), proc.version + 1, rec.seq, rec.at
        proc.responsible = same(rec.responsible)
        if isinstance(procedure, Procedure) and proc.state in self._finals(procedure):
            proc.final = True
            proc.history, proc.feedback = _NO_HISTORY, ()  # nothing leaves a final state: keep memory flat
            return
        proc.final = False
        if proc.history is _NO_HISTORY:
            proc.history = {}
        proc.history[trigger] = data.get("evidence") or {}
        if trigger in ("next_round", "close"):
            proc.feedback = ()

    def _recheck(self, rec: Record, proc: ProcessState, spec, data: dict, moment: dt.datetime) -> None:
        evidence = data.get("evidence") or {}
        if not is_normalized(spec.evidence, evidence):  # the cheap question first; the messages only if needed
            try:
                normalized = validate_evidence(spec.trigger, spec.evidence, evidence)
            except EvidenceInvalid as exc:
                self._finding("legality", rec, "recorded evidence does not satisfy the definition: "
                              + exc.message_en, "หลักฐานที่บันทึกไม่เป็นไปตามนิยาม: " + exc.message_th)
                return
            if normalized != evidence:
                self._finding("legality", rec, "recorded evidence is not in normalized form",
                              "หลักฐานที่บันทึกไม่อยู่ในรูปแบบมาตรฐาน")
        if spec.guards:
            ctx = GuardContext(now=moment, history=proc.history,
                               document_number_taken=lambda k, y, n: self.documents.get(f"{k}|{y}|{n}", proc.id)
                               != proc.id,
                               received_feedback=proc.feedback, fiscal_year=proc.fiscal_year)
            problems = run_guards(spec.guards, evidence, ctx)
            if problems:
                listed = "; ".join(f"{p.field}: {p.problem}" for p in problems)
                self._finding("legality", rec, "guards fail on the recorded evidence: " + listed,
                              "หลักฐานที่บันทึกไม่ผ่านเงื่อนไข: " + listed)
        for guard in spec.guards:
            if guard.check == "unique_document_number":
                number = evidence.get(guard.params["field"])
                day = evidence.get(guard.params["date_field"])
                if number and day:
                    key = (f"{guard.params['document_kind']}|{dt.date.fromisoformat(day).year}|"
                           f"{normalize_doc_number(number)}")
                    if self.documents.setdefault(key, proc.id) == proc.id and self.claims is not None:
                        seen = self.claims.get(key)
                        self.claims[key] = rec.seq if seen is None else [
                            *(seen if isinstance(seen, list) else [seen]), rec.seq]

    def _feedback_received(self, rec: Record, data: dict) -> None:
        proc = self.processes.get(rec.process or "")
        if proc is None:
            self._finding("legality", rec, f"opinion for unknown process {rec.process}",
                          f"ความคิดเห็นของกระบวนการที่ไม่รู้จัก {rec.process}")
            return
        proc.feedback = (*proc.feedback, data["opinion"])

    def _attachment_published(self, rec: Record, data: dict) -> None:
        """A file of a process marked public or withdrawn (engine.ita.publish), by one of the task's people."""
        proc = self.processes.get(rec.process or "")
        if proc is None:
            self._finding("legality", rec, f"file published for unknown process {rec.process}",
                          f"เผยแพร่ไฟล์ของกระบวนการที่ไม่รู้จัก {rec.process}")
            return
        scopes = self._scopes_for(proc.organization, proc.task)
        if scopes is not None and acting_role(self.held_by(rec.actor), rec.actor, PUBLISH_ROLES, scopes,
                                              rec.moment) is None:
            self._finding("authority", rec, f"{rec.actor} did not hold a role that may publish the files of "
                                            f"{proc.id} at {rec.at}",
                          f"{rec.actor} ไม่มีบทบาทที่เผยแพร่ไฟล์ของ {proc.id} ได้ ณ {rec.at}")


def document_conflicts(parts: Iterable[tuple[dict[str, str], dict[str, int | list[int]]]]) -> list[Finding]:
    """Document numbers two parts of a partitioned audit each gave to a different process.

    Each part reports, per number, the process that first used it in that part
    and the seqs of its uses. The earliest use across parts owns the number;
    every use by another part's process is what the guard would have refused.
    """
    parts = list(parts)
    seen: set[str] = set()
    shared: set[str] = set()
    for _documents, claims in parts:  # only numbers two parts both used need a look (few, if any)
        keys = claims.keys()
        shared |= seen & keys
        seen |= keys
    del seen
    best: dict[str, tuple[int, str]] = {}
    uses: dict[str, list[tuple[str, list[int]]]] = {}
    for documents, claims in parts:
        for key in shared & claims.keys():
            got = claims[key]
            seqs = got if isinstance(got, list) else [got]
            process = documents[key]
            uses.setdefault(key, []).append((process, seqs))
            if key not in best or seqs[0] < best[key][0]:
                best[key] = (seqs[0], process)
    out: list[Finding] = []
    for key, claimed in uses.items():
        if len(claimed) < 2:
            continue
        owner = best[key][1]
        kind, year, number = key.split("|", 2)
        for process, seqs in claimed:
            if process != owner:
                out.extend(Finding("legality", seq, f"guards fail on the recorded evidence: {kind} number "
                                                    f"{number} of {int(year) + 543} was already used by {owner}",
                                   message_th=f"หลักฐานที่บันทึกไม่ผ่านเงื่อนไข: เลขที่ {number} ({kind}) "
                                              f"ปี {int(year) + 543} ถูกใช้แล้วโดย {owner}")
                           for seq in seqs)
    return out
