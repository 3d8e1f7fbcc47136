"""The fiscal-year board: every task × state for what a viewer may see, built
in one read with dictionaries, so it stays fast with tens of thousands of
processes (one per school). ``Ruam.processes`` looks each task up by a linear
scan of the organization, which is fine for one office but not for 30,000."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from engine.accounts import Viewer
from engine.app import Ruam
from workflow.definitions import Organization
from workflow.fiscal import bangkok_date, fiscal_year_bounds

DETAIL_LIMIT = 300   # above this many visible processes, the board shows counts per group first


@dataclass(frozen=True)
class TaskIndex:
    group_of: dict[str, str]                 # task -> mission group
    scopes_of: dict[str, frozenset]          # task -> scopes covering it (without the office)
    titles: dict[str, tuple[str, str]]       # task -> (th, en)


@lru_cache(maxsize=8)
def _index(org: Organization) -> TaskIndex:
    group_of, scopes_of, titles = {}, {}, {}
    for mg in org.mission_groups:
        for task in mg.tasks:
            group_of[task.id] = mg.id
            scopes_of[task.id] = frozenset({task.id, mg.id, *mg.units})
            titles[task.id] = (task.title.th, task.title.en)
    return TaskIndex(group_of, scopes_of, titles)


def index(org: Organization) -> TaskIndex:
    return _index(org)


def visible(viewer: Viewer, idx: TaskIndex, task_id: str) -> bool:
    if viewer.office_wide():
        return True
    held = {a.scope for a in viewer.assignments}
    return bool(held & idx.scopes_of.get(task_id, frozenset()))


@dataclass
class GroupRow:
    id: str
    title: object
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    overdue: int = 0


def board(app: Ruam, viewer: Viewer, fiscal_year: int, group: str | None = None) -> dict:
    defs = app.active()
    org = defs.organization
    idx = index(org)
    with app.store.reading() as tx:
        rows = tx.processes(fiscal_year=fiscal_year)
    today = bangkok_date(app.now())
    _, last_day = fiscal_year_bounds(fiscal_year)
    ended = today > last_day
    finals: dict[str, set[str]] = {}

    def final(row: dict) -> bool:
        version = row["procedure_version"]
        if version not in finals:
            finals[version] = {s.id for s in app.definition(version).states if s.final}  # type: ignore[union-attr]
        return row["state"] in finals[version]

    mine = [r for r in rows if visible(viewer, idx, r["task_id"])]
    summary = len(mine) > DETAIL_LIMIT and group is None
    groups: dict[str, GroupRow] = {}
    detail: dict[str, list[dict]] = {}
    for r in mine:
        gid = idx.group_of.get(r["task_id"], "")
        r["overdue"] = ended and not final(r)
        if summary:
            g = groups.get(gid)
            if g is None:
                mg = org.mission_group(gid)
                g = groups[gid] = GroupRow(gid, mg.title if mg else gid)
            g.counts[r["state"]] = g.counts.get(r["state"], 0) + 1
            g.total += 1
            g.overdue += r["overdue"]
        elif group is None or gid == group:
            th, en = idx.titles.get(r["task_id"], (r["task_id"], r["task_id"]))
            r["task_title"], r["task_title_en"] = th, en
            detail.setdefault(gid, []).append(r)
    return {"fiscal_year": fiscal_year, "states": defs.procedure.states, "total": len(mine),
            "summary": [groups[g] for g in groups] if summary else None,
            "groups": [(org.mission_group(g), detail[g]) for g in detail], "ended": ended,
            "year_end": last_day, "today": today}


def visible_rows(app: Ruam, viewer: Viewer, fiscal_year: int) -> list[dict]:
    """The processes of a year the viewer may see, with task titles and mission group."""
    idx = index(app.active().organization)
    with app.store.reading() as tx:
        rows = tx.processes(fiscal_year=fiscal_year)
    out = []
    for r in rows:
        if visible(viewer, idx, r["task_id"]):
            r["task_title"], r["task_title_en"] = idx.titles.get(r["task_id"], (r["task_id"], r["task_id"]))
            r["mission_group"] = idx.group_of.get(r["task_id"])
            out.append(r)
    return out
