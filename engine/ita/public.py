"""What the office's public site shows (no sign-in): the measure, the archive of fiscal
years, a year's mission groups and tasks, a task's four elements.

Built from the definitions (the measure as the announcement sets it out: its
title and legal basis, §1 the mission groups and tasks, §2 the steps, §3 the
people involved, §4 the calendar) and from ``task_elements``. The office's
name is ``RUAM_OFFICE_NAME`` when set, else the organization's title.

PDPA: participants by name, position and organisation, outsiders marked; no
e-mail, no national id, no account name, nothing about who sent an opinion.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from engine.app import Ruam
from engine.ita.elements import TaskElements, task_elements
from workflow.errors import NotFound
from workflow.fiscal import bangkok_date, fiscal_year_be


@dataclass(frozen=True)
class Measure:
    office: str
    title: str
    legal_basis: list[str]
    groups: list[tuple[str, str, list[tuple[str, str]]]]      # (seed, title, [(seed, task title)])
    steps: list[tuple[str, str]]                              # (seed, title) of §2
    people: list[tuple[str, str]]                             # (seed, role title) of §3
    calendar: list[tuple[str, str, list[str]]]                # (seed, item title, [round titles])


def office_name(app: Ruam) -> str:
    return (os.environ.get("RUAM_OFFICE_NAME") or "").strip() or app.active().organization.title.th


def measure(app: Ruam) -> Measure:
    defs = app.active()
    org, proc, cal = defs.organization, defs.procedure, defs.calendar
    steps, seen = [], set()
    for s in proc.states:
        if s.seed and not s.final and (s.seed, s.title.th) not in seen:
            seen.add((s.seed, s.title.th))
            steps.append((s.seed, s.title.th))
    officer = org.role("responsible_officer") if hasattr(org, "role") else None
    people = [("3.1", officer.title.th)] if officer else []
    items = cal.items if cal else ()
    for i in items:
        if i.kind == "checkpoint":
            count = i.required_count or i.minimum_count
            times = (f" ปีงบประมาณละ {'อย่างน้อย ' if i.minimum_count else ''}{count} ครั้ง") if count else ""
            people.append((i.seed, i.title.th + times))
    calendar = [(i.seed, i.title.th, [r.title.th for r in i.rounds]) for i in items if i.kind == "report"]
    return Measure(office_name(app), proc.title.th, [b.title.th for b in proc.legal_basis],
                   [(g.seed, g.title.th, [(t.seed, t.title.th) for t in g.tasks]) for g in org.mission_groups],
                   steps, people, calendar)


@dataclass(frozen=True)
class YearRow:
    fiscal_year: int
    tasks: int
    publishable: int
    updated_at: dt.datetime | None


def archive(app: Ruam) -> list[YearRow]:
    """Every fiscal year with processes, newest first."""
    years: dict[int, list[dict]] = {}
    for row in app.processes():
        years.setdefault(row["fiscal_year"], []).append(row)
    out = []
    for fy in sorted(years, reverse=True):
        rows = years[fy]
        done = sum(1 for r in rows if r["state"] == "closed")
        out.append(YearRow(fy, len(rows), done, max((r["updated_at"] for r in rows if r.get("updated_at")),
                                                    default=None)))
    return out


@dataclass(frozen=True)
class YearPage:
    fiscal_year: int
    groups: list[tuple[str, list[TaskElements]]]
    published_on: dt.date | None
    updated_at: dt.datetime | None


def year_page(app: Ruam, fiscal_year: int) -> YearPage:
    tasks = [t for t in task_elements(app, fiscal_year)]
    if not any(t.process_id for t in tasks):
        raise NotFound("fiscal year", str(fiscal_year), "ปีงบประมาณ")
    groups: list[tuple[str, list[TaskElements]]] = []
    for t in tasks:
        if not groups or groups[-1][0] != t.mission_group_title:
            groups.append((t.mission_group_title, []))
        groups[-1][1].append(t)
    published = [t.published_on for t in tasks if t.published_on]
    updated = [t.updated_at for t in tasks if t.updated_at]
    return YearPage(fiscal_year, groups, min(published) if published else None, max(updated) if updated else None)


def task_page(app: Ruam, fiscal_year: int, task_id: str) -> TaskElements:
    found = next((t for t in task_elements(app, fiscal_year) if t.task_id == task_id and t.process_id), None)
    if found is None:
        raise NotFound("process", f"{fiscal_year}/{task_id}", "กระบวนการ")
    return found


def current_year(app: Ruam) -> int:
    return fiscal_year_be(bangkok_date(app.now()))
