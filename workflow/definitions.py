"""Typed definitions — procedure, organization, calendar — and their validation.

A definition file is YAML with a top-level ``kind``. ``load_definition(text,
file)`` returns a frozen definition whose ``version`` is the sha256 of its
canonical content, or raises ``DefinitionError`` listing every problem found
with file, line and field. Nothing here reads files: callers pass text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from workflow import yamltext
from workflow.canonical import content_hash
from workflow.errors import DefinitionError, Problem
from workflow.yamltext import LineDict, LineList

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
FIELD_TYPES = (
    "text", "date", "doc_number", "choice", "boolean", "integer", "list", "attachment",
)
GUARD_CHECKS = (
    "min_items", "any_item", "not_future", "not_before", "covers", "unique_document_number",
    "decides_all_feedback",
)


@dataclass(frozen=True)
class Title:
    th: str
    en: str

    def get(self, lang: str = "th") -> str:
        return self.th if lang == "th" else self.en


@dataclass(frozen=True)
class FieldSpec:
    id: str
    type: str
    title: Title
    required: bool = False
    options: tuple[str, ...] = ()
    option_titles: dict = field(default_factory=dict, compare=False, hash=False)
    fields: tuple[FieldSpec, ...] = ()
    min_items: int = 0
    help: Title | None = None


@dataclass(frozen=True)
class GuardSpec:
    check: str
    params: dict
    message: Title | None = None


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: tuple[str, ...]
    title: Title
    evidence: tuple[FieldSpec, ...] = ()
    guards: tuple[GuardSpec, ...] = ()
    kind: str = "advance"  # advance | send_back | cancel


@dataclass(frozen=True)
class StateSpec:
    id: str
    title: Title
    final: bool = False
    seed: str = ""


@dataclass(frozen=True)
class LegalBasis:
    id: str
    title: Title


@dataclass(frozen=True)
class Procedure:
    id: str
    title: Title
    initial: str
    states: tuple[StateSpec, ...]
    transitions: tuple[TransitionSpec, ...]
    legal_basis: tuple[LegalBasis, ...]
    version: str
    content: dict = field(compare=False, hash=False, repr=False)

    kind = "procedure"

    def state(self, state_id: str) -> StateSpec:
        return next(s for s in self.states if s.id == state_id)

    @cached_property
    def _by_source(self) -> dict[str, list[TransitionSpec]]:
        index: dict[str, list[TransitionSpec]] = {}
        for t in self.transitions:
            for source in t.sources:
                index.setdefault(source, []).append(t)
        return index

    @cached_property
    def _by_trigger_source(self) -> dict[tuple[str, str], TransitionSpec]:
        return {(t.trigger, s): t for s, ts in self._by_source.items() for t in reversed(ts)}

    @cached_property
    def _triggers(self) -> frozenset[str]:
        return frozenset(t.trigger for t in self.transitions)

    def transitions_from(self, state: str) -> list[TransitionSpec]:
        return list(self._by_source.get(state, ()))

    def transition(self, trigger: str, state: str) -> TransitionSpec | None:
        return self._by_trigger_source.get((trigger, state))

    def triggers(self) -> frozenset[str]:
        return self._triggers

    def trigger_title(self, trigger: str) -> Title:
        return next(t.title for t in self.transitions if t.trigger == trigger)


@dataclass(frozen=True)
class RoleSpec:
    id: str
    title: Title
    scope: str  # office | unit | task


@dataclass(frozen=True)
class UnitSpec:
    id: str
    title: Title


@dataclass(frozen=True)
class TaskSpec:
    id: str
    title: Title
    mission_group: str
    seed: str = ""


@dataclass(frozen=True)
class MissionGroupSpec:
    id: str
    title: Title
    units: tuple[str, ...]
    tasks: tuple[TaskSpec, ...]
    seed: str = ""


@dataclass(frozen=True)
class Organization:
    id: str
    title: Title
    roles: tuple[RoleSpec, ...]
    units: tuple[UnitSpec, ...]
    mission_groups: tuple[MissionGroupSpec, ...]
    version: str
    content: dict = field(compare=False, hash=False, repr=False)

    kind = "organization"

    @cached_property
    def tasks(self) -> tuple[TaskSpec, ...]:
        return tuple(t for g in self.mission_groups for t in g.tasks)

    @cached_property
    def _task_index(self) -> dict[str, TaskSpec]:
        return {t.id: t for t in self.tasks}

    def task(self, task_id: str) -> TaskSpec | None:
        return self._task_index.get(task_id)

    @cached_property
    def _group_index(self) -> dict[str, MissionGroupSpec]:
        return {g.id: g for g in self.mission_groups}

    def mission_group(self, group_id: str) -> MissionGroupSpec | None:
        return self._group_index.get(group_id)

    def role(self, role_id: str) -> RoleSpec | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def unit(self, unit_id: str) -> UnitSpec | None:
        return next((u for u in self.units if u.id == unit_id), None)

    def scopes_covering(self, task_id: str) -> set[str | None]:
        """Assignment scopes that include a task: the office (None), the task,
        its mission group, and each unit leading that mission group."""
        found = self._scopes.get(task_id)
        if found is None:
            task = self.task(task_id)
            if task is None:
                return {None}
            group = self.mission_group(task.mission_group)
            found = self._scopes[task_id] = frozenset(
                {None, task_id, task.mission_group, *(group.units if group else ())})
        return set(found)

    @cached_property
    def _scopes(self) -> dict[str, frozenset[str | None]]:
        return {}

    def scope_ids(self) -> set[str]:
        return {t.id for t in self.tasks} | {g.id for g in self.mission_groups} | {
            u.id for u in self.units
        }


@dataclass(frozen=True)
class MonthDay:
    month: int
    day: int


@dataclass(frozen=True)
class RoundSpec:
    id: str
    title: Title
    opens: MonthDay
    due: MonthDay


@dataclass(frozen=True)
class CalendarItemSpec:
    id: str
    kind: str  # report | checkpoint
    title: Title
    per: str  # task | mission_group | office
    responsible_roles: tuple[str, ...]
    rounds: tuple[RoundSpec, ...]
    reminder_days: tuple[int, ...]
    escalate_to: tuple[str, ...]
    required_count: int | None = None
    minimum_count: int | None = None
    seed: str = ""


@dataclass(frozen=True)
class Calendar:
    id: str
    title: Title
    timezone: str
    cycle_opens: MonthDay
    items: tuple[CalendarItemSpec, ...]
    version: str
    content: dict = field(compare=False, hash=False, repr=False)

    kind = "calendar"

    def item(self, item_id: str) -> CalendarItemSpec | None:
        return next((i for i in self.items if i.id == item_id), None)


Definition = Procedure | Organization | Calendar


# --------------------------------------------------------------------------- parsing


class _Reader:
    """Collects problems while turning checked YAML data into typed specs."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, where: str, text: str, line: int | None) -> None:
        self.problems.append(Problem(field=where, problem=text, file=self.file, line=line))

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


def _fields(r: _Reader, data: Any, where: str, line: int, depth: int = 0) -> tuple[FieldSpec, ...]:
    out: list[FieldSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(r.seq(data, where, line, allow_empty=True)):
        w = f"{where}[{i}]"
        m = r.mapping(raw, w, getattr(data, "line_of", lambda _i: line)(i))
        if m is None:
            continue
        r.unknown_keys(
            m, {"id", "type", "title", "required", "options", "fields", "min_items", "help"}, w
        )
        fid = r.ident(m, "id", w)
        w = f"{where}.{fid}" if fid else w
        if fid in seen:
            r.problem(w, "duplicate field id", m.line)
        seen.add(fid)
        ftype = r.req(m, "type", w)
        if ftype is not None and ftype not in FIELD_TYPES:
            r.problem(f"{w}.type", f"unknown evidence type '{ftype}' (known: {', '.join(FIELD_TYPES)})",
                      m.line_of("type"))
        title = r.title(m, w)
        required = m.get("required", False)
        if not isinstance(required, bool):
            r.problem(f"{w}.required", "must be true or false", m.line_of("required"))
            required = False
        options: tuple[str, ...] = ()
        option_titles: dict = {}
        if ftype == "choice":
            raw_opts = r.seq(m.get("options"), f"{w}.options", m.line_of("options"))
            for j, opt in enumerate(raw_opts):
                om = r.mapping(opt, f"{w}.options[{j}]", raw_opts.line_of(j) if raw_opts else m.line)
                if om is None:
                    continue
                oid = r.ident(om, "id", f"{w}.options[{j}]")
                options += (oid,)
                option_titles[oid] = r.title(om, f"{w}.options.{oid}")
        elif "options" in m:
            r.problem(f"{w}.options", "only a choice field has options", m.line_of("options"))
        sub: tuple[FieldSpec, ...] = ()
        if ftype == "list":
            if depth >= 1:
                r.problem(f"{w}.type", "lists inside lists are not supported", m.line_of("type"))
            else:
                sub = _fields(r, m.get("fields"), f"{w}.fields", m.line_of("fields"), depth + 1)
                if not sub:
                    r.problem(f"{w}.fields", "a list field needs item fields", m.line)
        elif "fields" in m:
            r.problem(f"{w}.fields", "only a list field has item fields", m.line_of("fields"))
        min_items = m.get("min_items", 0)
        if not isinstance(min_items, int) or min_items < 0:
            r.problem(f"{w}.min_items", "must be a whole number ≥ 0", m.line_of("min_items"))
            min_items = 0
        help_title = r.title(m, w, "help", required=False) if "help" in m else None
        out.append(FieldSpec(fid, str(ftype), title, required, options, option_titles, sub,
                             min_items, help_title))
    return tuple(out)


_PATH_RE = re.compile(r"^(?:([a-z][a-z0-9_]*)\.)?([a-z][a-z0-9_]*)(?:\[\]\.([a-z][a-z0-9_]*))?$")


def _check_path(r: _Reader, path: Any, where: str, line: int, own: tuple[FieldSpec, ...],
                by_trigger: dict[str, tuple[FieldSpec, ...]], allow_ref: bool) -> None:
    """A guard's field path: ``field``, ``field[].sub``, or ``trigger.field[].sub``."""
    match = _PATH_RE.match(path) if isinstance(path, str) else None
    if match is None:
        r.problem(where, f"'{path}' is not a field path (field, field[].sub, trigger.field)", line)
        return
    trig, name, sub = match.groups()
    if trig and not allow_ref:
        r.problem(where, f"'{path}' must name a field of this step's evidence", line)
        return
    fields = own
    if trig:
        if trig not in by_trigger:
            r.problem(where, f"'{path}' names unknown trigger '{trig}'", line)
            return
        fields = by_trigger[trig]
    spec = next((f for f in fields if f.id == name), None)
    if spec is None:
        r.problem(where, f"'{path}': no evidence field '{name}'", line)
        return
    if sub and not any(f.id == sub for f in spec.fields):
        r.problem(where, f"'{path}': list '{name}' has no item field '{sub}'", line)


_GUARD_PARAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # check: (required params, optional params)
    "min_items": (("field", "count"), ()),
    "any_item": (("field", "where"), ()),
    "not_future": (("field",), ()),
    "not_before": (("field", "ref"), ()),
    "covers": (("field", "ref"), ()),
    "unique_document_number": (("field", "date_field", "document_kind"), ()),
    "decides_all_feedback": (("field",), ()),
}


def _guards(r: _Reader, data: Any, where: str, line: int, own: tuple[FieldSpec, ...],
            by_trigger: dict[str, tuple[FieldSpec, ...]]) -> tuple[GuardSpec, ...]:
    out = []
    for i, raw in enumerate(r.seq(data, where, line, allow_empty=True)):
        w = f"{where}[{i}]"
        m = r.mapping(raw, w, data.line_of(i) if isinstance(data, LineList) else line)
        if m is None:
            continue
        check = r.req(m, "check", w)
        if check not in _GUARD_PARAMS:
            if check is not None:
                r.problem(f"{w}.check", f"unknown check '{check}' (known: {', '.join(GUARD_CHECKS)})",
                          m.line_of("check"))
            continue
        required, optional = _GUARD_PARAMS[check]
        r.unknown_keys(m, {"check", "message", *required, *optional}, w)
        params = {}
        for key in required:
            if key not in m:
                r.problem(f"{w}.{key}", f"check '{check}' needs '{key}'", m.line)
                continue
            params[key] = yamltext.plain(m[key])
        for key in ("field", "date_field"):
            if key in params:
                _check_path(r, params[key], f"{w}.{key}", m.line_of(key), own, by_trigger, False)
        if "ref" in params:
            _check_path(r, params["ref"], f"{w}.ref", m.line_of("ref"), own, by_trigger, True)
        if check == "min_items" and not (isinstance(params.get("count"), int) and params["count"] >= 1):
            r.problem(f"{w}.count", "must be a whole number ≥ 1", m.line_of("count"))
        if check == "any_item" and not isinstance(params.get("where"), dict):
            r.problem(f"{w}.where", "must be a mapping of item field to value", m.line_of("where"))
        message = r.title(m, w, "message", required=False) if "message" in m else None
        out.append(GuardSpec(check, params, message))
    return tuple(out)


def _procedure(r: _Reader, m: LineDict) -> dict:
    r.unknown_keys(m, {"kind", "id", "title", "legal_basis", "initial", "states", "transitions",
                       "description"}, "")
    pid = r.ident(m, "id", "")
    title = r.title(m, "")
    legal = []
    for i, raw in enumerate(r.seq(m.get("legal_basis"), "legal_basis", m.line_of("legal_basis"))):
        lm = r.mapping(raw, f"legal_basis[{i}]", m.line)
        if lm is not None:
            lid = r.ident(lm, "id", f"legal_basis[{i}]")
            legal.append(LegalBasis(lid, r.title(lm, f"legal_basis.{lid}")))
    states: list[StateSpec] = []
    seen_states: set[str] = set()
    raw_states = r.seq(m.get("states"), "states", m.line_of("states"))
    for i, raw in enumerate(raw_states):
        sm = r.mapping(raw, f"states[{i}]", raw_states.line_of(i))
        if sm is None:
            continue
        r.unknown_keys(sm, {"id", "title", "final", "seed"}, f"states[{i}]")
        sid = r.ident(sm, "id", f"states[{i}]")
        if sid in seen_states:
            r.problem(f"states.{sid}", "duplicate state", sm.line)
        seen_states.add(sid)
        final = sm.get("final", False)
        if not isinstance(final, bool):
            r.problem(f"states.{sid}.final", "must be true or false", sm.line_of("final"))
            final = False
        states.append(StateSpec(sid, r.title(sm, f"states.{sid}"), final, str(sm.get("seed", ""))))
    initial = r.ident(m, "initial", "")
    if initial and seen_states and initial not in seen_states:
        r.problem("initial", f"unknown state '{initial}'", m.line_of("initial"))

    transitions: list[TransitionSpec] = []
    by_trigger: dict[str, tuple[FieldSpec, ...]] = {}
    pending_guards = []
    seen_pairs: dict[tuple[str, str], int] = {}
    raw_ts = r.seq(m.get("transitions"), "transitions", m.line_of("transitions"))
    for i, raw in enumerate(raw_ts):
        w0 = f"transitions[{i}]"
        tm = r.mapping(raw, w0, raw_ts.line_of(i))
        if tm is None:
            continue
        r.unknown_keys(tm, {"trigger", "from", "to", "roles", "title", "evidence", "guards", "kind"}, w0)
        trig = r.ident(tm, "trigger", w0)
        w = f"transitions.{trig}" if trig else w0
        src_raw = r.req(tm, "from", w)
        sources = tuple(src_raw) if isinstance(src_raw, list) else ((src_raw,) if src_raw else ())
        for s in sources:
            if seen_states and s not in seen_states:
                r.problem(f"{w}.from", f"unknown state '{s}'", tm.line_of("from"))
            key = (str(s), trig)
            if key in seen_pairs:
                r.problem(w, f"duplicate trigger '{trig}' from state '{s}' "
                             f"(also at line {seen_pairs[key]})", tm.line)
            seen_pairs[key] = tm.line
        dest = r.req(tm, "to", w)
        if dest is not None and seen_states and dest not in seen_states:
            r.problem(f"{w}.to", f"unknown state '{dest}'", tm.line_of("to"))
        roles_raw = r.seq(tm.get("roles"), f"{w}.roles", tm.line_of("roles"))
        kind = tm.get("kind", "advance")
        if kind not in ("advance", "send_back", "cancel"):
            r.problem(f"{w}.kind", "must be advance, send_back or cancel", tm.line_of("kind"))
        evidence = _fields(r, tm.get("evidence"), f"{w}.evidence", tm.line_of("evidence"))
        if trig in by_trigger and trig:
            # The same trigger from other states must ask for the same evidence.
            if by_trigger[trig] != evidence:
                r.problem(f"{w}.evidence", f"trigger '{trig}' asks for different evidence elsewhere",
                          tm.line_of("evidence"))
        by_trigger.setdefault(trig, evidence)
        pending_guards.append((len(transitions), tm, w, evidence))
        transitions.append(TransitionSpec(
            trig, tuple(str(s) for s in sources), str(dest or ""),
            tuple(str(x) for x in roles_raw), r.title(tm, w), evidence, (), str(kind),
        ))
    for index, tm, w, evidence in pending_guards:
        guards = _guards(r, tm.get("guards"), f"{w}.guards", tm.line_of("guards"), evidence, by_trigger)
        t = transitions[index]
        transitions[index] = TransitionSpec(t.trigger, t.sources, t.dest, t.roles, t.title,
                                            t.evidence, guards, t.kind)
    # final states have no way out; every state is reachable from the initial one
    finals = {s.id for s in states if s.final}
    for t in transitions:
        for s in t.sources:
            if s in finals:
                r.problem(f"transitions.{t.trigger}.from", f"'{s}' is final: nothing leaves it",
                          m.line_of("transitions"))
    if initial in seen_states:
        reach, frontier = {initial}, [initial]
        while frontier:
            cur = frontier.pop()
            for t in transitions:
                if cur in t.sources and t.dest and t.dest not in reach:
                    reach.add(t.dest)
                    frontier.append(t.dest)
        for s in states:
            if s.id not in reach:
                r.problem(f"states.{s.id}", f"unreachable from the initial state '{initial}'",
                          raw_states.line)
        for s in states:
            if not s.final and not any(s.id in t.sources for t in transitions):
                r.problem(f"states.{s.id}", "not final, but no transition leaves it", raw_states.line)
    if not finals and states:
        r.problem("states", "at least one state must be final", m.line_of("states"))
    return dict(id=pid, title=title, initial=initial, states=tuple(states),
                transitions=tuple(transitions), legal_basis=tuple(legal))


def _organization(r: _Reader, m: LineDict) -> dict:
    r.unknown_keys(m, {"kind", "id", "title", "roles", "units", "mission_groups", "description"}, "")
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
    return dict(id=oid, title=title, roles=tuple(roles), units=tuple(units),
                mission_groups=tuple(groups))


def _calendar(r: _Reader, m: LineDict) -> dict:
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


_BUILDERS = {"procedure": (_procedure, Procedure), "organization": (_organization, Organization),
             "calendar": (_calendar, Calendar)}


def load_definition(text: str, file: str | None = None) -> Definition:
    """Parse and validate one definition document (all problems at once)."""
    r = _Reader(file)
    try:
        data = yamltext.parse(text)
    except yamltext.YamlSyntaxError as exc:
        raise DefinitionError([Problem("(yaml)", f"not valid YAML: {exc.problem}", file, exc.line,
                                       f"YAML ไม่ถูกต้อง: {exc.problem_th or exc.problem}")]) from None
    return _build_definition(r, data)


def _build_definition(r: _Reader, data: Any) -> Definition:
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
    return _build_definition(_Reader(None), yamltext.tracked(content))


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
