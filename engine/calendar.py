"""The calendar in the engine: ``tick(now)``, closing items, and what is due.

``tick`` is the only thing the scheduler (or cron, via ``ruam tick``) calls. In
one transaction, serialized against any other tick, it compares the calendar
definition with what is stored and does what has become due since:

* opens the fiscal year's processes (1 October, ``cycle_opens``);
* opens each report/checkpoint whose window has started, naming the people who
  held the responsible roles *when it opened* (or, if nobody did, telling the
  people it escalates to);
* records as *not applicable* an item that was already past due when Ruam's
  calendar started (a measure that starts mid-year);
* queues the latest reminder whose time has come (earlier ones it passed over
  are recorded as superseded, never sent later);
* marks open items overdue the moment their due day ends and escalates.

Each of these is a ledger record appended in the same transaction as the
projection row it changes and the outbox messages it causes; unique keys on
(fiscal year, item, round, subject) and (item, reminder) fence every one, so a
second tick — or a catch-up after weeks of downtime — does each thing once.
Closing items and the calendar view are in ``engine.calendar_items``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from engine.app import SYSTEM, Ruam
from storage.store import Tx
from workflow.calendar import schedule as wc
from workflow.calendar import texts
from workflow.definitions import Calendar, CalendarItemSpec, Organization
from workflow.errors import Refused
from workflow.ledger import Entry, Record, format_instant

__all__ = ["TickResult", "tick"]


@dataclass
class TickResult:
    at: dt.datetime
    started: bool = False
    processes_opened: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)
    reminders: list[tuple[str, int]] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    messages: int = 0
    records: int = 0

    def summary(self) -> dict[str, Any]:
        return {"at": format_instant(self.at), "started": self.started,
                "processes_opened": len(self.processes_opened), "opened": len(self.opened),
                "not_applicable": len(self.not_applicable), "reminders": len(self.reminders),
                "overdue": len(self.overdue), "messages": self.messages, "records": self.records}


class _Writer:
    """Appends one record at a time and queues the messages it causes (same transaction)."""

    def __init__(self, tx: Tx, now: dt.datetime, result: TickResult | None = None) -> None:
        self.tx, self.now, self.result = tx, now, result
        self.emails = {p["id"]: p.get("email") for p in tx.people()}

    def record(self, kind: str, data: dict, *, actor: str = SYSTEM, role: str = SYSTEM,
               responsible: str | None = None, process: str | None = None) -> Record:
        [rec] = self.tx.append([Entry(kind=kind, at=self.now, actor=actor, role=role, responsible=responsible,
                                      process=process, data=data)])
        if self.result is not None:
            self.result.records += 1
        return rec

    def notify(self, rec: Record, people: list[str], message: tuple[str, str], key: str) -> None:
        subject, body = message
        for person in dict.fromkeys(people):
            if self.tx.queue_message(dedupe_key=f"{key}:{person}", seq=rec.seq, at=self.now, person=person,
                                     email=self.emails.get(person), subject=subject, body=body):
                if self.result is not None:
                    self.result.messages += 1


def _process_of(tx: Tx, spec: CalendarItemSpec, fy: int, subject: str) -> str | None:
    if spec.per != "task":
        return None
    pid = f"{fy}/{subject}"
    return pid if tx.get_process(pid) else None


def _texts(spec: CalendarItemSpec, round_id: str, org: Organization, subject: str) -> tuple[str, str, str]:
    rnd = next((r for r in spec.rounds if r.id == round_id), None)
    round_title = rnd.title.th if rnd else round_id
    return spec.title.th, round_title, wc.subject_title(org, spec.per, subject)


def tick(app: Ruam, now: dt.datetime | None = None) -> TickResult:
    """Do everything the calendar says has become due by ``now``; idempotent."""
    now = (now or app.now()).astimezone(dt.timezone.utc)
    result = TickResult(at=now)
    with app.store.transaction() as tx:
        tx.lock_calendar()
        defs = app.active(tx)
        if defs.calendar is None:
            return result
        cal, org = defs.calendar, defs.organization
        w = _Writer(tx, now, result)
        current_fy = wc.fiscal_year_of(now)
        state = tx.calendar_state()
        if state is None:
            tx.start_calendar(now, current_fy)
            w.record("calendar.started", {"started_at": format_instant(now), "fiscal_year": current_fy,
                                          "calendar": cal.version})
            state = {"started_at": now, "started_fy": current_fy}
            result.started = True
        started_at = state["started_at"]
        assignments = tx.assignments()
        for fy in range(state["started_fy"], current_fy + 1):
            if now >= wc.cycle_opens_at(cal, fy):
                result.processes_opened += app.open_cycle_in(tx, fy, SYSTEM, now)
            stored = {r["id"] for r in tx.calendar_items(fiscal_years=[fy])}
            for occ in wc.occurrences(cal, org, fy):
                if occ.id in stored or now < occ.opens_at:
                    continue
                _create(w, cal, org, occ, started_at, assignments, result)
        open_rows = [r for r in tx.calendar_items(status=wc.OPEN)]
        handled = tx.reminders([r["id"] for r in open_rows]) if open_rows else {}
        for row in open_rows:
            if row["overdue_at"] is not None:
                continue
            item_cal = app.definition(row["calendar_version"], tx)
            spec = item_cal.item(row["item"]) if isinstance(item_cal, Calendar) else None
            if spec is None:
                continue
            if now >= row["due_at"]:
                _overdue(w, org, spec, row, assignments, result)
                continue
            days, superseded = wc.reminder_plan(row["due_on"], spec.reminder_days, now,
                                                handled.get(row["id"], ()))
            if days is not None:
                _remind(w, org, spec, row, days, superseded, assignments, result)
        tx.set_last_tick(now)
    if result.records:
        app.log.info("calendar.tick", **result.summary())
    return result


def _create(w: _Writer, cal: Calendar, org: Organization, occ: wc.Occurrence, started_at: dt.datetime,
            assignments, result: TickResult) -> None:
    spec, tx = occ.item, w.tx
    scopes = wc.subject_scopes(org, spec.per, occ.subject)
    common = {"item_id": occ.id, "fiscal_year": occ.fiscal_year, "item": spec.id, "round": occ.round.id,
              "subject": occ.subject, "kind": spec.kind, "calendar": cal.version, "organization": org.version,
              "opens_on": occ.opens_on.isoformat(), "due_on": occ.due_on.isoformat()}
    values = dict(id=occ.id, fiscal_year=occ.fiscal_year, item=spec.id, round=occ.round.id, subject=occ.subject,
                  kind=spec.kind, per=spec.per, calendar_version=cal.version, opens_on=occ.opens_on,
                  due_on=occ.due_on, opens_at=occ.opens_at, due_at=occ.overdue_at, recorded_at=w.now,
                  late=False)
    process = _process_of(tx, spec, occ.fiscal_year, occ.subject)
    if occ.overdue_at <= started_at:
        # The calendar started after this was due (a measure adopted mid-year):
        # nobody could have done it, so it is not applicable, never overdue.
        rec = w.record("calendar.item_not_applicable", common | {"reason": "started_after_due",
                                                                  "started_at": format_instant(started_at)},
                       process=process)
        tx.insert_calendar_item(**values, status=wc.NOT_APPLICABLE, responsible=[], last_seq=rec.seq)
        result.not_applicable.append(occ.id)
        return
    moment = max(occ.opens_at, started_at)
    responsible = wc.resolve(assignments, spec.responsible_roles, scopes, moment)
    people = [r["person"] for r in responsible]
    data = common | {"responsible": responsible, "resolved_at": format_instant(moment)}
    rec = w.record("calendar.item_opened", data, responsible=people[0] if people else None, process=process)
    tx.insert_calendar_item(**values, status=wc.OPEN, responsible=responsible, last_seq=rec.seq)
    title, round_title, subject = _texts(spec, occ.round.id, org, occ.subject)
    if people:
        w.notify(rec, people, texts.message_opened(title, round_title, subject, occ.fiscal_year, occ.due_on),
                 f"opened:{occ.id}")
    else:
        bosses = [r["person"] for r in wc.resolve(assignments, spec.escalate_to, scopes, moment)]
        w.notify(rec, bosses, texts.message_unassigned(title, round_title, subject, occ.fiscal_year,
                                                    spec.responsible_roles, occ.due_on), f"unassigned:{occ.id}")
    result.opened.append(occ.id)


def _recipients(org: Organization, spec: CalendarItemSpec, row: dict, assignments, now: dt.datetime) -> list[str]:
    """Who is reminded about an open item: the people it named who still hold a
    responsible role for it now; if none do (left, replaced, or nobody was named
    when it opened), whoever holds the role now."""
    scopes = wc.subject_scopes(org, spec.per, row["subject"])
    current = [r["person"] for r in wc.resolve(assignments, spec.responsible_roles, scopes, now)]
    named = [r["person"] for r in row["responsible"] if r["person"] in current]
    return named or current


def _overdue(w: _Writer, org: Organization, spec: CalendarItemSpec, row: dict, assignments,
             result: TickResult) -> None:
    scopes = wc.subject_scopes(org, spec.per, row["subject"])
    escalated = wc.resolve(assignments, spec.escalate_to, scopes, row["due_at"])
    named = [r["person"] for r in row["responsible"]]
    people = _recipients(org, spec, row, assignments, w.now)
    rec = w.record("calendar.item_overdue", {"item_id": row["id"], "due_on": row["due_on"].isoformat(),
                                             "responsible": row["responsible"], "escalated_to": escalated,
                                             "to": people + [e["person"] for e in escalated]},
                   responsible=named[0] if named else None,
                   process=_process_of(w.tx, spec, row["fiscal_year"], row["subject"]))
    if not w.tx.update_calendar_item(row["id"], wc.OPEN, overdue_at=row["due_at"], escalated_to=escalated,
                                     last_seq=rec.seq):
        raise Refused(f"{row['id']} changed during the tick", f"{row['id']} ถูกแก้ไขระหว่างการตรวจปฏิทิน")
    title, round_title, subject = _texts(spec, row["round"], org, row["subject"])
    w.notify(rec, people + [e["person"] for e in escalated],
             texts.message_overdue(title, round_title, subject, row["fiscal_year"], row["due_on"], named),
             f"overdue:{row['id']}")
    result.overdue.append(row["id"])


def _remind(w: _Writer, org: Organization, spec: CalendarItemSpec, row: dict, days: int, superseded: list[int],
            assignments, result: TickResult) -> None:
    named = [r["person"] for r in row["responsible"]]
    people = _recipients(org, spec, row, assignments, w.now)
    rec = w.record("calendar.reminder_queued", {"item_id": row["id"], "days_before": days,
                                                "superseded": superseded, "due_on": row["due_on"].isoformat(),
                                                "to": people},
                   responsible=named[0] if named else None,
                   process=_process_of(w.tx, spec, row["fiscal_year"], row["subject"]))
    w.tx.add_reminder(row["id"], days, "queued", w.now)
    for d in superseded:
        w.tx.add_reminder(row["id"], d, "superseded", w.now)
    title, round_title, subject = _texts(spec, row["round"], org, row["subject"])
    w.notify(rec, people, texts.message_reminder(title, round_title, subject, row["fiscal_year"], row["due_on"], days),
             f"reminder:{row['id']}:{days}")
    result.reminders.append((row["id"], days))
