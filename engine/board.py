"""The fiscal-year board: every task × state for what a viewer may see, built
in one read with dictionaries, so it stays fast with tens of thousands of
processes (one per school). ``Ruam.processes`` looks each task up by a linear
scan of the organization, which is fine for one office but not for 30,000."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from engine.accounts import Viewer
from engine.app import Definitions, Ruam
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
CATCH_UP_LIMIT = 5_000   # ledger records behind the cached summary beyond which it is counted afresh


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


@dataclass(frozen=True)
class Summary:
    """Counts per group and state of what one sight sees in a fiscal year, as of ledger ``seq``,
    and each visible task's (state, procedure version), so that a later record moves one count."""
    seq: int
    states: dict[str, tuple[str, str]]
    groups: dict[str, GroupRow]


_SUMMARIES: dict[tuple, Summary] = {}   # per (database, year, organization, sight, year ended)
_CATCHING_UP = threading.Lock()


def board(app: Ruam, viewer: Viewer, fiscal_year: int, group: str | None = None,
          defs: Definitions | None = None) -> dict:
    """``defs``: the active definitions if the caller holds them (the web keeps them a few seconds)."""
    defs = defs or app.active()
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

    def summary_page(found: Summary) -> dict:
        return {"fiscal_year": fiscal_year, "states": defs.procedure.states, "total": len(found.states),
                "summary": list(found.groups.values()), "groups": [], "ended": ended,
                "year_end": last_day, "today": today}

    with app.store.reading() as tx:
        # The board changes only when the ledger does (the projection moves with it, in
        # the same transaction): a cached summary is brought up to the head by re-reading
        # only the processes that records after its sequence number name.
        key = (app.store.url, fiscal_year, org.version, sight, ended)
        head = tx.head()[0]
        cached = _SUMMARIES.get(key) if group is None else None
        if cached is not None and cached.seq == head:
            return summary_page(cached)
        if cached is not None and 0 <= head - cached.seq <= CATCH_UP_LIMIT:
            with _CATCHING_UP:  # one catch-up at a time moves the (shared) per-task states
                cached = _SUMMARIES.get(key, cached)
                if cached.seq < head:
                    cached = _catch_up(tx, cached, head, fiscal_year, viewer, idx, org, ended, final)
                    _SUMMARIES[key] = cached
            return summary_page(cached)
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
        _remember(key, Summary(head, {t: (st, v) for t, st, v in mine}, groups))
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


def _remember(key: tuple, found: Summary) -> None:
    with _CATCHING_UP:
        current = _SUMMARIES.get(key)
        if current is not None and current.seq >= found.seq:
            return  # another request brought it further meanwhile
        if len(_SUMMARIES) > 64:
            _SUMMARIES.clear()
        _SUMMARIES[key] = found


def _catch_up(tx, cached: Summary, head: int, fiscal_year: int, viewer: Viewer, idx: TaskIndex,
              org: Organization, ended: bool, final) -> Summary | None:
    """The cached summary moved to ``head``: the processes named by the records after its
    sequence number are read again from the projection (their current rows, so reading a
    little past ``head`` under READ COMMITTED only makes it newer, never wrong) and each
    moves its one count. Under ``_CATCHING_UP``: the per-task states move in place (pages
    being rendered use only their number); the groups that change are copies."""
    prefix = f"{fiscal_year}/"
    # with its LIMIT the (prepared, generic) plan walks the sequence index from cached.seq
    touched = {r.process[len(prefix):] for r in tx.records(after_seq=cached.seq, limit=head - cached.seq)
               if r.process and r.process.startswith(prefix)}
    if not touched:
        return Summary(head, cached.states, cached.groups)
    rows = tx.processes(fiscal_year=fiscal_year, tasks=sorted(touched))
    states, groups, copied = cached.states, dict(cached.groups), set()
    for row in rows:
        task_id = row["task_id"]
        if not visible(viewer, idx, task_id):
            continue
        gid = idx.group_of.get(task_id, "")
        g = groups.get(gid)
        if g is None:
            mg = org.mission_group(gid)
            g = groups[gid] = GroupRow(gid, mg.title if mg else gid)
            copied.add(gid)
        elif gid not in copied:
            g = groups[gid] = GroupRow(g.id, g.title, dict(g.counts), g.total, g.overdue)
            copied.add(gid)
        before = states.get(task_id)
        if before is not None:
            g.counts[before[0]] -= 1
            if not g.counts[before[0]]:
                del g.counts[before[0]]
            g.total -= 1
            g.overdue -= ended and not final(before[1], before[0])
        state, version = row["state"], row["procedure_version"]
        states[task_id] = (state, version)
        g.counts[state] = g.counts.get(state, 0) + 1
        g.total += 1
        g.overdue += ended and not final(version, state)
    return Summary(head, states, groups)


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


# ---------------------------------------------------------------------------- the calendar, per viewer
DUE_SOON_DAYS = 30


def sees_calendar_item(viewer: Viewer, org: Organization, idx: TaskIndex, per: str, subject: str) -> bool:
    """Office-wide roles see every item; others the items of the tasks and groups their roles cover
    (a group's checkpoint also to the people of its tasks); an office item only to office-wide roles."""
    if viewer.office_wide():
        return True
    held = {a.scope for a in viewer.assignments}
    if per == "task":
        return bool(held & idx.scopes_of.get(subject, frozenset()))
    if per == "mission_group":
        group = org.mission_group(subject)
        if group is None:
            return False
        return bool(held & {subject, *group.units}) or any(t.id in held for t in group.tasks)
    return False


def calendar_for(app: Ruam, viewer: Viewer, fiscal_year: int | None = None, overdue_only: bool = False,
                 lang: str = "th") -> dict:
    """``calendar_view`` narrowed to what the viewer's roles cover; each item says whether the
    viewer may close it now (``can_act``; the engine re-checks when they do) and whether it waits
    for them (named responsible or escalated to, or able to act, and not closed)."""
    from engine.calendar_items import calendar_view
    from workflow.authority import acting_role
    from workflow.calendar import schedule as wc

    view = calendar_view(app, fiscal_year, overdue_only, lang)
    org = app.active().organization
    idx = index(org)
    now = app.now()
    today = bangkok_date(now)
    items = []
    for item in view["items"]:
        if not sees_calendar_item(viewer, org, idx, item["per"], item["subject"]):
            continue
        named = {x["person"] for x in item["responsible"]} | {x["person"] for x in item["escalated_to"]}
        closable = item["status"] in ("open", "overdue")
        scopes = wc.subject_scopes(org, item["per"], item["subject"])
        item["can_act"] = closable and acting_role(viewer.assignments, viewer.id, tuple(item["responsible_roles"]),
                                                   scopes, now) is not None
        item["mine"] = closable and (viewer.id in named or item["can_act"])
        item["days_left"] = (item["due_on"] - today).days
        items.append(item)
    counts: dict[str, int] = {}
    for i in items:
        counts[i["status"]] = counts.get(i["status"], 0) + 1
    return view | {"items": items, "counts": counts}


def my_calendar(app: Ruam, viewer: Viewer, within_days: int = DUE_SOON_DAYS, lang: str = "th") -> list[dict]:
    """Open items waiting for the viewer: overdue ones, and those due within ``within_days``."""
    items = calendar_for(app, viewer, lang=lang)["items"]
    return [i for i in items if i["mine"] and (i["status"] == "overdue" or i["days_left"] <= within_days)]


def overdue_by_task(app: Ruam, viewer: Viewer, fiscal_year: int, lang: str = "th") -> dict[str, list[dict]]:
    """Overdue calendar items for each task: its own, and its group's checkpoints."""
    org = app.active().organization
    out: dict[str, list[dict]] = {}
    for item in calendar_for(app, viewer, fiscal_year, True, lang)["items"]:
        if item["per"] == "task":
            out.setdefault(item["subject"], []).append(item)
        elif item["per"] == "mission_group":
            group = org.mission_group(item["subject"])
            for task in group.tasks if group else ():
                out.setdefault(task.id, []).append(item)
    return out
