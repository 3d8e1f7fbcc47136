"""The application: commands and queries over one database.

Every command runs in one unit of work: resolve the actor and their role *at
this moment*, ask the machine (legality, evidence, guards), then in the same
transaction move the state projection and append the ledger record. Any
refusal is a typed error and nothing is written. The clock is injected.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine import steps
from engine.people import SYSTEM, PeopleCommands
from engine.steps import PROCESS_ID, parse_process_id  # noqa: F401 - named from here too
from storage.store import Store, Tx
from workflow.audit import definition_from_content
from workflow.authority import acting_role, responsible_for
from workflow.canonical import canonical_text, sha256_hex
from workflow.definitions import (
    Calendar,
    Definition,
    Organization,
    Procedure,
)
from workflow.errors import (
    DefinitionError,
    NotAllowed,
    NotFound,
    Problem,
    UsageError,
)
from workflow.evidence import field_summary
from workflow.ledger import Entry, Record
from workflow.reader import cross_check, load_definition

MAX_ATTACHMENT = 20 * 1024 * 1024


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Definitions:
    procedure: Procedure
    organization: Organization
    calendar: Calendar | None


class Ruam(PeopleCommands):
    def __init__(self, store: Store, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock
        # how far the database's clock runs ahead of ``clock``: zero, except on a
        # demonstration database whose simulated clock a tick moved on (engine.clock)
        self.clock_offset = dt.timedelta(0)
        self._cache: dict[str, Definition] = {}
        # bumped when this process adds a person or assigns / ends a role: caches of
        # who holds what (the web's Accounts) ask the database again
        self.roles_generation = 0
        # bumped when this process activates definitions (the web's cached organization)
        self.definitions_generation = 0
        # what this application knows for its steps: each task's scopes, each trigger's reads,
        # what it read and wrote at its last step of each process (engine.steps)
        self.step_reads = steps.StepReads()
        # the same database's other offices, opened once each (``for_office``)
        self._offices: dict[str | None, Ruam] = {None if store.office_code == "default" else store.office_code: self}
        from engine.logs import get_logger

        self.log = get_logger("ruam.engine").bind(office=store.office_code)

    @property
    def office(self) -> str:
        """The code of the office this application is opened for (``default`` for the default office)."""
        return self.store.office_code

    def for_office(self, code: str | None) -> Ruam:
        """This database opened for the office ``code`` (None or ``default``: the default office).
        NotFound (exit 1, HTTP 404) if there is no such office. Kept, so caches live on."""
        key = None if code in (None, "default") else code
        found = self._offices.get(key)
        if found is None:
            found = Ruam(self.store.for_office(key), clock=self.clock)
            found.clock_offset = self.clock_offset
            found._offices = self._offices
            self._offices[key] = found
        return found

    def now(self) -> dt.datetime:
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must return an aware datetime")
        return (moment + self.clock_offset).astimezone(dt.timezone.utc)

    # ------------------------------------------------------------------ definitions
    def definition(self, version: str, tx: Tx | None = None) -> Definition:
        found = self.definition_or_none(version, tx)
        if found is None:
            raise NotFound("definition", version[:12], "นิยาม")
        return found

    def definition_or_none(self, version: str, tx: Tx | None = None) -> Definition | None:
        """A stored definition, only if its content still hashes to its version."""
        if version in self._cache:
            return self._cache[version]
        if tx is None:
            with self.store.reading() as rtx:
                content = rtx.definition_content(version)
        else:
            content = tx.definition_content(version)
        # rebuilt from the stored JSON content, without a YAML parse of it (the audit's reader)
        definition = definition_from_content(version, content)
        if definition is not None:
            self._cache[version] = definition
        return definition

    def active(self, tx: Tx | None = None) -> Definitions:
        def read(t: Tx) -> dict[str, str]:
            return t.active_definitions()

        if tx is None:
            with self.store.reading() as rtx:
                active = read(rtx)
        else:
            active = read(tx)
        if "procedure" not in active or "organization" not in active:
            raise NotFound("active definitions", "procedure/organization", "นิยามที่ใช้งาน")
        cal = self.definition(active["calendar"], tx) if "calendar" in active else None
        return Definitions(self.definition(active["procedure"], tx),  # type: ignore[arg-type]
                           self.definition(active["organization"], tx), cal)  # type: ignore[arg-type]

    def ledger_head(self) -> tuple[int, str]:
        """The sequence number and hash of the newest ledger record (0 and zeros when empty)."""
        with self.store.reading() as tx:
            return tx.head()

    def stored_definitions(self) -> list[dict]:
        """Every stored definition version, oldest first, marked if it is the active one."""
        with self.store.reading() as tx:
            rows, active = tx.definitions(), tx.active_definitions()
        for row in rows:
            row["active"] = active.get(row["kind"]) == row["version"]
            found = self.definition_or_none(row["version"])
            row["title"] = {"th": found.title.th, "en": found.title.en} if found is not None else None
        return rows

    @staticmethod
    def check_definitions(texts: list[tuple[str, str]],
                          base: Definitions | None = None) -> list[Definition]:
        """Parse and validate documents (and how they fit together); all problems at once."""
        problems: list[Problem] = []
        loaded: list[Definition] = []
        for name, text in texts:
            try:
                loaded.append(load_definition(text, name))
            except DefinitionError as exc:
                problems.extend(exc.problems)
        if problems:
            raise DefinitionError(problems)
        kinds = [d.kind for d in loaded]
        for kind in set(kinds):
            if kinds.count(kind) > 1:
                problems.append(Problem("kind", f"two {kind} documents given; give one of each kind"))
        by_kind = {d.kind: d for d in loaded}
        proc = by_kind.get("procedure") or (base.procedure if base else None)
        org = by_kind.get("organization") or (base.organization if base else None)
        cal = by_kind.get("calendar") or (base.calendar if base else None)
        if proc is not None and org is not None:
            problems.extend(cross_check(proc, org, cal))  # type: ignore[arg-type]
        if problems:
            raise DefinitionError(problems)
        return loaded

    def register_definitions(self, texts: list[tuple[str, str]], actor: str = SYSTEM) -> list[dict]:
        """Validate, store by content hash, record, and make active. Idempotent."""
        with self.store.transaction() as tx:
            # serialized with calendar ticks: a tick never records under definitions that a
            # registration committed before it (the calendar audit holds ticks to what was in force)
            tx.lock_calendar()
            now = self.now()
            self._require_admin(tx, actor, now)
            try:
                base = self.active(tx)
            except NotFound:
                base = None
            loaded = self.check_definitions(texts, base)
            active = tx.active_definitions()
            out, entries = [], []
            for d in loaded:
                stored = tx.put_definition(d.version, d.kind, d.id, canonical_text(d.content), now)
                if stored:
                    entries.append(Entry(kind="definition.registered", at=now, actor=actor,
                                         role=self._admin_role(actor), data={
                                             "version": d.version, "kind": d.kind, "id": d.id}))
                changed = active.get(d.kind) != d.version
                if changed:
                    tx.set_active(d.kind, d.version)
                    entries.append(Entry(kind="definition.activated", at=now, actor=actor,
                                         role=self._admin_role(actor),
                                         data={"version": d.version, "kind": d.kind}))
                self._cache[d.version] = d
                out.append({"kind": d.kind, "id": d.id, "title": {"th": d.title.th, "en": d.title.en},
                            "version": d.version, "new": stored,
                            "activated": changed})
            tx.append(entries)
        self.definitions_generation += 1
        self.log.info("definitions.registered", versions=[o["version"][:12] for o in out])
        return out

    # ------------------------------------------------------------------ set-up
    def init(self, texts: list[tuple[str, str]] | None = None, demo: bool = False) -> dict:
        """Create/upgrade the schema, load definitions (shipped by default); idempotent."""
        from definitions import shipped_texts

        self.store.migrate()
        if demo:  # a demonstration: its clock is simulated (a tick may move it forward)
            from engine.clock import load, mark_demo

            mark_demo(self)
            load(self)
        registered = self.register_definitions(texts or shipped_texts())
        people = self.load_demo() if demo else []
        return {"definitions": registered, "demo_people": people}

    # ------------------------------------------------------------------ processes
    def open_cycle(self, fiscal_year: int, actor: str = SYSTEM) -> list[str]:
        """One process per task for a BE fiscal year; idempotent (returns those opened now)."""
        if not 2500 <= fiscal_year <= 2700:
            raise UsageError("fiscal_year", f"{fiscal_year} is not a Buddhist-Era fiscal year like 2570",
                             f"{fiscal_year} ไม่ใช่ปีงบประมาณ พ.ศ. เช่น 2570")
        now = self.now()
        with self.store.transaction() as tx:
            role = SYSTEM
            if actor != SYSTEM:
                role = acting_role(tx.assignments(person=actor), actor, ("admin", "esa_director"), {None}, now)
                if role is None:
                    raise NotAllowed(actor, "open cycle", str(fiscal_year), ("admin", "esa_director"))
            opened = self.open_cycle_in(tx, fiscal_year, actor, now, role)
        if opened:
            self.log.info("cycle.opened", fiscal_year=fiscal_year, processes=len(opened))
        return opened

    def open_cycle_in(self, tx: Tx, fiscal_year: int, actor: str, now: dt.datetime,
                      role: str = SYSTEM) -> list[str]:
        """Open the missing processes of a fiscal year inside a caller's transaction (the tick's too)."""
        defs = self.active(tx)
        existing = {p["task_id"] for p in tx.processes(fiscal_year=fiscal_year)}
        assignments = tx.assignments(roles=("responsible_officer",))
        entries, opened = [], []
        for task in defs.organization.tasks:
            if task.id in existing:
                continue
            pid = f"{fiscal_year}/{task.id}"
            tx.insert_process(id=pid, fiscal_year=fiscal_year, task_id=task.id,
                              procedure_version=defs.procedure.version,
                              organization_version=defs.organization.version,
                              state=defs.procedure.initial, version=0, opened_at=now, updated_at=now)
            entries.append(Entry(kind="process.opened", at=now, actor=actor, role=role,
                                 responsible=responsible_for(assignments, task.id, now), process=pid,
                                 data={"fiscal_year": fiscal_year, "task": task.id,
                                       "procedure": defs.procedure.version,
                                       "organization": defs.organization.version,
                                       "state": defs.procedure.initial}))
            opened.append(pid)
        tx.append(entries)
        return opened

    def _load(self, tx: Tx, process_id: str) -> tuple[dict, Procedure, Organization]:
        parse_process_id(process_id)
        proc = tx.get_process(process_id)
        if proc is None:
            raise NotFound("process", process_id, "กระบวนการ")
        procedure = self.definition(proc["procedure_version"], tx)
        organization = self.definition(proc["organization_version"], tx)
        return proc, procedure, organization  # type: ignore[return-value]

    def advance(self, process_id: str, trigger: str, actor: str, evidence: dict | None = None,
                note: str | None = None, expected_version: int | None = None) -> Record:
        """Fire a trigger with evidence; the one write path for every step (``engine.steps``)."""
        return steps.advance(self, process_id, trigger, actor, evidence, note, expected_version)

    def send_back(self, process_id: str, actor: str, reason: str,
                  expected_version: int | None = None) -> Record:
        return self.advance(process_id, "send_back", actor, {"reason": reason},
                            expected_version=expected_version)

    def cancel(self, process_id: str, actor: str, reason: str,
               expected_version: int | None = None) -> Record:
        return self.advance(process_id, "cancel", actor, {"reason": reason},
                            expected_version=expected_version)

    def store_attachment(self, content: bytes, name: str, media_type: str | None = None) -> dict:
        """Keep a file by its sha256; evidence names it by that hash."""
        if len(content) > MAX_ATTACHMENT:
            raise UsageError("attachment", f"'{name}' is larger than {MAX_ATTACHMENT // (1024 * 1024)} MiB",
                             f"ไฟล์ '{name}' ใหญ่เกิน {MAX_ATTACHMENT // (1024 * 1024)} MiB")
        digest = sha256_hex(content)
        media_type = media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        with self.store.transaction() as tx:
            tx.put_attachment(digest, Path(name).name, media_type, content, self.now())
        return {"sha256": digest, "name": Path(name).name, "size": len(content)}

    # ------------------------------------------------------------------ queries
    def processes(self, fiscal_year: int | None = None, group: str | None = None,
                  state: str | None = None) -> list[dict]:
        with self.store.reading() as tx:
            tasks = None
            if group is not None:
                org = self.active(tx).organization
                mg = org.mission_group(group)
                if mg is None:
                    mg = next((g for g in org.mission_groups if group in g.units), None)
                if mg is None:
                    raise UsageError("group", f"unknown group '{group}'", f"ไม่รู้จักกลุ่ม '{group}'")
                tasks = [t.id for t in mg.tasks]
            rows = tx.processes(fiscal_year=fiscal_year, tasks=tasks, state=state)
            for row in rows:
                procedure = self.definition(row["procedure_version"], tx)
                organization = self.definition(row["organization_version"], tx)
                task = organization.task(row["task_id"])  # type: ignore[union-attr]
                row["task_title"] = task.title.th if task else row["task_id"]
                row["task_title_en"] = task.title.en if task else row["task_id"]
                row["mission_group"] = task.mission_group if task else None
                st = procedure.state(row["state"])  # type: ignore[union-attr]
                row["state_title"] = st.title.th
                row["state_title_en"] = st.title.en
        return rows

    def process(self, process_id: str, as_person: str | None = None) -> dict:
        """State, history, and (for a person) what they may do now and what it needs."""
        now = self.now()
        with self.store.reading() as tx:
            proc, procedure, org = self._load(tx, process_id)
            records = tx.records_for(process_id)
            scopes = org.scopes_covering(proc["task_id"])
            assignments = tx.assignments(scopes=scopes)
            open_feedback = tx.open_feedback(process_id)
        task = org.task(proc["task_id"])
        out = dict(proc)
        out.update({
            "task_title": task.title.th if task else proc["task_id"],
            "task_title_en": task.title.en if task else proc["task_id"],
            "state_title": procedure.state(proc["state"]).title.th,
            "state_title_en": procedure.state(proc["state"]).title.en,
            "responsible": responsible_for(assignments, proc["task_id"], now),
            "history": [r.body() | {"hash": r.hash} for r in records],
            "open_feedback": open_feedback,
            "final": procedure.state(proc["state"]).final,
        })
        available = []
        for spec in procedure.transitions_from(proc["state"]):
            entry = {"trigger": spec.trigger, "kind": spec.kind, "to": spec.dest,
                     "title_th": spec.title.th, "title_en": spec.title.en, "roles": list(spec.roles),
                     "evidence": field_summary(spec.evidence)}
            if as_person is not None:
                entry["allowed"] = acting_role(assignments, as_person, spec.roles, scopes, now) is not None
            available.append(entry)
        if as_person is not None:
            out["as"] = as_person
        out["available"] = available
        return out

    def log_records(self, process_id: str | None = None, limit: int | None = None) -> list[Record]:
        if process_id:
            parse_process_id(process_id)
        with self.store.reading() as tx:
            if process_id and tx.get_process(process_id) is None:
                raise NotFound("process", process_id, "กระบวนการ")
            return tx.records(process_id=process_id, limit=limit)
