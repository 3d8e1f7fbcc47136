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
from dataclasses import dataclass

from workflow.authority import Assignment, holders
from workflow.definitions import Calendar, CalendarItemSpec, MonthDay, Organization, RoundSpec
from workflow.fiscal import BANGKOK, fiscal_year_be, fiscal_year_bounds

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
    return dt.datetime.combine(day, dt.time(0), BANGKOK).astimezone(dt.UTC)


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


def occurrence(item: CalendarItemSpec, round_id: str, subject: str, fy_be: int) -> Occurrence | None:
    """The one occurrence ``occurrences`` gives for this round and subject (None if the item has no such
    round; whether the subject is one of the organization's is ``subjects``' question)."""
    rnd = next((r for r in item.rounds if r.id == round_id), None)
    if rnd is None:
        return None
    return Occurrence(fy_be, item, rnd, subject, day_in_fiscal_year(fy_be, rnd.opens),
                      day_in_fiscal_year(fy_be, rnd.due))


def not_applicable_at_start(occ: Occurrence, started_at: dt.datetime) -> bool:
    """An occurrence already past due when the calendar started is recorded as not applicable."""
    return occ.overdue_at <= started_at


def responsible_moment(occ: Occurrence, started_at: dt.datetime) -> dt.datetime:
    """Whose role counts for an opening: the holders when the window opened, or at the start if later."""
    return max(occ.opens_at, started_at)


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
