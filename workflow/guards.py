"""Guards: checks on evidence that a step's definition names by ``check``.

Each check gets its parameters from the definition, the normalized evidence,
and a ``GuardContext`` the engine fills in (pure data plus look-ups it injects).
It returns the problems it finds; the machine refuses the step on any.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.definitions import GuardSpec
from workflow.errors import Problem
from workflow.evidence import normalize_doc_number
from workflow.fiscal import bangkok_date, fiscal_year_bounds, format_date_be, to_arabic_digits
from workflow.ledger import Record


def history_refs(guards) -> set[str]:
    """The triggers whose latest evidence these guards compare against (``ref: TRIGGER.field``)."""
    return {g.params["ref"].split(".", 1)[0] for g in guards
            if g.check in ("not_before", "covers") and "." in g.params["ref"].split("[", 1)[0]}


def decides_feedback(guards) -> bool:
    """Whether these guards ask that every received opinion be decided."""
    return any(g.check == "decides_all_feedback" for g in guards)


def trigger_reads_feedback(transitions, trigger: str) -> bool:
    """Whether some transition of ``trigger`` reads the process's open opinions (known before
    the process's state is: the step reads them with its row)."""
    return decides_feedback([g for t in transitions if t.trigger == trigger for g in t.guards])


def latest_evidence(bodies: list[str], wanted: set[str]) -> dict[str, dict]:
    """For each wanted trigger, the evidence of its latest firing (what guards compare
    against). Reads the process's stored record texts newest first and parses only
    those that can be a wanted step (canonical text names its trigger verbatim)."""
    history: dict[str, dict] = {}
    needles = {t: f'"trigger":"{t}"' for t in wanted}
    for body in reversed(bodies):
        if len(history) == len(needles):
            break
        candidates = [t for t, needle in needles.items() if t not in history and needle in body]
        if not candidates:
            continue
        rec = Record.from_text(body)
        trigger = rec.data.get("trigger")
        if rec.kind == "process.transitioned" and trigger in candidates:
            history[trigger] = rec.data.get("evidence") or {}
    return history


def _never_taken(kind: str, year: int, number: str) -> bool:
    return False


@dataclass(frozen=True)
class GuardContext:
    now: dt.datetime
    history: Mapping[str, dict] = field(default_factory=dict)  # trigger -> latest evidence
    document_number_taken: Callable[[str, int, str], bool] = _never_taken
    received_feedback: tuple[str, ...] = ()
    fiscal_year: int | None = None  # the process's (BE): the bound of ``not_before_fiscal_year``


_NUMBER_YEAR = re.compile(r"/\s*(\d{4})\s*$")  # ๑๒๓/๒๕๗๐: the document's year (BE), as officers write it
_PATHS: dict[str, tuple[str, str]] = {}  # "field[].sub" -> (field, sub), from definitions only


def values(data: Mapping[str, Any] | None, path: str) -> list[Any]:
    """``field`` or ``field[].sub`` (a trigger prefix is resolved by the caller)."""
    if not data:
        return []
    split = _PATHS.get(path)
    if split is None:
        split = _PATHS[path] = path.partition("[].")[::2]
    name, sub = split
    value = data.get(name)
    if value is None:
        return []
    if sub:
        return [item.get(sub) for item in value if isinstance(item, dict) and item.get(sub) is not None]
    return value if isinstance(value, list) else [value]


def _resolve(path: str, evidence: dict, ctx: GuardContext) -> tuple[list[Any], str | None]:
    head, dot, rest = path.partition(".")
    if dot and "[" not in head:
        return values(ctx.history.get(head), rest), head
    return values(evidence, path), None


def _problem(field: str, spec: GuardSpec, en: str, th: str, detail: str = "") -> Problem:
    """A guard's problem: the definition's own message when it has one, else ours; both languages."""
    if spec.message:
        return Problem(field, spec.message.en + detail, problem_th=spec.message.th + detail)
    return Problem(field, en + detail, problem_th=th + detail)


def _key(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


def run_guards(guards: tuple[GuardSpec, ...], evidence: dict, ctx: GuardContext) -> list[Problem]:
    problems: list[Problem] = []
    today = None  # only "not_future" asks for it
    for g in guards:
        p = g.params
        fld = p.get("field", "")
        if g.check == "min_items":
            if len(values(evidence, fld)) < p["count"]:
                problems.append(_problem(fld, g, f"needs at least {p['count']} item(s)",
                                         f"ต้องมีอย่างน้อย {p['count']} รายการ"))
        elif g.check == "any_item":
            items = evidence.get(fld) or []
            if not any(all(item.get(k) == v for k, v in p["where"].items()) for item in items):
                problems.append(_problem(fld, g, f"no item has {p['where']}", "ไม่มีรายการที่ตรงตามเงื่อนไข"))
        elif g.check == "not_future":
            today = today or bangkok_date(ctx.now)
            for v in values(evidence, fld):
                if dt.date.fromisoformat(v) > today:
                    day = format_date_be(dt.date.fromisoformat(v))
                    problems.append(_problem(fld, g, f"{day} is in the future (today is {format_date_be(today)})",
                                             f"{day} เป็นวันในอนาคต (วันนี้คือ {format_date_be(today)})"))
        elif g.check == "not_before":
            refs, _ = _resolve(p["ref"], evidence, ctx)
            if refs:
                bound = max(dt.date.fromisoformat(r) for r in refs)
                for v in values(evidence, fld):
                    if dt.date.fromisoformat(v) < bound:
                        day = format_date_be(dt.date.fromisoformat(v))
                        problems.append(_problem(fld, g, f"{day} is before {format_date_be(bound)} ({p['ref']})",
                                                 f"{day} อยู่ก่อนวันที่ {format_date_be(bound)}"))
        elif g.check == "covers":
            refs, _ = _resolve(p["ref"], evidence, ctx)
            have = {_key(v) for v in values(evidence, fld)}
            missing = [str(r) for r in refs if _key(r) not in have]
            if missing:
                problems.append(_problem(fld, g, "missing", "ยังขาด", f": {', '.join(missing)}"))
        elif g.check == "unique_document_number":
            numbers = values(evidence, fld)
            dates = values(evidence, p["date_field"])
            if numbers and dates:
                year = dt.date.fromisoformat(dates[0]).year
                if ctx.document_number_taken(p["document_kind"], year, normalize_doc_number(numbers[0])):
                    problems.append(Problem(fld, f"number {numbers[0]} is already used in {year + 543} BE",
                                            problem_th=f"เลขที่ {numbers[0]} ถูกใช้แล้วในปี พ.ศ. {year + 543}"))
        elif g.check == "not_before_fiscal_year" and ctx.fiscal_year is not None:
            years = int(p.get("years", 1))
            bound = fiscal_year_bounds(ctx.fiscal_year - years)[0]
            for v in values(evidence, fld):
                if dt.date.fromisoformat(v) < bound:
                    day = format_date_be(dt.date.fromisoformat(v))
                    problems.append(_problem(
                        fld, g, f"{day} is before {format_date_be(bound)}, too early for fiscal year {ctx.fiscal_year} BE",
                        f"{day} เก่าเกินไปสำหรับปีงบประมาณ {ctx.fiscal_year} (ต้องไม่ก่อน {format_date_be(bound)})"))
        elif g.check == "number_year_matches_date":
            numbers, dates = values(evidence, fld), values(evidence, p["date_field"])
            for number, date in zip(numbers, dates):
                found = _NUMBER_YEAR.search(to_arabic_digits(str(number)))
                year = dt.date.fromisoformat(date).year + 543
                if found and 2400 < int(found[1]) < 2800 and int(found[1]) != year:
                    problems.append(_problem(
                        fld, g, f"number {number} names the year {found[1]} but it is dated in {year} BE",
                        f"เลขที่ {number} ระบุปี พ.ศ. {found[1]} แต่ลงวันที่ในปี พ.ศ. {year}"))
        elif g.check == "decides_all_feedback":
            decided = {str(v) for v in values(evidence, fld)}
            missing = [f for f in ctx.received_feedback if f not in decided]
            if missing:
                problems.append(_problem(fld, g, "opinions without a decision", "ความคิดเห็นที่ยังไม่ได้พิจารณา",
                                         f": {', '.join(missing)}"))
    return problems
