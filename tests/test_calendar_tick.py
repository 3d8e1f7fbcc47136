"""tick(now) on SQLite and PostgreSQL: a whole fiscal year, its edges, catch-up,
a responsible officer replaced mid-year, a measure adopted mid-year."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from engine.audit.live import verify
from engine.calendar import tick
from engine.calendar_items import calendar_view, record_checkpoint, submit_report
from tests.calendar_helpers import bkk, per_item_counts
from workflow.errors import EvidenceInvalid, NotAllowed, Refused

TASK = "task_teacher_welfare"
OFFICER = "officer_teacher_welfare"
H1 = f"2570/semiannual_report/h1/{TASK}"
H2 = f"2570/semiannual_report/h2/{TASK}"
LATE_TASK = "task_cooperation_network"
ADMIN_GROUP = "mission_administration"
GROUP_R1 = f"2570/director_supervision/r1/{ADMIN_GROUP}"
COMMITTEE_R1 = "2570/committee_supervision/r1/office"
COMMITTEE_R2 = "2570/committee_supervision/r2/office"

GROUP_TASKS = [{"task": "task_cooperation_network", "findings": "มีผู้แทนภายนอกครบ", "advice": "ประชาสัมพันธ์เพิ่ม"},
               {"task": "task_teacher_welfare", "findings": "ประชุมตามแผน", "advice": "สรุปผลให้ทันเวลา"}]


def _run_day(app, clock, day: dt.date, seen: dict) -> None:
    clock.set(bkk(day.year, day.month, day.day))
    result = tick(app)
    for iid in result.opened:
        seen[("opened", iid)].append(day)
    for iid, days in result.reminders:
        seen[("reminder", iid, days)].append(day)
    for iid in result.overdue:
        seen[("overdue", iid)].append(day)
    for pid in result.processes_opened:
        seen[("process", pid)].append(day)


def test_a_whole_fiscal_year(app, clock):
    clock.set(bkk(2026, 11, 20, 10))
    first = tick(app)
    assert first.started and len(first.processes_opened) == 11 and not first.opened
    seen: dict = defaultdict(list)
    actions = {
        dt.date(2027, 2, 15): lambda: record_checkpoint(app, GROUP_R1, "deputy_4", {
            "findings": "ดำเนินการตามมาตรการ", "advice": "ติดตามต่อเนื่อง", "tasks": GROUP_TASKS}),
        dt.date(2027, 3, 10): lambda: submit_report(app, 2570, TASK, "H1", OFFICER, "สรุปผล ๖ เดือน"),
        dt.date(2027, 3, 20): lambda: record_checkpoint(app, COMMITTEE_R1, "ktpn_1", {
            "findings": "มีส่วนร่วมครบ", "advice": "เพิ่มช่องทางรับฟัง"}),
        dt.date(2027, 4, 5): lambda: submit_report(app, 2570, LATE_TASK, "h1", "officer_cooperation_network",
                                                   "ส่งช้า"),
    }
    day = dt.date(2026, 11, 21)
    while day <= dt.date(2027, 10, 1):
        _run_day(app, clock, day, seen)
        if day in actions:
            clock.set(bkk(day.year, day.month, day.day, 10))
            rec = actions[day]()
            assert rec.data["late"] is (day == dt.date(2027, 4, 5))
            assert tick(app).records == 0  # a second tick the same day does nothing
        day += dt.timedelta(days=1)

    d = dt.date
    # reports: open on 1 March, reminders 14/7/1 days before 31 March, overdue on 1 April
    assert seen[("opened", H1)] == [d(2027, 3, 1)]
    assert not [k for k in seen if k[0] == "reminder" and k[1] == H1]  # submitted before any reminder
    other = "2570/semiannual_report/h1/task_quality_assurance"
    assert seen[("reminder", other, 14)] == [d(2027, 3, 17)]
    assert seen[("reminder", other, 7)] == [d(2027, 3, 24)]
    assert seen[("reminder", other, 1)] == [d(2027, 3, 30)]
    assert seen[("overdue", other)] == [d(2027, 4, 1)]
    assert seen[("overdue", f"2570/semiannual_report/h1/{LATE_TASK}")] == [d(2027, 4, 1)]
    assert ("overdue", H1) not in seen
    # the 12-month report: opens 1 September, overdue at 1 October 00:00 Bangkok
    assert seen[("opened", H2)] == [d(2027, 9, 1)]
    assert seen[("overdue", H2)] == [d(2027, 10, 1)]
    # checkpoints: open 1 January, the group one done in February (no reminders), the committee's
    # reminded 14 days before and done before the 3-day reminder
    assert seen[("opened", GROUP_R1)] == [d(2027, 1, 1)]
    assert not [k for k in seen if k[0] in ("reminder", "overdue") and k[1] == GROUP_R1]
    assert seen[("reminder", COMMITTEE_R1, 14)] == [d(2027, 3, 17)]
    assert ("reminder", COMMITTEE_R1, 3) not in seen
    assert seen[("reminder", COMMITTEE_R2, 3)] == [d(2027, 9, 27)]
    assert seen[("overdue", COMMITTEE_R2)] == [d(2027, 10, 1)]
    # the next fiscal year's processes open on 1 October
    assert seen[("process", f"2571/{TASK}")] == [d(2027, 10, 1)]

    counts = per_item_counts(app)
    assert counts and max(counts.values()) == 1  # everything happened exactly once
    opened = [k for k in counts if k[0] == "calendar.item_opened"]
    assert len(opened) == 32  # 22 reports + 8 group checkpoints + 2 committee rounds
    view = calendar_view(app, 2570)
    status = {i["id"]: i["status"] for i in view["items"]}
    assert status[H1] == "done" and status[f"2570/semiannual_report/h1/{LATE_TASK}"] == "done_late"
    assert status[GROUP_R1] == "done" and status[COMMITTEE_R1] == "done" and status[H2] == "overdue"
    overdue = calendar_view(app, 2570, overdue_only=True)["items"]
    assert {i["status"] for i in overdue} == {"overdue"} and len(overdue) == 32 - 4
    h2 = next(i for i in view["items"] if i["id"] == H2)
    assert [p["person"] for p in h2["responsible"]] == [OFFICER]
    assert [p["person"] for p in h2["escalated_to"]] == ["director_administration"]
    report = verify(app)
    assert report.ok, report.findings


def test_the_edges_of_the_fiscal_year(app, clock):
    clock.set(bkk(2027, 9, 2))
    tick(app)
    clock.set(bkk(2027, 9, 30, 23, 59))
    late_evening = tick(app)
    assert H2 not in late_evening.overdue and not late_evening.processes_opened
    submit_report(app, 2570, "task_quality_assurance", "h2", "officer_quality_assurance", "ทันเวลา")
    clock.set(bkk(2027, 10, 1, 0, 0))
    midnight = tick(app)
    assert H2 in midnight.overdue
    assert "2570/semiannual_report/h2/task_quality_assurance" not in midnight.overdue
    assert len(midnight.processes_opened) == 11 and all(p.startswith("2571/") for p in midnight.processes_opened)
    rec = submit_report(app, 2570, TASK, "h2", OFFICER, "ส่งหลังกำหนด")
    assert rec.data["late"] is True
    assert tick(app).records == 0


def test_a_leap_february_due_date(app, clock):
    from definitions import shipped_texts

    cal_text = dict(shipped_texts())["definitions/calendar.yaml"]
    cal_text = cal_text.replace("opens: {month: 3, day: 1}\n        due: {month: 3, day: 31}",
                                "opens: {month: 2, day: 1}\n        due: {month: 2, day: last}")
    app.register_definitions([("calendar.yaml", cal_text)])
    clock.set(bkk(2027, 2, 27))
    tick(app)
    clock.set(bkk(2027, 2, 28, 23, 59))
    assert H1 not in tick(app).overdue
    clock.set(bkk(2027, 3, 1))
    assert H1 in tick(app).overdue  # FY 2570: February 2027 has 28 days
    clock.set(bkk(2028, 2, 28, 23, 0))
    leap = tick(app)
    h1_2571 = f"2571/semiannual_report/h1/{TASK}"
    assert h1_2571 in leap.opened and h1_2571 not in leap.overdue
    clock.set(bkk(2028, 2, 29, 23, 59))
    assert h1_2571 not in tick(app).overdue  # 29 February 2028 is still in time
    clock.set(bkk(2028, 3, 1))
    assert h1_2571 in tick(app).overdue


def test_catch_up_after_downtime_spanning_due_dates(app, clock):
    clock.set(bkk(2027, 3, 2))
    assert H1 in tick(app).opened
    clock.set(bkk(2027, 3, 25, 9))  # down since 2 March: the 14- and 7-day reminders both passed
    result = tick(app)
    assert (H1, 7) in result.reminders and (H1, 14) not in result.reminders
    clock.set(bkk(2027, 11, 3))  # down again, over 31 March, the whole summer and 1 October
    result = tick(app)
    assert H1 in result.overdue and H2 in result.opened and H2 in result.overdue
    assert not [r for r in result.reminders if r[0] == H2]  # nothing to remind once overdue
    assert len(result.processes_opened) == 11  # FY 2571
    assert tick(app).records == 0
    counts = per_item_counts(app)
    assert max(counts.values()) == 1
    assert counts[("calendar.reminder_queued", H1, 7)] == 1
    assert not any(k[0] == "calendar.reminder_queued" and k[2] == 14 for k in counts if k[1] == H1)
    h1 = [r for r in app.log_records() if r.kind == "calendar.reminder_queued" and r.data["item_id"] == H1]
    assert h1[0].data["superseded"] == [14]
    assert verify(app).ok


def test_a_responsible_officer_replaced_mid_year(app, clock):
    clock.set(bkk(2027, 3, 2))
    tick(app)
    [old] = [a for a in app.people() if a["id"] == OFFICER][0]["assignments"]
    clock.set(bkk(2027, 3, 17))
    assert (H1, 14) in tick(app).reminders
    clock.set(bkk(2027, 3, 20, 9))
    app.end_assignment(old["id"])
    app.add_person("officer_new_welfare", "ผู้รับผิดชอบคนใหม่ (ตัวอย่าง)", email="new@example.org")
    app.assign_role("officer_new_welfare", "responsible_officer", TASK)
    clock.set(bkk(2027, 3, 24))
    tick(app)
    clock.set(bkk(2027, 9, 1))
    tick(app)
    reminders = [r for r in app.log_records(f"2570/{TASK}") if r.kind == "calendar.reminder_queued"]
    # the item keeps naming the officer it opened with; reminders reach whoever holds the role now
    assert [(r.data["days_before"], r.data["to"], r.responsible) for r in reminders[:2]] == [
        (14, [OFFICER], OFFICER), (7, ["officer_new_welfare"], OFFICER)]
    view = {i["id"]: i for i in calendar_view(app, 2570)["items"]}
    assert [p["person"] for p in view[H1]["responsible"]] == [OFFICER]
    assert [p["person"] for p in view[H2]["responsible"]] == ["officer_new_welfare"]
    opened = {r.data["item_id"]: r for r in app.log_records(f"2570/{TASK}") if r.kind == "calendar.item_opened"}
    assert opened[H1].responsible == OFFICER and opened[H2].responsible == "officer_new_welfare"
    # closing is authorized by who holds the role now: the new officer, not the old one
    with pytest.raises(NotAllowed):
        submit_report(app, 2570, TASK, "h1", OFFICER, "ส่งแทน")
    assert submit_report(app, 2570, TASK, "h1", "officer_new_welfare", "ส่งช้า").data["late"] is True


def test_a_measure_adopted_mid_year(app, clock):
    """The seed's announcement is dated 24 April 2563 (Q3): H1 and round 1 were already due."""
    clock.set(bkk(2027, 4, 24, 10))
    first = tick(app)
    assert first.started and not first.overdue
    assert H1 in first.not_applicable and COMMITTEE_R1 in first.not_applicable
    assert H2 not in first.opened  # its window opens 1 September
    assert COMMITTEE_R2 not in first.opened
    with pytest.raises(Refused):
        submit_report(app, 2570, TASK, "h1", OFFICER, "ไม่อยู่ในรอบ")
    with pytest.raises(Refused):
        submit_report(app, 2570, TASK, "h2", OFFICER, "ยังไม่เปิด")
    clock.set(bkk(2027, 7, 1))
    assert COMMITTEE_R2 in tick(app).opened
    statuses = {i["id"]: i["status"] for i in calendar_view(app, 2570)["items"]}
    assert statuses[H1] == "not_applicable" and statuses[H2] == "scheduled"
    assert verify(app).ok


def test_closing_is_authorized_by_role_and_checked(app, clock):
    clock.set(bkk(2027, 2, 1))
    tick(app)
    with pytest.raises(NotAllowed):
        record_checkpoint(app, GROUP_R1, OFFICER, {"findings": "x", "advice": "y", "tasks": GROUP_TASKS})
    with pytest.raises(EvidenceInvalid) as err:
        record_checkpoint(app, GROUP_R1, "director_administration",
                          {"findings": "x", "advice": "y", "tasks": GROUP_TASKS[:1]})
    assert "tasks.task_teacher_welfare" in str(err.value)
    rec = record_checkpoint(app, GROUP_R1, "director_administration",
                            {"findings": "x", "advice": "y", "tasks": GROUP_TASKS})
    assert rec.role == "group_director" and rec.data["late"] is False
    with pytest.raises(Refused):
        record_checkpoint(app, GROUP_R1, "deputy_4", {"findings": "x", "advice": "y", "tasks": GROUP_TASKS})
    # the committee meets "at least twice": an extra round fits; the directors' "twice" has none
    extra = record_checkpoint(app, "2570/committee_supervision/extra", "ktpn_2", {"findings": "a", "advice": "b"})
    assert extra.data["item_id"] == "2570/committee_supervision/extra1/office"
    with pytest.raises(Refused):
        record_checkpoint(app, "2570/director_supervision/extra", "deputy_4", {"findings": "a", "advice": "b"})
    assert verify(app).ok


START, END = bkk(2026, 11, 20, 10), bkk(2027, 10, 2, 12)


def _state(app) -> dict:
    return {i["id"]: (i["status"], tuple(p["person"] for p in i["responsible"]))
            for i in calendar_view(app, 2570)["items"]}


@pytest.fixture(scope="module")
def daily_reference(tmp_path_factory):
    """The calendar after a tick every midnight from START to END (SQLite, computed once)."""
    from engine.app import Ruam
    from storage.store import Store
    from tests.conftest import Clock

    ref_clock = Clock(START)
    ref = Ruam(Store(f"sqlite:///{tmp_path_factory.mktemp('reference') / 'ruam.db'}"), clock=ref_clock)
    ref.init(demo=True)
    tick(ref)
    day = dt.date(2026, 11, 21)
    while bkk(day.year, day.month, day.day) <= END:
        ref_clock.set(bkk(day.year, day.month, day.day))
        tick(ref)
        day += dt.timedelta(days=1)
    ref_clock.set(END)
    tick(ref)
    state = _state(ref)
    ref.store.dispose()
    return state


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_tick_schedule_ends_in_the_state_of_daily_ticks(app, clock, daily_reference, seed):
    """Ticks at random moments (bursts, repeats, long gaps) reach the same calendar as
    a tick every midnight, and never do anything twice."""
    import random

    rng = random.Random(seed)
    span = int((END - START).total_seconds())
    moments = sorted(START + dt.timedelta(seconds=rng.randrange(span)) for _ in range(rng.randrange(3, 25)))
    clock.set(START)
    tick(app)
    for moment in moments:
        clock.set(moment)
        tick(app)
        if rng.random() < 0.3:
            assert tick(app).records == 0
    clock.set(END)
    tick(app)
    assert _state(app) == daily_reference
    assert len(app.processes(fiscal_year=2571)) == 11
    assert max(per_item_counts(app).values()) == 1


def test_concurrent_ticks_do_each_thing_once(app, clock):
    """Two ticks at once (a stale leader and the new one, or cron beside the service)."""
    import threading

    clock.set(bkk(2027, 3, 25))
    results, errors = [], []

    def run():
        try:
            results.append(tick(app))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(len(r.opened) for r in results) == 16 and sum(r.started for r in results) == 1
    assert max(per_item_counts(app).values()) == 1
    assert verify(app).ok
