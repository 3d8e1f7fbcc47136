"""The fiscal-year board: every task × state for what a viewer may see, built
in one read with dictionaries, so it stays fast with tens of thousands of
processes (one per school). ``Ruam.processes`` looks each task up by a linear
scan of the organization, which is fine for one office but not for 30,000."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.accounts import Viewer
from engine.app import Ruam
from storage.views import process_states
from workflow.definitions import Organization
from workflow.fiscal import bangkok_date, fiscal_year_bounds

DETAIL_LIMIT = 300   # above this many visible processes, the board shows counts per group first


@dataclass(frozen=True)
class TaskIndex:
    group_of: dict[str, str]                 # task -> mission group
    scopes_of: dict[str, frozenset]          # task -> scopes covering it (without the office)
    titles: dict[str, tuple[str, str]]       # task -> (th, en)


_INDEXES: dict[str, TaskIndex] = {}
_SUMMARIES: dict[tuple, tuple[int, dict]] = {}   # per ledger head: counts per group and state


def _index(org: Organization) -> TaskIndex:
    group_of, scopes_of, titles = {}, {}, {}
    for mg in org.mission_groups:
        for task in mg.tasks:
            group_of[task.id] = mg.id
            scopes_of[task.id] = frozenset({task.id, mg.id, *mg.units})
            titles[task.id] = (task.title.th, task.title.en)
    return TaskIndex(group_of, scopes_of, titles)


def index(org: Organization) -> TaskIndex:
    """Cached by the organization's version (hashing the frozen definition itself
    walks every task, which costs more than the board)."""
    found = _INDEXES.get(org.version)
    if found is None:
        if len(_INDEXES) > 8:
            _INDEXES.clear()
        found = _INDEXES[org.version] = _index(org)
    return found


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
    today = bangkok_date(app.now())
    _, last_day = fiscal_year_bounds(fiscal_year)
    ended = today > last_day
    finals: dict[str, set[str]] = {}

    def final(version: str, state: str) -> bool:
        if version not in finals:
            finals[version] = {s.id for s in app.definition(version).states if s.final}  # type: ignore[union-attr]
        return state in finals[version]

    sight = "office" if viewer.office_wide() else frozenset(a.scope for a in viewer.assignments)
    with app.store.reading() as tx:
        # The board changes only when the ledger does: the head names the version of everything.
        key = (app.store.url, fiscal_year, tx.head()[0], org.version, sight, ended)
        cached = _SUMMARIES.get(key) if group is None else None
        if cached is not None:
            mine_count, groups = cached
            return {"fiscal_year": fiscal_year, "states": defs.procedure.states, "total": mine_count,
                    "summary": list(groups.values()), "groups": [], "ended": ended,
                    "year_end": last_day, "today": today}
        states = process_states(tx, fiscal_year)
        mine = [r for r in states if visible(viewer, idx, r[0])]
        summary = len(mine) > DETAIL_LIMIT and group is None
        rows: list[dict] = []
        if not summary:
            tasks = [r[0] for r in mine if group is None or idx.group_of.get(r[0]) == group]
            rows = tx.processes(fiscal_year=fiscal_year, tasks=tasks) if tasks else []
    groups: dict[str, GroupRow] = {}
    if summary:
        for task_id, state, version in mine:
            gid = idx.group_of.get(task_id, "")
            g = groups.get(gid)
            if g is None:
                mg = org.mission_group(gid)
                g = groups[gid] = GroupRow(gid, mg.title if mg else gid)
            g.counts[state] = g.counts.get(state, 0) + 1
            g.total += 1
            g.overdue += ended and not final(version, state)
        if len(_SUMMARIES) > 64:
            _SUMMARIES.clear()
        _SUMMARIES[key] = (len(mine), groups)
    detail: dict[str, list[dict]] = {}
    for r in rows:
        gid = idx.group_of.get(r["task_id"], "")
        r["overdue"] = ended and not final(r["procedure_version"], r["state"])
        r["task_title"], r["task_title_en"] = idx.titles.get(r["task_id"], (r["task_id"], r["task_id"]))
        detail.setdefault(gid, []).append(r)
    return {"fiscal_year": fiscal_year, "states": defs.procedure.states, "total": len(mine),
            "summary": list(groups.values()) if summary else None,
            "groups": [(org.mission_group(g), detail[g]) for g in detail], "ended": ended,
            "year_end": last_day, "today": today}


def visible_rows(app: Ruam, viewer: Viewer, fiscal_year: int) -> list[dict]:
    """The processes of a year the viewer may see, with task titles and mission group."""
    idx = index(app.active().organization)
    with app.store.reading() as tx:
        tasks = [r[0] for r in process_states(tx, fiscal_year) if visible(viewer, idx, r[0])]
        rows = tx.processes(fiscal_year=fiscal_year, tasks=tasks) if tasks else []
    for r in rows:
        r["task_title"], r["task_title_en"] = idx.titles.get(r["task_id"], (r["task_id"], r["task_id"]))
        r["mission_group"] = idx.group_of.get(r["task_id"])
    return rows
