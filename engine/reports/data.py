"""Every figure of the measure's report for a fiscal year or a half of it, read from the ledger and the
calendar in one snapshot; the counting is ``workflow.measure_report`` (pure).

``measure_report(app, fiscal_year, half=None, lang="th")`` returns one dict, the report's data model:
every face (the ``/reports`` page, ``ruam measure-report``, the DOCX, the XLSX) renders this and
computes nothing. Titles are Thai from the definitions (English with ``lang="en"``); people are
"name (position)"; dates stay ``datetime.date`` / aware ``datetime`` values for the face to tell in BE.

Sections: ``groups`` (progress by mission group), ``tasks`` (per task: its state and steps, the four
elements, its semiannual reports, its group's checkpoints, the opinions received and decided),
``overdue`` (what is past due, by group, and each item), ``durations`` (days in each step),
``compliance`` (reports and checkpoints per round: on time / late / missing / pending), ``committee``
(the area committee's rounds).

The four elements: ``_elements`` is the one place they come from: one call of
``engine.ita.elements.task_elements(app, fiscal_year)`` where that module is installed; before it,
the closing step's evidence (topic, participants, results, improvements) and the meetings'
outside attendees.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.app import Ruam
from engine.calendar_items import check_fiscal_year
from engine.names import Names
from storage.store import Tx
from workflow import measure_report as mr
from workflow.calendar import schedule as wc
from workflow.errors import UsageError
from workflow.fiscal import bangkok_date
from workflow.ledger import Record

__all__ = ["OUTCOME_TITLES", "measure_report", "check_half"]

OUTCOME_TITLES = {"on_time": ("ตรงเวลา", "on time"), "late": ("ล่าช้า", "late"),
                  "missing": ("ยังไม่ดำเนินการ (เลยกำหนด)", "missing (past due)"),
                  "pending": ("ยังไม่ถึงกำหนด", "not yet due"),
                  "not_applicable": ("ไม่อยู่ในรอบ", "not applicable")}
DECISIONS = ("adopt", "adopt_in_part", "decline")
# short words for a calendar item on a chart's axis, by what it is (the definitions' titles are sentences)
SHORT = {("report", "task"): ("รายงานผล", "Report"),
         ("checkpoint", "mission_group"): ("กำกับติดตามระดับกลุ่ม", "Group supervision"),
         ("checkpoint", "office"): ("ก.ต.ป.น.", "Committee")}
OVERDUE_KINDS = {"report": ("รายงานที่เลยกำหนด", "reports past due"),
                 "checkpoint": ("การกำกับติดตามที่เลยกำหนด", "checkpoints past due"),
                 "process": ("กระบวนการที่ยังไม่เสร็จเมื่อสิ้นปีงบประมาณ", "processes unfinished at year end")}


def check_half(half: Any, field: str = "half") -> int | None:
    if half in (None, "", "year", 0, "0"):
        return None
    if str(half).strip() in ("1", "2"):
        return int(str(half).strip())
    raise UsageError(field, f"'{half}' is not a half year: 1 (1 Oct – 31 Mar) or 2 (1 Apr – 30 Sep)",
                     f"'{half}' ไม่ใช่ครึ่งปี: 1 (๑ ต.ค. – ๓๑ มี.ค.) หรือ 2 (๑ เม.ย. – ๓๐ ก.ย.)")


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "th" else pair[1]


def _facts(pid: str, task: str, records: list[Record]) -> tuple[mr.ProcessFacts, list[dict], list[dict]]:
    """The moves, the opinions received and the decisions recorded, from one process's records."""
    facts = mr.ProcessFacts(pid, task)
    received, decided = [], []
    for rec in records:
        d = rec.data
        if rec.kind == "process.opened":
            facts.moves.append(mr.Move(rec.moment, None, d.get("state"), "opened"))
        elif rec.kind == "process.transitioned":
            facts.moves.append(mr.Move(rec.moment, d.get("from"), d.get("to"), d.get("kind") or "advance"))
            for dec in (d.get("evidence") or {}).get("decisions") or []:
                decided.append(dec | {"at": rec.moment, "trigger": d.get("trigger")})
        elif rec.kind == "feedback.received":
            received.append({"id": d.get("opinion"), "text": d.get("text", ""), "name": d.get("name"),
                             "at": rec.moment})
    return facts, received, decided


def _elements(app: Ruam, fiscal_year: int, records: dict[str, list[Record]], moment: dt.datetime) -> dict:
    """The four ITA elements per task, as the assessor reads them (``engine.ita.elements``: the whole year)."""
    from engine.ita.elements import task_elements

    return {e.task_id: _from_ita(e) for e in task_elements(app, fiscal_year)}


def _person(p: Any) -> str:
    where = ", ".join(x for x in (getattr(p, "position", ""), getattr(p, "organisation", "")) if x)
    return f"{p.name} ({where})" if where else p.name


def _from_ita(e: Any) -> dict:
    outside = [p for p in e.participants if p.external]
    inside = [p for p in e.participants if not p.external]
    people = "; ".join([_person(p) for p in outside] + [_person(p) for p in inside])
    return {"topic": e.topic or None, "participants": people or None, "results": e.results or None,
            "improvements": e.improvements_text or None, "outsiders": len(outside),
            "complete": bool(e.complete) and all(e.complete.values())}


def _record_at(tx: Tx, seq: int | None) -> Record | None:
    if not seq:
        return None
    found = tx.records(after_seq=seq - 1, limit=1)
    return found[0] if found and found[0].seq == seq else None


def _rounds(app: Ruam, tx: Tx, defs, fiscal_year: int, period: mr.Period, moment: dt.datetime,
            names: Names, lang: str) -> list[dict]:
    """Every round of every calendar item due in the period, stored or only scheduled, with its outcome."""
    if defs.calendar is None:
        return []
    org = defs.organization
    stored = {r["id"]: r for r in tx.calendar_items(fiscal_years=[fiscal_year])}
    state = tx.calendar_state()
    started = state["started_at"] if state else None
    rows = []
    for occ in wc.occurrences(defs.calendar, org, fiscal_year):
        if not period.holds_day(occ.due_on):
            continue
        row = stored.pop(occ.id, None)
        rows.append(_round_row(tx, occ.item, occ.round.id, occ.subject, row, occ.due_on, wc.day_start(
            occ.due_on + dt.timedelta(days=1)), started, moment, names, lang))
    for row in stored.values():  # extra committee rounds (and rounds of an earlier calendar)
        if not period.holds_day(row["due_on"]):
            continue
        spec = defs.calendar.item(row["item"]) or (app.definition(row["calendar_version"], tx).item(row["item"]))
        if spec is not None:
            rows.append(_round_row(tx, spec, row["round"], row["subject"], row, row["due_on"], row["due_at"],
                                   started, moment, names, lang))
    return rows


def _round_row(tx: Tx, spec, round_id: str, subject: str, row: dict | None, due_on: dt.date, due_at: dt.datetime,
               started: dt.datetime | None, moment: dt.datetime, names: Names, lang: str) -> dict:
    if row is not None:
        outcome = mr.round_outcome(row["status"], row["completed_at"], row["due_at"], moment, bool(row["late"]))
    elif started is not None and due_at <= started:
        outcome = "not_applicable"
    else:
        outcome = mr.round_outcome("open", None, due_at, moment)
    rec = _record_at(tx, row["last_seq"]) if row is not None and outcome in ("on_time", "late") else None
    evidence = (rec.data.get("evidence") or {}) if rec is not None else {}
    held = evidence.get("held_on")
    extra = round_id.startswith("extra")
    round_title = (("ครั้งเพิ่มเติม" if lang == "th" else "extra round") if extra else names.round(round_id))
    return {"item": spec.id, "kind": spec.kind, "per": spec.per, "round": round_id, "subject": subject,
            "item_title": names.calendar_item(spec.id), "round_title": round_title,
            "label": f"{_pick(SHORT.get((spec.kind, spec.per), (names.calendar_item(spec.id),) * 2), lang)} "
                     f"{round_title}",
            "subject_title": names.scope(subject) if spec.per != "office" else names.scope(None),
            "due_on": due_on, "outcome": outcome, "outcome_title": _pick(OUTCOME_TITLES[outcome], lang),
            "completed_at": row["completed_at"] if rec is not None else None,
            "completed_by": names.person(row["completed_by"]) if rec is not None else None,
            "held_on": dt.date.fromisoformat(held) if held else None,
            "summary": evidence.get("summary"), "findings": evidence.get("findings"),
            "advice": evidence.get("advice"), "task_notes": evidence.get("tasks") or [],
            "days_past_due": (bangkok_date(moment) - due_on).days if outcome == "missing" else None}


def measure_report(app: Ruam, fiscal_year: int, half: int | None = None, lang: str = "th") -> dict:
    """The report's data for FY ``fiscal_year`` (or its ``half`` 1 or 2), as of the period's end or now."""
    check_fiscal_year(fiscal_year)
    half = check_half(half)
    period = mr.period_of(fiscal_year, half)
    now = app.now()
    moment = period.as_of(now)
    with app.store.reading() as tx:
        defs = app.active(tx)
        org, procedure = defs.organization, defs.procedure
        procs = {p["task_id"]: p for p in tx.processes(fiscal_year=fiscal_year)}
        versions = {p["procedure_version"] for p in procs.values()}
        procedures = {v: app.definition(v, tx) for v in versions}
        names = Names(org, procedure, lang, calendar=defs.calendar, people=tx.people(), procedures=procedures)
        records = {task: tx.records_for(p["id"]) for task, p in procs.items()}
        # a round is judged as it stands now (a report sent after the half ended is late, not missing)
        rounds = _rounds(app, tx, defs, fiscal_year, period, now, names, lang)
        head = tx.head()[0]
    elements = _elements(app, fiscal_year, records, moment)
    path = mr.main_path(procedure)
    finals = {s.id for s in procedure.states if s.final}
    year_over = moment >= mr.period_of(fiscal_year).ends
    tasks, groups, stays = [], [], []
    overdue_items: list[dict] = []
    for mg in org.mission_groups:
        g = {"id": mg.id, "title": names.scope(mg.id), "tasks": len(mg.tasks), "processes": 0, "steps_done": 0,
             "steps_total": 0, "closed": 0, "cancelled": 0}
        for task in mg.tasks:
            row = _task_row(task, mg, procs.get(task.id), records.get(task.id, []), path, finals, moment, period,
                            names, lang, elements.get(task.id), rounds)
            tasks.append(row)
            stays += row.pop("_stays")
            if row["process"] is None:
                continue
            g["processes"] += 1
            g["steps_total"] += row["steps_total"]
            g["steps_done"] += 0 if row["cancelled"] else row["steps_done"]
            g["closed"] += row["state"] in finals and not row["cancelled"]
            g["cancelled"] += row["cancelled"]
            if year_over and row["state"] not in finals:
                overdue_items.append({"kind": "process", "kind_title": _pick(OVERDUE_KINDS["process"], lang),
                                      "group": mg.id, "subject_title": row["title"],
                                      "what": names.state(row["state"]), "due_on": period.last,
                                      "days_past_due": (bangkok_date(now) - period.last).days})
        g["percent"] = round(100 * g["steps_done"] / g["steps_total"], 1) if g["steps_total"] else 0.0
        groups.append(g)
    for r in rounds:
        if r["outcome"] == "missing":
            group = r["subject"] if r["per"] == "mission_group" else (
                org.task(r["subject"]).mission_group if r["per"] == "task" and org.task(r["subject"]) else None)
            overdue_items.append({"kind": r["kind"], "kind_title": _pick(OVERDUE_KINDS[r["kind"]], lang),
                                  "group": group, "subject_title": r["subject_title"], "what": r["label"],
                                  "due_on": r["due_on"], "days_past_due": r["days_past_due"]})
    return {
        "fiscal_year": fiscal_year, "half": half, "first_day": period.first, "last_day": period.last,
        "as_of": moment, "generated_at": now, "ended": now >= period.ends, "ledger_seq": head, "lang": lang,
        "office": names.org.title.th if lang == "th" else names.org.title.en,
        "measure": procedure.title.th if lang == "th" else procedure.title.en,
        "path": [{"state": s, "title": names.state(s)} for s in path],
        "groups": groups, "tasks": tasks,
        "overdue": {"by_group": _overdue_by_group(org, names, overdue_items, lang), "items": overdue_items},
        "durations": _durations(path, stays, names),
        "compliance": _compliance(rounds),
        "committee": [r for r in rounds if r["per"] == "office"],
        "rounds": rounds,
    }


def _task_row(task, mg, proc: dict | None, recs: list[Record], path, finals, moment, period: mr.Period,
              names: Names, lang: str, elements: dict | None, rounds: list[dict]) -> dict:
    row: dict[str, Any] = {"id": task.id, "title": names.task(task.id), "group": mg.id,
                           "group_title": names.scope(mg.id), "process": proc["id"] if proc else None,
                           "steps_total": len(path) - 1, "elements": elements,
                           "reports": [r for r in rounds if r["per"] == "task" and r["subject"] == task.id],
                           "checkpoints": [r for r in rounds if r["per"] == "mission_group" and r["subject"] == mg.id],
                           "_stays": []}
    if proc is None:
        return row | {"state": None, "state_title": "-", "steps_done": 0, "cancelled": False,
                      "opinions": _opinions([], [], period, moment, names, lang)}
    facts, received, decided = _facts(proc["id"], task.id, recs)
    state = mr.state_at(facts, moment) or proc["state"]
    done, cancelled = mr.steps_done(facts, path, moment)
    row["_stays"] = [s for s in mr.stays(facts, moment, finals)
                     if s.left is None or period.holds(s.left)]
    return row | {"state": state, "state_title": names.state(state, proc["procedure_version"]),
                  "steps_done": done, "cancelled": cancelled,
                  "opinions": _opinions(received, decided, period, moment, names, lang)}


def _opinions(received: list[dict], decided: list[dict], period: mr.Period, moment: dt.datetime,
              names: Names, lang: str) -> dict:
    got = [o for o in received if period.holds(o["at"]) and o["at"] < moment]
    made = [d for d in decided if period.holds(d["at"]) and d["at"] < moment]
    counts = {k: sum(1 for d in made if d.get("decision") == k) for k in DECISIONS}
    decided_ids = {d.get("opinion_id") for d in made if d.get("opinion_id")}
    fields = {f.id: f for f in names.fields_of("close")}
    spec = next((f for f in fields.get("decisions").fields if f.id == "decision"), None) if "decisions" in fields \
        else None
    return {"received": len(got), "decided": len(made), "waiting": sum(1 for o in got if o["id"] not in decided_ids),
            **counts,
            "list": [{"source": d.get("source"), "opinion": d.get("opinion"),
                      "decision": d.get("decision"), "decision_title": names.value(spec, d.get("decision")),
                      "action_or_reason": d.get("action_or_reason"), "at": d["at"]} for d in made]}


def _overdue_by_group(org, names: Names, items: list[dict], lang: str) -> list[dict]:
    out = []
    for mg in org.mission_groups:
        mine = [i for i in items if i["group"] == mg.id]
        out.append({"group": mg.id, "title": names.scope(mg.id),
                    **{k: sum(1 for i in mine if i["kind"] == k) for k in OVERDUE_KINDS}, "total": len(mine)})
    office = [i for i in items if i["group"] is None]
    if office:
        out.append({"group": None, "title": names.scope(None),
                    **{k: sum(1 for i in office if i["kind"] == k) for k in OVERDUE_KINDS}, "total": len(office)})
    return out


def _durations(path, stays: list[mr.Stay], names: Names) -> list[dict]:
    out = []
    for state in path[:-1]:
        days = [s.days for s in stays if s.state == state and s.days is not None]
        out.append({"state": state, "title": names.state(state), **mr.duration_stats(days),
                    "ongoing": sum(1 for s in stays if s.state == state and s.left is None)})
    return out


def _compliance(rounds: list[dict]) -> list[dict]:
    out: dict[tuple, dict] = {}
    for r in rounds:
        key = (r["item"], "extra" if r["round"].startswith("extra") else r["round"])
        row = out.setdefault(key, {"item": r["item"], "round": key[1], "label": r["label"], "kind": r["kind"],
                                   "due_on": r["due_on"], **{k: 0 for k in mr.ROUND_OUTCOMES}, "total": 0})
        row[r["outcome"]] += 1
        row["total"] += 1
    return sorted(out.values(), key=lambda x: (x["due_on"], x["kind"] != "report", x["item"], x["round"]))
