"""One office's definitions (which it registered, which it uses), people and role
assignments: the repository methods (a mixin of ``storage.store.Tx``; every query
names the Tx's ``office_id``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from storage import hotpath as hot
from storage import schema as s
from workflow.authority import Assignment
from workflow.errors import Duplicate


def public(row) -> dict | None:
    """A row as a dict, without its ``office_id`` (the Tx's own office: callers never see it)."""
    if row is None:
        return None
    d = dict(row._mapping)
    d.pop("office_id", None)
    return d


_public = public


class RegistryRows:
    conn: Connection
    dialect: str
    office_id: int

    def put_definition(self, version: str, kind: str, name: str, content: str, at: dt.datetime) -> bool:
        """Store a definition by version for this office; False if the office already had it.
        (The content is stored once per database; each office registers the versions it may use.)"""
        od = s.office_definitions.c
        if self.conn.execute(select(od.version).where(od.office_id == self.office_id,
                                                      od.version == version)).first():
            return False
        if not self.conn.execute(select(s.definitions.c.version).where(s.definitions.c.version == version)).first():
            self.conn.execute(insert(s.definitions).values(version=version, kind=kind, name=name,
                                                           content=content, registered_at=at))
        self.conn.execute(insert(s.office_definitions).values(office_id=self.office_id, version=version,
                                                              registered_at=at))
        return True

    def _office_definitions(self):
        """The definitions this office registered (joined to their content)."""
        od = s.office_definitions.c
        return (s.definitions.join(s.office_definitions, od.version == s.definitions.c.version),
                od.office_id == self.office_id, od.registered_at)

    def definition_rows(self) -> list[dict]:
        """Every definition this office stored, with its content, in registration order (for exports)."""
        c = s.definitions.c
        joined, mine, registered = self._office_definitions()
        return [dict(r._mapping) for r in self.conn.execute(
            select(c.version, c.kind, c.name, c.content, registered.label("registered_at"))
            .select_from(joined).where(mine).order_by(registered, c.version))]

    def definition_content(self, version: str) -> str | None:
        c = s.definitions.c
        joined, mine, _ = self._office_definitions()
        return self.conn.execute(select(c.content).select_from(joined)
                                 .where(mine, c.version == version)).scalar()

    def definitions(self) -> list[dict]:
        c = s.definitions.c
        joined, mine, registered = self._office_definitions()
        return [dict(r._mapping) for r in self.conn.execute(
            select(c.version, c.kind, c.name, registered.label("registered_at"))
            .select_from(joined).where(mine).order_by(registered))]

    def active_definitions(self) -> dict[str, str]:
        a = s.active_definitions.c
        return {k: v for k, v in self.conn.execute(select(a.kind, a.version).where(a.office_id == self.office_id))}

    def set_active(self, kind: str, version: str) -> None:
        a = s.active_definitions.c
        done = self.conn.execute(update(s.active_definitions).where(a.office_id == self.office_id, a.kind == kind)
                                 .values(version=version)).rowcount
        if not done:
            self.conn.execute(insert(s.active_definitions).values(office_id=self.office_id, kind=kind,
                                                                  version=version))

    # -- people and roles --------------------------------------------------------------------
    def add_person(self, person_id: str, name: str, position: str, email: str | None,
                   at: dt.datetime) -> None:
        if self.get_person(person_id):
            raise Duplicate("person", person_id)
        self.conn.execute(insert(s.people).values(office_id=self.office_id, id=person_id, name=name,
                                                  position=position, email=email, created_at=at))

    def get_person(self, person_id: str) -> dict | None:
        c = s.people.c
        row = self.conn.execute(select(s.people).where(c.office_id == self.office_id, c.id == person_id)).first()
        return _public(row)

    def people(self) -> list[dict]:
        c = s.people.c
        return [_public(r) for r in self.conn.execute(select(s.people).where(c.office_id == self.office_id)
                                                      .order_by(c.id))]

    def next_assignment_id(self) -> int:
        c = s.role_assignments.c
        return (self.conn.execute(select(func.max(c.id)).where(c.office_id == self.office_id)).scalar() or 0) + 1

    def add_assignment(self, a: Assignment) -> None:
        self.conn.execute(insert(s.role_assignments).values(
            office_id=self.office_id, id=a.id, person_id=a.person, role=a.role, scope=a.scope,
            valid_from=a.valid_from, valid_until=a.valid_until))

    def end_assignment(self, assignment_id: int, until: dt.datetime) -> None:
        c = s.role_assignments.c
        self.conn.execute(update(s.role_assignments).where(c.office_id == self.office_id, c.id == assignment_id)
                          .values(valid_until=until))

    def assignments_for_scopes(self, scopes: set[str | None]) -> list[Assignment]:
        """Assignments held for the office (no scope) or any of these scopes (the hot path)."""
        named = tuple(x for x in scopes if x is not None)
        q = hot.sql(self.dialect, "assignments_in", marks=hot.marks(self.dialect, len(named)))
        return self._assignment_rows(self._run(q, (self.office_id, self.office_id, *named)).fetchall())

    @staticmethod
    def _assignment_rows(rows) -> list[Assignment]:
        return [Assignment(id=r[0], person=r[1], role=r[2], scope=r[3], valid_from=hot.read_time(r[4]),
                           valid_until=hot.read_time(r[5])) for r in rows]

    def assignments(self, *, person: str | None = None, roles: Sequence[str] | None = None,
                    scopes: set[str | None] | None = None) -> list[Assignment]:
        c = s.role_assignments.c
        q = (select(c.id, c.person_id, c.role, c.scope, c.valid_from, c.valid_until)
             .where(c.office_id == self.office_id).order_by(c.id))
        if person is not None:
            q = q.where(c.person_id == person)
        if roles is not None:
            q = q.where(c.role.in_(list(roles)))
        if scopes is not None:
            named = [x for x in scopes if x is not None]
            cond = c.scope.in_(named) if named else None
            if None in scopes:
                cond = c.scope.is_(None) if cond is None else (cond | c.scope.is_(None))
            q = q.where(cond)
        return [Assignment(id=r[0], person=r[1], role=r[2], scope=r[3], valid_from=r[4],
                           valid_until=r[5]) for r in self.conn.execute(q)]
