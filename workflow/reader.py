"""Reading definitions: YAML text or stored content to typed, validated definitions.

A definition file is YAML with a top-level ``kind``. ``load_definition(text,
file)`` returns a frozen definition (``workflow.definitions``) whose ``version``
is the sha256 of its canonical content, or raises ``DefinitionError`` listing
every problem found with file, line and field; ``cross_check`` finds what shows
only when the documents are read together. Nothing here reads files: callers
pass text.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from workflow import yamltext
from workflow.canonical import content_hash
from workflow.definitions import (
    Calendar,
    CalendarItemSpec,
    Definition,
    MissionGroupSpec,
    MonthDay,
    Organization,
    Procedure,
    RoleSpec,
    RoundSpec,
    TaskSpec,
    Title,
    UnitSpec,
)
from workflow.errors import DefinitionError, Problem
from workflow.letterhead_reader import read_letterhead
from workflow.procedure_reader import read_procedure
from workflow.wording import Wording, read_wording
from workflow.yamltext import LineDict, LineList

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
class Reader:
    """Collects problems while turning checked YAML data into typed specs."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, where: str, text: str, line: int | None, th: str | None = None) -> None:
        self.problems.append(Problem(field=where, problem=text, file=self.file, line=line, problem_th=th))

    def mapping(self, data: Any, where: str, line: int | None) -> LineDict | None:
        if not isinstance(data, dict):
            self.problem(where, f"must be a mapping, not {_kind(data)}", line)
            return None
        return data  # type: ignore[return-value]

    def seq(self, data: Any, where: str, line: int | None, *, allow_empty: bool = False) -> LineList:
        if data is None and allow_empty:
            return LineList()
        if not isinstance(data, list):
            self.problem(where, f"must be a list, not {_kind(data)}", line)
            return LineList()
        if not data and not allow_empty:
            self.problem(where, "must not be empty", line)
        return data  # type: ignore[return-value]

    def req(self, m: LineDict, key: str, where: str) -> Any:
        if key not in m or m[key] is None:
            self.problem(f"{where}.{key}" if where else key, "is required", m.line)
            return None
        return m[key]

    def ident(self, m: LineDict, key: str, where: str) -> str:
        value = self.req(m, key, where)
        if value is None:
            return ""
        if not isinstance(value, str) or not ID_RE.match(value):
            self.problem(
                f"{where}.{key}", f"'{value}' is not an id (lower-case letters, digits, _)",
                m.line_of(key),
            )
            return str(value)
        return value

    def title(self, m: LineDict, where: str, key: str = "title", required: bool = True) -> Title:
        value = m.get(key)
        if value is None:
            if required:
                self.problem(f"{where}.{key}", "is required (with th and en)", m.line)
            return Title("", "")
        if not isinstance(value, LineDict):
            self.problem(f"{where}.{key}", "must be a mapping with th and en", m.line_of(key))
            return Title("", "")
        out = {}
        for lang in ("th", "en"):
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.problem(f"{where}.{key}.{lang}", "missing title", value.line_of(lang))
                text = ""
            out[lang] = text.strip()
        extra = set(value) - {"th", "en"}
        if extra:
            self.problem(f"{where}.{key}", f"unknown language(s) {sorted(extra)}", value.line)
        return Title(**out)

    def unknown_keys(self, m: LineDict, allowed: set[str], where: str) -> None:
        for key in m:
            if key not in allowed:
                self.problem(
                    f"{where}.{key}" if where else key,
                    f"unknown key (expected one of: {', '.join(sorted(allowed))})",
                    m.line_of(key),
                )

    def month_day(self, m: LineDict, key: str, where: str) -> MonthDay:
        value = self.req(m, key, where)
        if value is None:
            return MonthDay(1, 1)
        md = self.mapping(value, f"{where}.{key}", m.line_of(key))
        if md is None:
            return MonthDay(1, 1)
        month, day = md.get("month"), md.get("day")
        if not isinstance(month, int) or not 1 <= month <= 12:
            self.problem(f"{where}.{key}.month", "must be 1–12", md.line)
            return MonthDay(1, 1)
        days_in = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
        if day == "last":
            day = days_in
        if not isinstance(day, int) or not 1 <= day <= days_in:
            self.problem(f"{where}.{key}.day", f"must be 1–{days_in} or 'last'", md.line)
            return MonthDay(month, 1)
        return MonthDay(month, day)


def _kind(data: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", type(None): "empty"}.get(
        type(data) if type(data) in (dict, list, str, type(None)) else object,
        type(data).__name__,
    ) if not isinstance(data, (LineDict, LineList)) else (
        "a mapping" if isinstance(data, dict) else "a list"
    )


def _organization(r: Reader, m: LineDict) -> dict:
    r.unknown_keys(m, {"kind", "id", "title", "roles", "units", "mission_groups", "description", "letterhead"}, "")
    oid = r.ident(m, "id", "")
    title = r.title(m, "")
    roles, units, groups = [], [], []
    ids: dict[str, int] = {}

    def unique(kind: str, ident: str, line: int) -> None:
        if ident in ids:
            r.problem(f"{kind}.{ident}", f"id already used at line {ids[ident]}", line)
        ids[ident] = line

    raw_roles = r.seq(m.get("roles"), "roles", m.line_of("roles"))
    for i, raw in enumerate(raw_roles):
        rm = r.mapping(raw, f"roles[{i}]", raw_roles.line_of(i))
        if rm is None:
            continue
        r.unknown_keys(rm, {"id", "title", "scope", "seed"}, f"roles[{i}]")
        rid = r.ident(rm, "id", f"roles[{i}]")
        scope = rm.get("scope", "office")
        if scope not in ("office", "unit", "task"):
            r.problem(f"roles.{rid}.scope", "must be office, unit or task", rm.line_of("scope"))
        roles.append(RoleSpec(rid, r.title(rm, f"roles.{rid}"), str(scope)))
    raw_units = r.seq(m.get("units"), "units", m.line_of("units"))
    for i, raw in enumerate(raw_units):
        um = r.mapping(raw, f"units[{i}]", raw_units.line_of(i))
        if um is None:
            continue
        r.unknown_keys(um, {"id", "title", "seed"}, f"units[{i}]")
        uid = r.ident(um, "id", f"units[{i}]")
        unique("units", uid, um.line)
        units.append(UnitSpec(uid, r.title(um, f"units.{uid}")))
    unit_ids = {u.id for u in units}
    raw_groups = r.seq(m.get("mission_groups"), "mission_groups", m.line_of("mission_groups"))
    for i, raw in enumerate(raw_groups):
        gm = r.mapping(raw, f"mission_groups[{i}]", raw_groups.line_of(i))
        if gm is None:
            continue
        r.unknown_keys(gm, {"id", "title", "units", "tasks", "seed"}, f"mission_groups[{i}]")
        gid = r.ident(gm, "id", f"mission_groups[{i}]")
        unique("mission_groups", gid, gm.line)
        led_by = r.seq(gm.get("units"), f"mission_groups.{gid}.units", gm.line_of("units"))
        for u in led_by:
            if u not in unit_ids:
                r.problem(f"mission_groups.{gid}.units", f"unknown unit '{u}'", gm.line_of("units"))
        tasks = []
        raw_tasks = r.seq(gm.get("tasks"), f"mission_groups.{gid}.tasks", gm.line_of("tasks"))
        for j, traw in enumerate(raw_tasks):
            tm = r.mapping(traw, f"mission_groups.{gid}.tasks[{j}]", raw_tasks.line_of(j))
            if tm is None:
                continue
            r.unknown_keys(tm, {"id", "title", "seed"}, f"mission_groups.{gid}.tasks[{j}]")
            tid = r.ident(tm, "id", f"mission_groups.{gid}.tasks[{j}]")
            unique("tasks", tid, tm.line)
            tasks.append(TaskSpec(tid, r.title(tm, f"tasks.{tid}"), gid, str(tm.get("seed", ""))))
        groups.append(MissionGroupSpec(gid, r.title(gm, f"mission_groups.{gid}"),
                                       tuple(str(u) for u in led_by), tuple(tasks),
                                       str(gm.get("seed", ""))))
    letterhead = read_letterhead(r, m["letterhead"], m.line_of("letterhead")) if m.get("letterhead") else None
    return dict(id=oid, title=title, roles=tuple(roles), units=tuple(units),
                mission_groups=tuple(groups), letterhead=letterhead)


def _calendar(r: Reader, m: LineDict) -> dict:
    r.unknown_keys(m, {"kind", "id", "title", "timezone", "cycle_opens", "items", "description"}, "")
    cid = r.ident(m, "id", "")
    title = r.title(m, "")
    tz = m.get("timezone", "Asia/Bangkok")
    if tz != "Asia/Bangkok":
        r.problem("timezone", "only Asia/Bangkok is supported", m.line_of("timezone"))
    cycle_opens = r.month_day(m, "cycle_opens", "")
    items = []
    seen: set[str] = set()
    raw_items = r.seq(m.get("items"), "items", m.line_of("items"))
    for i, raw in enumerate(raw_items):
        im = r.mapping(raw, f"items[{i}]", raw_items.line_of(i))
        if im is None:
            continue
        r.unknown_keys(im, {"id", "kind", "title", "per", "responsible_roles", "rounds",
                            "reminder_days", "escalate_to", "required_count", "minimum_count",
                            "seed"}, f"items[{i}]")
        iid = r.ident(im, "id", f"items[{i}]")
        w = f"items.{iid}"
        if iid in seen:
            r.problem(w, "duplicate item id", im.line)
        seen.add(iid)
        kind = im.get("kind")
        if kind not in ("report", "checkpoint"):
            r.problem(f"{w}.kind", "must be report or checkpoint", im.line_of("kind"))
        per = im.get("per")
        if per not in ("task", "mission_group", "office"):
            r.problem(f"{w}.per", "must be task, mission_group or office", im.line_of("per"))
        resp = r.seq(im.get("responsible_roles"), f"{w}.responsible_roles", im.line_of("responsible_roles"))
        esc = r.seq(im.get("escalate_to"), f"{w}.escalate_to", im.line_of("escalate_to"), allow_empty=True)
        rem = r.seq(im.get("reminder_days"), f"{w}.reminder_days", im.line_of("reminder_days"), allow_empty=True)
        for d in rem:
            if not isinstance(d, int) or d < 0:
                r.problem(f"{w}.reminder_days", f"'{d}' is not a number of days ≥ 0", im.line_of("reminder_days"))
        rounds = []
        raw_rounds = r.seq(im.get("rounds"), f"{w}.rounds", im.line_of("rounds"))
        for j, rr in enumerate(raw_rounds):
            rm = r.mapping(rr, f"{w}.rounds[{j}]", raw_rounds.line_of(j))
            if rm is None:
                continue
            rid = r.ident(rm, "id", f"{w}.rounds[{j}]")
            opens = r.month_day(rm, "opens", f"{w}.rounds.{rid}")
            due = r.month_day(rm, "due", f"{w}.rounds.{rid}")
            if _fy_order(opens) > _fy_order(due):
                r.problem(f"{w}.rounds.{rid}", "opens after it is due (within the fiscal year)", rm.line)
            rounds.append(RoundSpec(rid, r.title(rm, f"{w}.rounds.{rid}"), opens, due))
        req_count, min_count = im.get("required_count"), im.get("minimum_count")
        for key, val in (("required_count", req_count), ("minimum_count", min_count)):
            if val is not None and (not isinstance(val, int) or val < 1):
                r.problem(f"{w}.{key}", "must be a whole number ≥ 1", im.line_of(key))
        if req_count is not None and min_count is not None:
            r.problem(w, "give required_count or minimum_count, not both", im.line)
        if isinstance(req_count, int) and rounds and req_count != len(rounds):
            r.problem(f"{w}.required_count", f"is {req_count} but {len(rounds)} round(s) are scheduled",
                      im.line_of("required_count"))
        if isinstance(min_count, int) and rounds and len(rounds) < min_count:
            r.problem(f"{w}.minimum_count", f"is {min_count} but only {len(rounds)} round(s) are scheduled",
                      im.line_of("minimum_count"))
        items.append(CalendarItemSpec(
            iid, str(kind), r.title(im, w), str(per), tuple(str(x) for x in resp), tuple(rounds),
            tuple(d for d in rem if isinstance(d, int)), tuple(str(x) for x in esc),
            req_count if isinstance(req_count, int) else None,
            min_count if isinstance(min_count, int) else None, str(im.get("seed", "")),
        ))
    return dict(id=cid, title=title, timezone=str(tz), cycle_opens=cycle_opens, items=tuple(items))


def _fy_order(md: MonthDay) -> tuple[int, int]:
    """Order of a month/day within a fiscal year that starts in October."""
    return ((md.month - 10) % 12, md.day)


_BUILDERS = {"procedure": (read_procedure, Procedure), "organization": (_organization, Organization),
             "calendar": (_calendar, Calendar), "documents": (read_wording, Wording)}


def parse_yaml(text: str, file: str | None = None) -> Any:
    """A document's YAML with line numbers; bad YAML is a DefinitionError naming its line."""
    try:
        return yamltext.parse(text)
    except yamltext.YamlSyntaxError as exc:
        raise DefinitionError([Problem("(yaml)", f"not valid YAML: {exc.problem}", file, exc.line,
                                       f"YAML ไม่ถูกต้อง: {exc.problem_th or exc.problem}")]) from None


def load_definition(text: str, file: str | None = None) -> Definition:
    """Parse and validate one definition document (all problems at once)."""
    return _load_definition(text, file)


@functools.lru_cache(maxsize=32)
def _load_definition(text: str, file: str | None) -> Definition:
    # the same text read again (the shipped documents at every init) is parsed once a process;
    # a definition is frozen, and a text with problems raises each time (nothing kept)
    return _build_definition(Reader(file), parse_yaml(text, file))


def _build_definition(r: Reader, data: Any) -> Definition:
    m = r.mapping(data, "(document)", 1)
    if m is None:
        raise DefinitionError(r.problems)
    kind = m.get("kind")
    if kind not in _BUILDERS:
        r.problem("kind", f"must be one of {', '.join(_BUILDERS)}, not '{kind}'", m.line_of("kind"))
        raise DefinitionError(r.problems)
    build, cls = _BUILDERS[kind]
    parts = build(r, m)
    if r.problems:
        raise DefinitionError(r.problems)
    content = yamltext.plain(m)
    return cls(**parts, version=content_hash(content), content=content)


def from_content(content: dict) -> Definition:
    """Rebuild a definition from stored canonical content (as registered), without a YAML parse."""
    return _build_definition(Reader(None), yamltext.tracked(content))


def cross_check(procedure: Procedure, organization: Organization,
                calendar: Calendar | None = None) -> list[Problem]:
    """Problems that show only when the documents are read together."""
    problems = []
    role_ids = {r.id for r in organization.roles} | {"system"}
    for t in procedure.transitions:
        for role in t.roles:
            if role not in role_ids:
                problems.append(Problem(f"transitions.{t.trigger}.roles",
                                        f"unknown role '{role}' (not in organization {organization.id})"))
    if calendar is not None:
        for item in calendar.items:
            for role in (*item.responsible_roles, *item.escalate_to):
                if role not in role_ids:
                    problems.append(Problem(f"items.{item.id}",
                                            f"unknown role '{role}' (not in organization {organization.id})"))
    return problems
