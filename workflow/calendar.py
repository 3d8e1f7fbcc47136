"""The supervision calendar of seed §3–§4, computed: pure functions, no clock.

A calendar definition names items (the semiannual report, the supervision
checkpoints), each with rounds (a window that opens and a due date, as
month/day within the Thai fiscal year), whom it is for (``per`` task, mission
group or the office), the roles responsible, reminder offsets and whom to
escalate to. ``occurrences(calendar, organization, fy)`` expands that into one
``Occurrence`` per round and subject; the engine's ``tick`` compares these with
what is stored and records what became due. Every instant is UTC; every day
boundary is midnight in Bangkok:

* an occurrence *opens* at 00:00 Bangkok on its opening day;
* it is *due* by the end of its due day (23:59:59.999… Bangkok), so it becomes
  *overdue* at 00:00 Bangkok on the next day;
* a reminder ``N`` days before falls at 00:00 Bangkok on (due day − N).

A day that does not exist in a year (29 February in a common year, or a
``day: 31`` in a 30-day month) falls on the last day of that month.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from workflow.authority import Assignment, holders
from workflow.definitions import Calendar, CalendarItemSpec, MonthDay, Organization, RoundSpec
from workflow.fiscal import BANGKOK, fiscal_year_bounds, fiscal_year_be, format_date_be
from workflow.replay import Fold, FoldExtension

OFFICE = "office"

# statuses of a stored calendar item
OPEN, DONE, NOT_APPLICABLE = "open", "done", "not_applicable"

STATUS_TITLES = {
    "scheduled": ("ยังไม่ถึงกำหนดเปิด", "not yet open"),
    "open": ("อยู่ระหว่างดำเนินการ", "open"),
    "overdue": ("เกินกำหนด", "overdue"),
    "done": ("ดำเนินการแล้ว", "done"),
    "done_late": ("ดำเนินการแล้ว (ล่าช้า)", "done (late)"),
    "not_applicable": ("ไม่อยู่ในรอบ (เริ่มใช้หลังวันครบกำหนด)", "not applicable (started after the due date)"),
}


def day_in_fiscal_year(fy_be: int, md: MonthDay) -> dt.date:
    """The calendar day of a month/day inside a BE fiscal year (clamped to the month's end)."""
    start, end = fiscal_year_bounds(fy_be)
    year = start.year if md.month >= start.month else end.year
    return dt.date(year, md.month, min(md.day, _stdcal.monthrange(year, md.month)[1]))


def day_start(day: dt.date) -> dt.datetime:
    """00:00 Bangkok on a day, as a UTC instant."""
    return dt.datetime.combine(day, dt.time(0), BANGKOK).astimezone(dt.timezone.utc)


def fiscal_year_of(moment: dt.datetime) -> int:
    return fiscal_year_be(moment.astimezone(BANGKOK).date())


def cycle_opens_at(calendar: Calendar, fy_be: int) -> dt.datetime:
    """When a fiscal year's processes open (``cycle_opens``, 1 October by default)."""
    return day_start(day_in_fiscal_year(fy_be, calendar.cycle_opens))


@dataclass(frozen=True)
class Occurrence:
    """One round of one calendar item for one subject in one fiscal year."""

    fiscal_year: int
    item: CalendarItemSpec
    round: RoundSpec
    subject: str          # a task id, a mission group id, or "office"
    opens_on: dt.date
    due_on: dt.date

    @property
    def key(self) -> tuple[int, str, str, str]:
        return (self.fiscal_year, self.item.id, self.round.id, self.subject)

    @property
    def id(self) -> str:
        return item_id(*self.key)

    @property
    def opens_at(self) -> dt.datetime:
        return day_start(self.opens_on)

    @property
    def overdue_at(self) -> dt.datetime:
        return day_start(self.due_on + dt.timedelta(days=1))

    def reminder_at(self, days_before: int) -> dt.datetime:
        return reminder_at(self.due_on, days_before)


def item_id(fiscal_year: int, item: str, round_id: str, subject: str) -> str:
    return f"{fiscal_year}/{item}/{round_id}/{subject}"


def subjects(org: Organization, per: str) -> list[str]:
    if per == "task":
        return [t.id for t in org.tasks]
    if per == "mission_group":
        return [g.id for g in org.mission_groups]
    return [OFFICE]


def subject_scopes(org: Organization, per: str, subject: str) -> set[str | None]:
    """Assignment scopes that make someone answerable for a subject."""
    if per == "task":
        return org.scopes_covering(subject)
    if per == "mission_group":
        group = org.mission_group(subject)
        return {None, subject, *(group.units if group else ())}
    return {None}


def subject_title(org: Organization, per: str, subject: str, lang: str = "th") -> str:
    if per == "task":
        task = org.task(subject)
        return task.title.get(lang) if task else subject
    if per == "mission_group":
        group = org.mission_group(subject)
        return group.title.get(lang) if group else subject
    return org.title.get(lang)


def occurrences(calendar: Calendar, org: Organization, fy_be: int) -> list[Occurrence]:
    """Every scheduled round of every item for every subject in a fiscal year."""
    out = []
    for item in calendar.items:
        for rnd in item.rounds:
            opens, due = day_in_fiscal_year(fy_be, rnd.opens), day_in_fiscal_year(fy_be, rnd.due)
            for subject in subjects(org, item.per):
                out.append(Occurrence(fy_be, item, rnd, subject, opens, due))
    return out


def resolve(assignments: Iterable[Assignment], roles: Iterable[str], scopes: set[str | None],
            moment: dt.datetime) -> list[dict]:
    """People holding any of the roles for the scopes at that moment: [{person, role}], role order kept."""
    assignments = list(assignments)
    out: list[dict] = []
    seen: set[str] = set()
    for role in roles:
        for person in holders(assignments, role, scopes, moment):
            if person not in seen:
                seen.add(person)
                out.append({"person": person, "role": role})
    return out


def reminder_at(due_on: dt.date, days_before: int) -> dt.datetime:
    return day_start(due_on - dt.timedelta(days=days_before))


def reminder_plan(due_on: dt.date, reminder_days: Iterable[int], now: dt.datetime,
                  handled: Iterable[int]) -> tuple[int | None, list[int]]:
    """Which reminder to queue now, and which earlier ones it makes pointless.

    Only the most recent reminder whose time has come is sent: after a long
    downtime an officer gets one reminder, not three at once. Reminders that
    were passed over are returned as superseded, so they are never sent later.
    Nothing is due once the item is overdue (00:00 Bangkok after the due day).
    """
    if now >= day_start(due_on + dt.timedelta(days=1)):
        return None, []
    handled = set(handled)
    passed = sorted(d for d in set(reminder_days) if reminder_at(due_on, d) <= now and d not in handled)
    if not passed:
        return None, []
    return passed[0], passed[1:]


def status_of(row: dict, now: dt.datetime) -> str:
    """Display status of a stored item: open, overdue, done, done_late, not_applicable."""
    if row["status"] == DONE:
        return "done_late" if row.get("late") else "done"
    if row["status"] == NOT_APPLICABLE:
        return "not_applicable"
    return "overdue" if row.get("overdue_at") is not None or now >= row["due_at"] else "open"


def status_title(status: str, lang: str = "th") -> str:
    th, en = STATUS_TITLES[status]
    return th if lang == "th" else en


# --------------------------------------------------------------------------- messages

def _due_text(due_on: dt.date) -> str:
    return format_date_be(due_on)


def message_opened(title: str, round_title: str, subject: str, fy: int, due_on: dt.date) -> tuple[str, str]:
    subject_line = f"[Ruam] เปิดรอบ: {title} {round_title} ปีงบประมาณ {fy}"
    body = (f"เรียน ผู้รับผิดชอบ\n\n{title} {round_title}\nเรื่อง/กลุ่มงาน: {subject}\n"
            f"ปีงบประมาณ พ.ศ. {fy}\nกำหนดส่ง/ดำเนินการให้แล้วเสร็จภายในวันที่ {_due_text(due_on)}\n\n"
            "ข้อความนี้ส่งโดยระบบ Ruam (ร่วม)")
    return subject_line, body


def message_unassigned(title: str, round_title: str, subject: str, fy: int, roles: Iterable[str],
                       due_on: dt.date) -> tuple[str, str]:
    subject_line = f"[Ruam] ไม่มีผู้รับผิดชอบ: {title} {round_title} ปีงบประมาณ {fy}"
    body = (f"เรียน ผู้บังคับบัญชา\n\n{title} {round_title}\nเรื่อง/กลุ่มงาน: {subject}\n"
            f"เปิดรอบแล้ว แต่ยังไม่มีผู้ดำรงบทบาท {', '.join(roles)} ในขณะนี้ "
            f"โปรดมอบหมายผู้รับผิดชอบ (กำหนดวันที่ {_due_text(due_on)})\n\nข้อความนี้ส่งโดยระบบ Ruam (ร่วม)")
    return subject_line, body


def message_reminder(title: str, round_title: str, subject: str, fy: int, due_on: dt.date,
                     days: int) -> tuple[str, str]:
    when = "วันนี้" if days == 0 else f"อีก {days} วัน"
    subject_line = f"[Ruam] แจ้งเตือน: {title} {round_title} ครบกำหนด{when} ({_due_text(due_on)})"
    body = (f"เรียน ผู้รับผิดชอบ\n\n{title} {round_title}\nเรื่อง/กลุ่มงาน: {subject}\n"
            f"ปีงบประมาณ พ.ศ. {fy}\nครบกำหนดวันที่ {_due_text(due_on)} ({when})\n\n"
            "ข้อความนี้ส่งโดยระบบ Ruam (ร่วม)")
    return subject_line, body


def message_overdue(title: str, round_title: str, subject: str, fy: int, due_on: dt.date,
                    responsible: Iterable[str]) -> tuple[str, str]:
    names = ", ".join(responsible) or "(ไม่มีผู้รับผิดชอบ)"
    subject_line = f"[Ruam] เกินกำหนด: {title} {round_title} ปีงบประมาณ {fy}"
    body = (f"เรียน ผู้เกี่ยวข้อง\n\n{title} {round_title}\nเรื่อง/กลุ่มงาน: {subject}\n"
            f"ครบกำหนดเมื่อวันที่ {_due_text(due_on)} แต่ยังไม่ได้ดำเนินการ\n"
            f"ผู้รับผิดชอบ: {names}\n\nข้อความนี้ส่งโดยระบบ Ruam (ร่วม)")
    return subject_line, body


# --------------------------------------------------------------------------- replay

@dataclass
class CalendarFold:
    """Folds ``calendar.*`` records into the state of every calendar item."""

    items: dict[str, dict] = field(default_factory=dict)
    reminders: set[tuple[str, int]] = field(default_factory=set)
    started_at: str | None = None
    problems: list[tuple[int, str]] = field(default_factory=list)

    def apply(self, kind: str, seq: int, at: str, actor: str, data: dict) -> None:
        name = kind.split(".", 1)[1]
        if name == "started":
            if self.started_at is not None:
                self.problems.append((seq, "the calendar was started twice"))
            self.started_at = data["started_at"]
        elif name in ("item_opened", "item_not_applicable", "extra_round_recorded"):
            iid = data["item_id"]
            if iid in self.items:
                self.problems.append((seq, f"calendar item {iid} created twice"))
            status = {"item_opened": OPEN, "item_not_applicable": NOT_APPLICABLE}.get(name, DONE)
            self.items[iid] = {"status": status, "overdue": False, "late": False,
                               "completed_by": actor if status == DONE else None,
                               "item": data["item"], "subject": data["subject"], "calendar": data["calendar"],
                               "organization": data.get("organization")}
        elif name == "reminder_queued":
            for days in [data["days_before"], *data.get("superseded", [])]:
                key = (data["item_id"], days)
                if key in self.reminders:
                    self.problems.append((seq, f"reminder {days} day(s) before {data['item_id']} queued twice"))
                self.reminders.add(key)
        elif name == "item_overdue":
            item = self.items.get(data["item_id"])
            if item is None or item["status"] != OPEN or item["overdue"]:
                self.problems.append((seq, f"{data['item_id']} marked overdue but it was not open"))
            else:
                item["overdue"] = True
        elif name in ("report_submitted", "checkpoint_recorded"):
            item = self.items.get(data["item_id"])
            if item is None or item["status"] != OPEN:
                self.problems.append((seq, f"{data['item_id']} completed but it was not open"))
            else:
                item.update(status=DONE, late=bool(data.get("late")), completed_by=actor)


def audit_record(item: dict | None, kind: str, actor: str, role: str, moment: dt.datetime, data: dict,
                 assignments: Iterable[Assignment], definition) -> str | None:
    """Re-check a calendar record against the role assignments of its time.

    An opening must name exactly the people who held the responsible roles when
    the item opened; a completion must be made by someone holding one of the
    item's responsible roles for its subject at that moment. Returns a problem
    or None. ``definition(version)`` gives stored definitions (None if unknown).
    """
    if item is None or not item.get("organization"):
        return None
    cal, org = definition(item["calendar"]), definition(item["organization"])
    if not isinstance(cal, Calendar) or not isinstance(org, Organization):
        return f"{data.get('item_id')}: calendar or organization definition is not stored"
    spec = cal.item(item["item"])
    if spec is None:
        return f"{data.get('item_id')}: no item '{item['item']}' in calendar {cal.version[:12]}"
    scopes = subject_scopes(org, spec.per, item["subject"])
    assignments = list(assignments)
    if kind == "calendar.item_opened":
        from workflow.ledger import parse_instant

        want = resolve(assignments, spec.responsible_roles, scopes, parse_instant(data["resolved_at"]))
        if want != data["responsible"]:
            return (f"{data['item_id']} names {[r['person'] for r in data['responsible']]} as responsible; "
                    f"the assignments then give {[r['person'] for r in want]}")
        return None
    if role not in spec.responsible_roles or not [
            a for a in assignments if a.person == actor and a.role == role and a.scope in scopes
            and a.valid_at(moment)]:
        return (f"{actor} did not hold a responsible role ({', '.join(spec.responsible_roles)}) for "
                f"{data.get('item_id')} at {moment.isoformat()} (recorded role: {role})")
    return None


_CHECKED_CLOSINGS = ("calendar.item_opened", "calendar.report_submitted", "calendar.checkpoint_recorded",
                     "calendar.extra_round_recorded")


class CalendarExtension(FoldExtension):
    """Folds ``calendar.*`` records for the audit: item states, and who was named
    and who closed each item checked against the role assignments of the time."""

    name = "calendar"
    prefixes = ("calendar.",)

    def __init__(self) -> None:
        self.state = CalendarFold()

    def apply(self, fold: Fold, rec) -> None:
        before = len(self.state.problems)
        self.state.apply(rec.kind, rec.seq, rec.at, rec.actor, rec.data)
        for _seq, message in self.state.problems[before:]:
            fold.finding("calendar", rec, message)
        if rec.kind in _CHECKED_CLOSINGS:
            problem = audit_record(self.state.items.get(rec.data["item_id"]), rec.kind, rec.actor, rec.role,
                                   rec.moment, rec.data, fold.assignments.values(), fold.definition)
            if problem:
                fold.finding("authority", rec, problem)

    def snapshot(self, fold: Fold) -> dict:
        return {iid: dict(item) for iid, item in sorted(self.state.items.items())}
