"""Reading a procedure definition: its states, transitions, evidence fields and
guards, each checked against the others (a guard's path names a field that
exists, a field's type is known). Called by ``workflow.reader``, which owns the
``Reader`` that collects problems with their lines (the ``r`` of every function
here; typed ``Any`` so this module needs no import of the reader).
"""

from __future__ import annotations

import re
from typing import Any

from workflow import yamltext
from workflow.definitions import FieldSpec, GuardSpec, LegalBasis, StateSpec, TransitionSpec
from workflow.yamltext import LineDict, LineList

FIELD_TYPES = (
    "text", "date", "doc_number", "choice", "boolean", "integer", "list", "attachment",
)
GUARD_CHECKS = (
    "min_items", "any_item", "not_future", "not_before", "covers", "unique_document_number",
    "decides_all_feedback", "not_before_fiscal_year", "number_year_matches_date",
)


def _fields(r: Any, data: Any, where: str, line: int, depth: int = 0) -> tuple[FieldSpec, ...]:
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


def _check_path(r: Any, path: Any, where: str, line: int, own: tuple[FieldSpec, ...],
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
    "not_before_fiscal_year": (("field",), ("years",)),
    "number_year_matches_date": (("field", "date_field"), ()),
}


def _guards(r: Any, data: Any, where: str, line: int, own: tuple[FieldSpec, ...],
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


def read_procedure(r: Any, m: LineDict) -> dict:
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
