"""Who may act: role assignments with validity and scope, evaluated at an instant.

The engine (with assignments from the database) and the replay (with
assignments folded from the ledger) both ask these functions, so an advance
and its audit apply one rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Assignment:
    id: int
    person: str
    role: str
    scope: str | None          # None = the whole office; else a unit, mission group or task id
    valid_from: dt.datetime
    valid_until: dt.datetime | None = None  # exclusive

    def valid_at(self, moment: dt.datetime) -> bool:
        return self.valid_from <= moment and (self.valid_until is None or moment < self.valid_until)


def acting_role(assignments: Iterable[Assignment], person: str, allowed: Iterable[str],
                scopes: set[str | None], moment: dt.datetime) -> str | None:
    """The first allowed role (in the definition's order) the person holds now for a scope."""
    held = {a.role for a in assignments
            if a.person == person and a.scope in scopes and a.valid_at(moment)}
    return next((role for role in allowed if role in held), None)


def holders(assignments: Iterable[Assignment], role: str, scopes: set[str | None],
            moment: dt.datetime) -> list[str]:
    """People holding a role for any of the scopes at that moment, newest assignment first."""
    valid = [a for a in assignments if a.role == role and a.scope in scopes and a.valid_at(moment)]
    valid.sort(key=lambda a: (a.valid_from, a.id), reverse=True)
    seen: list[str] = []
    for a in valid:
        if a.person not in seen:
            seen.append(a.person)
    return seen


def responsible_for(assignments: Iterable[Assignment], task: str, moment: dt.datetime) -> str | None:
    """The responsible officer of a task at that moment (the latest assignment wins)."""
    people = holders(assignments, "responsible_officer", {task}, moment)
    return people[0] if people else None
