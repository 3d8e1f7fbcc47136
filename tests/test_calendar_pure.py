"""The calendar as pure computation: days, windows, reminders (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from definitions import shipped_texts
from tests.calendar_helpers import bkk
from workflow.calendar import schedule as wc
from workflow.definitions import MonthDay
from workflow.errors import DefinitionError
from workflow.reader import load_definition


def shipped():
    loaded = {d.kind: d for d in (load_definition(text, name) for name, text in shipped_texts())}
    return loaded["calendar"], loaded["organization"]


def test_fiscal_year_days_and_the_leap_february():
    assert wc.day_in_fiscal_year(2570, MonthDay(10, 1)) == dt.date(2026, 10, 1)
    assert wc.day_in_fiscal_year(2570, MonthDay(3, 31)) == dt.date(2027, 3, 31)
    assert wc.day_in_fiscal_year(2570, MonthDay(9, 30)) == dt.date(2027, 9, 30)
    # 29 February exists in FY 2571 (2028 is a leap year); in FY 2570 it falls on the 28th
    assert wc.day_in_fiscal_year(2571, MonthDay(2, 29)) == dt.date(2028, 2, 29)
    assert wc.day_in_fiscal_year(2570, MonthDay(2, 29)) == dt.date(2027, 2, 28)
    assert wc.fiscal_year_of(bkk(2027, 9, 30, 23, 59)) == 2570
    assert wc.fiscal_year_of(bkk(2027, 10, 1, 0, 0)) == 2571


def test_shipped_calendar_expands_to_every_round_and_subject():
    cal, org = shipped()
    occ = wc.occurrences(cal, org, 2570)
    by_item = {}
    for o in occ:
        by_item.setdefault(o.item.id, []).append(o)
    assert len(by_item["semiannual_report"]) == 2 * len(org.tasks) == 22
    assert len(by_item["director_supervision"]) == 2 * len(org.mission_groups) == 8
    assert len(by_item["committee_supervision"]) == 2
    assert len({o.id for o in occ}) == len(occ)
    h2 = next(o for o in occ if o.item.id == "semiannual_report" and o.round.id == "h2")
    assert (h2.opens_on, h2.due_on) == (dt.date(2027, 9, 1), dt.date(2027, 9, 30))
    # due by the end of 30 September Bangkok; overdue from 1 October 00:00 Bangkok
    assert h2.overdue_at == bkk(2027, 10, 1) == dt.datetime(2027, 9, 30, 17, 0, tzinfo=dt.timezone.utc)
    assert cal.item("director_supervision").required_count == 2
    assert cal.item("committee_supervision").minimum_count == 2


def test_reminder_plan_sends_only_the_latest_and_nothing_once_overdue():
    due = dt.date(2027, 3, 31)
    days = (14, 7, 1)
    assert wc.reminder_plan(due, days, bkk(2027, 3, 16, 23, 59), ()) == (None, [])
    assert wc.reminder_plan(due, days, bkk(2027, 3, 17), ()) == (14, [])
    assert wc.reminder_plan(due, days, bkk(2027, 3, 17, 12), {14}) == (None, [])
    # after a downtime over two reminder days: one reminder, the older one superseded
    assert wc.reminder_plan(due, days, bkk(2027, 3, 25), ()) == (7, [14])
    assert wc.reminder_plan(due, days, bkk(2027, 3, 31, 23, 59), {14, 7}) == (1, [])
    assert wc.reminder_plan(due, days, bkk(2027, 4, 1), ()) == (None, [])


def test_an_office_changes_its_dates_in_yaml_and_bad_dates_are_refused():
    cal_text = dict(shipped_texts())["definitions/calendar.yaml"]
    moved = cal_text.replace("due: {month: 3, day: 31}", "due: {month: 3, day: 15}", 1)
    cal = load_definition(moved, "calendar.yaml")
    assert cal.item("semiannual_report").rounds[0].due == MonthDay(3, 15)
    broken = cal_text.replace("due: {month: 3, day: 31}", "due: {month: 2, day: 30}", 1)
    with pytest.raises(DefinitionError) as err:
        load_definition(broken, "calendar.yaml")
    assert "due.day" in str(err.value)


@settings(max_examples=200, deadline=None)
@given(offsets=st.lists(st.integers(min_value=0, max_value=40 * 24 * 60), max_size=30),
       reminder_days=st.sets(st.integers(min_value=0, max_value=30), max_size=5))
def test_reminders_over_any_sequence_of_ticks(offsets, reminder_days):
    """However the ticks fall (often, rarely, after downtime), each reminder offset is
    handled at most once, at most one is sent per tick, none before its time or
    after the due day, and the last one due before the end is always sent."""
    due = dt.date(2027, 3, 31)
    start = bkk(2027, 3, 1)
    handled: dict[int, str] = {}
    sent_at: list[dt.datetime] = []
    for minutes in sorted(offsets):
        now = start + dt.timedelta(minutes=minutes)
        days, superseded = wc.reminder_plan(due, reminder_days, now, handled)
        for d in ([days] if days is not None else []) + superseded:
            assert d not in handled and wc.reminder_at(due, d) <= now < bkk(2027, 4, 1)
        if days is not None:
            assert all(days < d for d in superseded)
            handled[days] = "sent"
            sent_at.append(now)
        handled.update({d: "superseded" for d in superseded})
    assert len(sent_at) == len(set(sent_at))
    ticks_in_time = [start + dt.timedelta(minutes=m) for m in offsets
                     if start + dt.timedelta(minutes=m) < bkk(2027, 4, 1)]
    if ticks_in_time:
        last = max(ticks_in_time)
        due_by_last = [d for d in reminder_days if wc.reminder_at(due, d) <= last]
        if due_by_last:
            assert handled.get(min(due_by_last)) == "sent"
