"""People and their roles: add a person, assign a role for a scope and a time,
end an assignment, list them, load placeholder people for a demo.

A mixin of ``engine.app.Ruam`` (its ``store``, ``now``, ``active``, ``log`` and
``roles_generation``); each command is one unit of work that appends its
ledger record, and only the local operator (``system``) or a person holding
``admin`` at that moment may run it.
"""

from __future__ import annotations

import datetime as dt
import re

from storage.store import Tx
from workflow.authority import Assignment, acting_role
from workflow.errors import NotAllowed, NotFound, UsageError
from workflow.ledger import Entry, Record, format_instant
from workflow.replay import SYSTEM

PERSON_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

__all__ = ["PERSON_ID", "SYSTEM", "PeopleCommands"]


class PeopleCommands:
    """The people-and-roles commands of ``Ruam``."""

    def _admin_role(self, actor: str) -> str:
        return SYSTEM if actor == SYSTEM else "admin"

    def _require_admin(self, tx: Tx, actor: str, now: dt.datetime) -> None:
        """The local operator (``system``) or a person holding ``admin`` now."""
        if actor == SYSTEM:
            return
        if acting_role(tx.assignments(person=actor), actor, ("admin",), {None}, now) is None:
            raise NotAllowed(actor, "administer", "Ruam", ("admin",))

    def add_person(self, person_id: str, name: str, position: str = "", email: str | None = None,
                   actor: str = SYSTEM) -> Record:
        if not PERSON_ID.match(person_id or "") or person_id == SYSTEM:
            raise UsageError("person", f"'{person_id}' is not a person id (lower-case letters, digits, . _ -)",
                             f"'{person_id}' ไม่ใช่รหัสบุคคล (a-z 0-9 . _ -)")
        if not (name or "").strip():
            raise UsageError("name", "is required", "ต้องระบุชื่อ")
        if email is not None and email and "@" not in email:
            raise UsageError("email", f"'{email}' is not an email address")
        now = self.now()
        with self.store.transaction() as tx:
            self._require_admin(tx, actor, now)
            tx.add_person(person_id, name.strip(), position.strip(), email or None, now)
            [rec] = tx.append([Entry(kind="person.added", at=now, actor=actor, role=self._admin_role(actor),
                                     data={"person": person_id, "name": name.strip(),
                                           "position": position.strip(), "email": email or None})])
        self.roles_generation += 1
        self.log.info("person.added", person=person_id, seq=rec.seq)
        return rec

    def assign_role(self, person_id: str, role: str, scope: str | None = None,
                    valid_from: dt.datetime | None = None, valid_until: dt.datetime | None = None,
                    actor: str = SYSTEM) -> Record:
        now = self.now()
        with self.store.transaction() as tx:
            self._require_admin(tx, actor, now)
            org = self.active(tx).organization
            if tx.get_person(person_id) is None and not self._person_of_another_office(person_id):
                raise NotFound("person", person_id, "บุคคล")
            spec = org.role(role)
            if spec is None:
                raise UsageError("role", f"unknown role '{role}' (known: {', '.join(r.id for r in org.roles)})",
                                 f"ไม่รู้จักบทบาท '{role}'")
            if scope is not None and scope not in org.scope_ids():
                raise UsageError("scope", f"unknown unit, mission group or task '{scope}'",
                                 f"ไม่รู้จักกลุ่มหรืองาน '{scope}'")
            if spec.scope == "task" and (scope is None or org.task(scope) is None):
                raise UsageError("scope", f"role '{role}' is held for one task: give --scope TASK",
                                 f"บทบาท '{role}' ต้องระบุงาน (--scope TASK)")
            start = valid_from or now
            if valid_until is not None and valid_until <= start:
                raise UsageError("until", "must be after --from", "วันสิ้นสุดต้องอยู่หลังวันเริ่ม")
            assignment = Assignment(id=tx.next_assignment_id(), person=person_id, role=role, scope=scope,
                                    valid_from=start, valid_until=valid_until)
            tx.add_assignment(assignment)
            [rec] = tx.append([Entry(kind="role.assigned", at=now, actor=actor, role=self._admin_role(actor),
                                     data={"assignment": assignment.id, "person": person_id, "role": role,
                                           "scope": scope, "valid_from": format_instant(start),
                                           "valid_until": format_instant(valid_until) if valid_until else None})])
        self.roles_generation += 1
        self.log.info("role.assigned", person=person_id, role=role, scope=scope, seq=rec.seq)
        return rec

    def _person_of_another_office(self, qualified: str) -> bool:
        """Whether ``person@CODE`` names a person of another office: a role granted here to them,
        explicitly (a province's or the central office's auditor, say). Their office is read for
        that one row only."""
        person, _, code = qualified.partition("@")
        if not code or code == self.office or not PERSON_ID.match(person):
            return False
        try:
            home = self.for_office(code)
        except NotFound:
            return False
        with home.store.reading() as tx:
            return tx.get_person(person) is not None

    def end_assignment(self, assignment_id: int, until: dt.datetime | None = None,
                       actor: str = SYSTEM) -> Record:
        now = self.now()
        until = until or now
        with self.store.transaction() as tx:
            self._require_admin(tx, actor, now)
            found = [a for a in tx.assignments() if a.id == assignment_id]
            if not found:
                raise NotFound("assignment", str(assignment_id), "การมอบหมาย")
            if until <= found[0].valid_from:
                raise UsageError("until", "must be after the assignment's start", "วันสิ้นสุดต้องอยู่หลังวันเริ่มการมอบหมาย")
            tx.end_assignment(assignment_id, until)
            [rec] = tx.append([Entry(kind="role.ended", at=now, actor=actor, role=self._admin_role(actor),
                                     data={"assignment": assignment_id, "valid_until": format_instant(until)})])
        self.roles_generation += 1
        return rec

    def people(self) -> list[dict]:
        with self.store.reading() as tx:
            people = tx.people()
            assignments = tx.assignments()
        now = self.now()
        for p in people:
            p["assignments"] = [{"id": a.id, "role": a.role, "scope": a.scope,
                                 "valid_from": a.valid_from, "valid_until": a.valid_until,
                                 "active": a.valid_at(now)} for a in assignments if a.person == p["id"]]
        return people

    def people_to_name(self) -> list[dict]:
        """Whom this office's pages and lines may name: its people, and the people of other offices
        it granted a role (``person@CODE``, by their name and position and their office's name)."""
        people = self.people()
        with self.store.reading() as tx:
            granted = sorted({a.person for a in tx.assignments() if "@" in a.person})
        from engine.names import office_name

        for qualified in granted:
            person, _, code = qualified.partition("@")
            try:
                home = self.for_office(code)
            except NotFound:
                continue
            with home.store.reading() as tx:
                row, office = tx.get_person(person), tx.this_office()
            if row is not None:
                where = office_name(home, office)[0] if office else code
                people.append({**row, "id": qualified,
                               "position": f"{row['position']}, {where}" if row["position"] else where})
        return people

    def load_demo(self) -> list[str]:
        """Placeholder people for every role, so a new user can try every step at once."""
        from engine.demo import demo_people

        org = self.active().organization
        added = []
        with self.store.reading() as tx:
            existing = {p["id"] for p in tx.people()}
        for person_id, name, position, role, scope in demo_people(org):
            if person_id not in existing:
                self.add_person(person_id, name, position)
                existing.add(person_id)
                added.append(person_id)
            if person_id in added:
                self.assign_role(person_id, role, scope)
        return added
