"""The audit checks calendar records against the calendar definition (issue 4, item 1).

An honest year of ticks verifies clean; records a forger appends with a
correct hash chain (``append_forged``) are caught by the calendar rules alone
and located at their sequence numbers.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from engine.audit.live import verify
from engine.calendar import tick
from engine.calendar_items import record_checkpoint, submit_report
from tests.audit_helpers import append_forged, at_seq, attack
from tests.calendar_helpers import bkk
from workflow.calendar import schedule as wc
from workflow.ledger import Entry, format_instant

TASK = "task_teacher_welfare"
OFFICER = "officer_teacher_welfare"
H1 = f"2570/semiannual_report/h1/{TASK}"
H2 = f"2570/semiannual_report/h2/{TASK}"
GROUP = "mission_administration"
GROUP_R1 = f"2570/director_supervision/r1/{GROUP}"
COMMITTEE_R1 = "2570/committee_supervision/r1/office"
GROUP_TASKS = [{"task": "task_cooperation_network", "findings": "มีผู้แทนภายนอกครบ", "advice": "ประชาสัมพันธ์เพิ่ม"},
               {"task": TASK, "findings": "ประชุมตามแผน", "advice": "สรุปผลให้ทันเวลา"}]


def calendar_findings(report) -> list:
    return [f for f in report.findings if f.kind == "calendar"]


def _ticks(app, clock, moments) -> None:
    for moment in moments:
        clock.set(moment)
        tick(app)


def _started_at(app) -> dt.datetime:
    [started] = [r for r in app.log_records() if r.kind == "calendar.started"]
    return started.moment


def opening(app, iid: str, at: dt.datetime, **changes) -> Entry:
    """The item_opened record the tick would append for ``iid`` at ``at`` (as a careful forger copies
    it), with ``changes`` to its data."""
    defs = app.active()
    cal, org = defs.calendar, defs.organization
    fy, item, round_id, subject = iid.split("/")
    spec = cal.item(item)
    occ = wc.occurrence(spec, round_id, subject, int(fy))
    if occ is None:  # a round the calendar does not have: borrow the first round's dates
        occ = wc.occurrence(spec, spec.rounds[0].id, subject, int(fy))
    moment = wc.responsible_moment(occ, _started_at(app))
    with app.store.reading() as tx:
        assignments = tx.assignments()
    responsible = wc.resolve(assignments, spec.responsible_roles, wc.subject_scopes(org, spec.per, subject), moment)
    data = {"item_id": iid, "fiscal_year": int(fy), "item": item, "round": round_id, "subject": subject,
            "kind": spec.kind, "calendar": cal.version, "organization": org.version,
            "opens_on": occ.opens_on.isoformat(), "due_on": occ.due_on.isoformat(),
            "responsible": responsible, "resolved_at": format_instant(moment)} | changes
    return Entry(kind="calendar.item_opened", at=at, actor="system", role="system",
                 responsible=responsible[0]["person"] if responsible else None,
                 process=f"{fy}/{subject}" if spec.per == "task" else None, data=data)


def h1_openings(app, at: dt.datetime, *, skip: str | None = None, **changes_for) -> list[Entry]:
    """A whole forged tick at ``at`` opening every H1 report (minus ``skip``); ``changes_for[task]``
    alters one task's record."""
    out = []
    for task in app.active().organization.tasks:
        iid = f"2570/semiannual_report/h1/{task.id}"
        if iid != skip:
            out.append(opening(app, iid, at, **changes_for.get(task.id, {})))
    return out


def forge(db_url, entries: list[Entry]) -> list[int]:
    with attack(db_url) as conn:
        return [append_forged(conn, e).seq for e in entries]


def only_at(report, seqs: set[int], kind: str = "calendar") -> list:
    """The findings of ``kind``; asserts none is elsewhere than at ``seqs``."""
    found = [f for f in report.findings if f.kind == kind]
    assert {f.seq for f in found} <= seqs, found
    return found


# --------------------------------------------------------------------------- honest ledgers

YEAR = [bkk(2026, 11, 20, 10), bkk(2027, 1, 1), bkk(2027, 1, 1, 0, 15), bkk(2027, 2, 14), bkk(2027, 3, 1),
        bkk(2027, 3, 10, 9), bkk(2027, 3, 25, 12), bkk(2027, 4, 1), bkk(2027, 4, 1, 8), bkk(2027, 6, 30, 23, 59),
        bkk(2027, 7, 1), bkk(2027, 9, 1), bkk(2027, 9, 16), bkk(2027, 9, 28), bkk(2027, 10, 1), bkk(2027, 10, 2)]


def test_an_honest_year_of_ticks_verifies_clean(app, clock):
    _ticks(app, clock, YEAR[:4])
    clock.set(bkk(2027, 2, 15, 10))
    record_checkpoint(app, GROUP_R1, "deputy_4", {"findings": "ตามแผน", "advice": "ต่อเนื่อง", "tasks": GROUP_TASKS})
    record_checkpoint(app, "2570/committee_supervision/extra", "ktpn_2", {"findings": "ก", "advice": "ข"})
    record_checkpoint(app, "2570/committee_supervision/extra", "ktpn_1", {"findings": "ค", "advice": "ง"})
    _ticks(app, clock, YEAR[4:6])
    clock.set(bkk(2027, 3, 20, 10))
    submit_report(app, 2570, TASK, "h1", OFFICER, "สรุปผล ๖ เดือน")
    _ticks(app, clock, YEAR[6:9])
    clock.set(bkk(2027, 4, 5, 10))
    late = submit_report(app, 2570, "task_cooperation_network", "h1", "officer_cooperation_network", "ส่งช้า")
    assert late.data["late"] is True
    _ticks(app, clock, YEAR[9:])
    kinds = {r.kind for r in app.log_records() if r.kind.startswith("calendar.")}
    assert kinds == {"calendar.started", "calendar.item_opened", "calendar.reminder_queued", "calendar.item_overdue",
                     "calendar.report_submitted", "calendar.checkpoint_recorded", "calendar.extra_round_recorded"}
    # down from 10 to 25 March: one reminder, the 14-day one superseded (the "latest only" rule)
    assert [r.data["superseded"] for r in app.log_records()
            if r.kind == "calendar.reminder_queued" and r.data["item_id"] == f"2570/semiannual_report/h1/{TASK}"] == []
    assert any(r.data["superseded"] == [14] for r in app.log_records() if r.kind == "calendar.reminder_queued")
    report = verify(app)
    assert report.ok, list(report.findings)
    assert report.checks["calendar"] == "done" and "unchecked" not in report.checks


def test_a_measure_adopted_mid_year_verifies_clean(app, clock):
    """Started after H1 and round 1 were due: not applicable, not missing, not overdue."""
    _ticks(app, clock, [bkk(2027, 4, 24, 10), bkk(2027, 7, 1), bkk(2027, 9, 29), bkk(2027, 10, 1)])
    kinds = [r.kind for r in app.log_records() if r.kind.startswith("calendar.")]
    assert "calendar.item_not_applicable" in kinds
    report = verify(app)
    assert report.ok, list(report.findings)


@pytest.mark.parametrize("seed", [7, 8])
def test_random_tick_schedules_verify_clean(app, clock, seed):
    """Bursts, repeats and long downtimes (catch-up, superseded reminders) all satisfy the rules."""
    rng = random.Random(seed)
    start, end = bkk(2026, 12, 20), bkk(2028, 1, 10)
    span = int((end - start).total_seconds())
    moments = sorted(start + dt.timedelta(seconds=rng.randrange(span)) for _ in range(rng.randrange(6, 20)))
    _ticks(app, clock, [start, *moments, end])
    report = verify(app)
    assert report.ok, list(report.findings)


# --------------------------------------------------------------------------- forged records

@pytest.fixture
def february(app, clock):
    """The calendar ticked up to 28 February 2570 BE: H1 reports not yet open."""
    _ticks(app, clock, [bkk(2026, 11, 20, 10), bkk(2027, 1, 1), bkk(2027, 2, 28)])
    assert verify(app).ok
    return app


def test_a_wrong_due_date_is_reported_with_its_seq(february, clock, db_url):
    seqs = forge(db_url, h1_openings(february, bkk(2027, 3, 1), **{TASK: {"due_on": "2027-04-30"}}))
    report = verify(february)
    [wrong] = [s for s, e in zip(seqs, h1_openings(february, bkk(2027, 3, 1))) if e.data["item_id"] == H1]
    [finding] = only_at(report, {wrong})
    assert "due_on is 2027-04-30" in finding.message and "gives 2027-03-31" in finding.message


def test_an_item_for_a_round_the_calendar_does_not_have(february, clock, db_url):
    forged = h1_openings(february, bkk(2027, 3, 1))
    forged.append(opening(february, f"2570/semiannual_report/h3/{TASK}", bkk(2027, 3, 1)))
    seqs = forge(db_url, forged)
    report = verify(february)
    [finding] = only_at(report, {seqs[-1]})
    assert "has no round 'h3'" in finding.message and "rounds: h1, h2" in finding.message


def test_an_item_for_a_fiscal_year_before_the_calendar_started(february, clock, db_url):
    iid = f"2569/semiannual_report/h1/{TASK}"
    [seq] = forge(db_url, [opening(february, iid, bkk(2027, 2, 28, 12))])
    report = verify(february)
    found = only_at(report, {seq})
    assert any("fiscal year 2569 is outside the calendar's span" in f.message and "from 2570" in f.message
               for f in found), found


def test_a_duplicate_item_is_reported(february, clock, db_url):
    seqs = forge(db_url, h1_openings(february, bkk(2027, 3, 1)))
    [again] = forge(db_url, [opening(february, H1, bkk(2027, 3, 2))])
    report = verify(february)
    [finding] = only_at(report, {again})
    assert f"calendar item {H1} created twice" in finding.message
    assert not at_seq(report.findings, seqs[0], "calendar")


def test_an_item_created_before_its_window_opens(february, clock, db_url):
    """The forger opens the H1 reports on 28 February at 23:00 Bangkok: one hour early."""
    seqs = forge(db_url, h1_openings(february, bkk(2027, 2, 28, 23)))
    report = verify(february)
    found = only_at(report, set(seqs))
    assert len(found) == len(seqs)
    assert all("before its window opens (2027-03-01 00:00 Bangkok)" in f.message for f in found)


def test_an_item_recorded_not_applicable_that_should_have_opened(february, clock, db_url):
    honest = opening(february, H1, bkk(2027, 3, 1))
    data = {k: v for k, v in honest.data.items() if k not in ("responsible", "resolved_at")}
    data |= {"reason": "started_after_due", "started_at": format_instant(_started_at(february))}
    forged = [e for e in h1_openings(february, bkk(2027, 3, 1)) if e.data["item_id"] != H1]
    forged.append(Entry(kind="calendar.item_not_applicable", at=bkk(2027, 3, 1), actor="system", role="system",
                        process=honest.process, data=data))
    seqs = forge(db_url, forged)
    report = verify(february)
    [finding] = only_at(report, {seqs[-1]})
    assert "recorded not applicable" in finding.message and "it should have opened" in finding.message


def test_a_submission_before_its_item_opened(february, clock, db_url):
    """Two forgeries: a report for an item no record opened, and one stamped before the opening it follows."""
    seqs = forge(db_url, h1_openings(february, bkk(2027, 3, 1)))
    evidence = {"summary": "ย้อนหลัง"}
    early = Entry(kind="calendar.report_submitted", at=bkk(2027, 2, 20, 10), actor=OFFICER,
                  role="responsible_officer", responsible=OFFICER, process=f"2570/{TASK}",
                  data={"item_id": H1, "late": False, "due_on": "2027-03-31", "evidence": evidence})
    unopened = Entry(kind="calendar.report_submitted", at=bkk(2027, 3, 2, 10), actor=OFFICER,
                     role="responsible_officer", responsible=OFFICER, process=f"2570/{TASK}",
                     data={"item_id": H2, "late": False, "due_on": "2027-09-30", "evidence": evidence})
    early_seq, unopened_seq = forge(db_url, [early, unopened])
    report = verify(february)
    found = only_at(report, {early_seq, unopened_seq})
    assert any("before the item was opened" in f.message for f in at_seq(found, early_seq))
    assert any("before its window opens (2027-03-01 00:00 Bangkok)" in f.message for f in at_seq(found, early_seq))
    assert [f.message for f in at_seq(found, unopened_seq)] == [
        f"{H2} completed but it was not open: no record before this one opened it"]
    assert not at_seq(report.findings, seqs[0], "calendar")


def test_a_second_submission_and_a_wrong_late_flag(february, clock, db_url):
    forge(db_url, h1_openings(february, bkk(2027, 3, 1)))
    submit = {"kind": "calendar.report_submitted", "actor": OFFICER, "role": "responsible_officer",
                  "responsible": OFFICER, "process": f"2570/{TASK}"}
    on_time = Entry(at=bkk(2027, 3, 31, 23, 59), data={"item_id": H1, "late": True, "due_on": "2027-03-31",
                                                        "evidence": {"summary": "ทันเวลา"}}, **submit)
    again = Entry(at=bkk(2027, 3, 31, 23, 59), data={"item_id": H1, "late": False, "due_on": "2027-03-31",
                                                      "evidence": {"summary": "อีกครั้ง"}}, **submit)
    first, second = forge(db_url, [on_time, again])
    report = verify(february)
    found = only_at(report, {first, second})
    assert [f.message for f in at_seq(found, first)] == [
        f"{H1}: late is True; closed at 2027-03-31 23:59 Bangkok, before its due day 2027-03-31 ended, it is False"]
    assert [f.message for f in at_seq(found, second)] == [f"{H1} completed but it was not open: it was done already"]


def test_an_overdue_flag_before_the_due_day_ended(february, clock, db_url):
    forge(db_url, h1_openings(february, bkk(2027, 3, 1)))
    # stamped before any reminder was due, so this forged "tick" owed nothing else
    early = Entry(kind="calendar.item_overdue", at=bkk(2027, 3, 15, 10), actor="system", role="system",
                  responsible=OFFICER, process=f"2570/{TASK}",
                  data={"item_id": H1, "due_on": "2027-03-31", "responsible": [], "escalated_to": [], "to": []})
    [seq] = forge(db_url, [early])
    report = verify(february)
    [finding] = only_at(report, {seq})
    assert "flagged overdue at 2027-03-15 10:00 Bangkok, before its due day 2027-03-31 ended" in finding.message


def test_a_reminder_out_of_plan_and_one_for_no_item(app, clock, db_url):
    _ticks(app, clock, [bkk(2027, 3, 1), bkk(2027, 3, 17)])  # the 14-day reminders went out on 17 March
    base = {"kind": "calendar.reminder_queued", "actor": "system", "role": "system", "responsible": OFFICER,
                "process": f"2570/{TASK}"}
    early = Entry(at=bkk(2027, 3, 20), data={"item_id": H1, "days_before": 1, "superseded": [7],
                                             "due_on": "2027-03-31", "to": [OFFICER]}, **base)
    ghost = Entry(at=bkk(2027, 3, 20), data={"item_id": H2, "days_before": 14, "superseded": [],
                                             "due_on": "2027-09-30", "to": [OFFICER]}, **base)
    early_seq, ghost_seq = forge(db_url, [early, ghost])
    report = verify(app)
    found = only_at(report, {early_seq, ghost_seq})
    [plan] = at_seq(found, early_seq)
    assert "reminder 1 day(s) before (superseding [7]) queued at 2027-03-20 00:00 Bangkok, but none was due" \
        in plan.message and "already handled: [14]" in plan.message
    assert [f.message for f in at_seq(found, ghost_seq)] == [
        f"a reminder for {H2}, which no earlier record created"]


def test_a_tick_that_skipped_an_item_is_reported_at_its_last_record(february, clock, db_url):
    skipped = "2570/semiannual_report/h1/task_quality_assurance"
    seqs = forge(db_url, h1_openings(february, bkk(2027, 3, 1), skip=skipped))
    report = verify(february)
    [finding] = only_at(report, {seqs[-1]})
    assert finding.message == (f"{skipped} is missing: the tick at 2027-03-01 00:00 Bangkok did not create it, "
                               "though its window opened 2027-03-01 00:00 Bangkok")


def test_a_tick_that_skipped_an_overdue_flag(app, clock, db_url):
    _ticks(app, clock, [bkk(2027, 3, 1), bkk(2027, 3, 30, 12)])
    with app.store.reading() as tx:
        rows = [r for r in tx.calendar_items(status=wc.OPEN) if r["due_on"] == dt.date(2027, 3, 31)]
    flags = [Entry(kind="calendar.item_overdue", at=bkk(2027, 4, 1), actor="system", role="system",
                   responsible=(r["responsible"][0]["person"] if r["responsible"] else None),
                   process=f"2570/{r['subject']}" if r["per"] == "task" else None,
                   data={"item_id": r["id"], "due_on": "2027-03-31", "responsible": r["responsible"],
                         "escalated_to": [], "to": []})
             for r in rows if r["id"] != H1]
    seqs = forge(db_url, flags)
    report = verify(app)
    [finding] = only_at(report, {seqs[-1]})
    assert finding.message == (f"{H1}: the tick at 2027-04-01 00:00 Bangkok did not flag it overdue; it is due by "
                               "the end of 2027-03-31 (overdue from 2027-04-01 00:00 Bangkok)")


def test_items_missing_at_the_end_of_the_ledger(february, clock):
    """No tick since 28 February, yet the ledger goes on to 2 March: the H1 reports should exist by then."""
    clock.set(bkk(2027, 3, 2, 9))
    rec = february.add_person("late_comer", "ผู้มาใหม่ (ตัวอย่าง)")
    report = verify(february)
    found = only_at(report, {rec.seq})
    assert len(found) == len(february.active().organization.tasks)
    assert all("before the ledger's last record (2027-03-02 09:00 Bangkok)" in f.message for f in found)
    assert any(f.message.startswith(f"{H1} is missing: its window opened 2027-03-01 00:00 Bangkok") for f in found)
    clock.set(bkk(2027, 3, 2, 10))
    tick(february)  # the calendar catches up: nothing is missing any more
    assert verify(february).ok


def test_the_pure_occurrence_is_the_one_occurrences_gives(app):
    defs = app.active()
    for fy in (2570, 2571):
        for occ in wc.occurrences(defs.calendar, defs.organization, fy):
            assert wc.occurrence(occ.item, occ.round.id, occ.subject, fy) == occ
    assert wc.occurrence(defs.calendar.item("semiannual_report"), "h3", TASK, 2570) is None


NEW_ITEM = """  - id: annual_publication
    kind: report
    per: office
    title: {th: เผยแพร่ผลการดำเนินงานประจำปี, en: Yearly publication}
    responsible_roles: [esa_director]
    escalate_to: [esa_director]
    reminder_days: [7]
    required_count: 1
    rounds:
      - id: y
        title: {th: ประจำปี, en: Yearly}
        opens: {month: 10, day: 1}
        due: {month: 11, day: 30}
"""


def test_a_calendar_loaded_mid_year_verifies_clean_before_and_after_the_next_tick(app, clock):
    """A new item takes effect at the next tick, which also creates it for the earlier fiscal years of the
    calendar (here FY 2570, opened and at once overdue): the audit holds the tick to that, no more."""
    from definitions import shipped_texts

    _ticks(app, clock, [bkk(2026, 11, 20, 10), bkk(2027, 3, 1), bkk(2027, 10, 2)])
    text = dict(shipped_texts())["definitions/calendar.yaml"]
    text = text.replace("  - id: committee_supervision\n", NEW_ITEM + "  - id: committee_supervision\n")
    clock.set(bkk(2027, 10, 5))
    app.register_definitions([("calendar.yaml", text)])
    assert verify(app).ok  # loaded, not yet ticked: nothing it adds is missing yet
    clock.set(bkk(2027, 10, 6))
    result = tick(app)
    assert result.opened == ["2570/annual_publication/y/office", "2571/annual_publication/y/office"]
    assert result.overdue == ["2570/annual_publication/y/office"]
    report = verify(app)
    assert report.ok, list(report.findings)


def test_a_tick_after_a_calendar_change_must_create_what_the_new_calendar_adds(app, clock, db_url):
    from definitions import shipped_texts

    _ticks(app, clock, [bkk(2026, 11, 20, 10), bkk(2027, 10, 2)])
    text = dict(shipped_texts())["definitions/calendar.yaml"]
    clock.set(bkk(2027, 10, 5))
    app.register_definitions([("calendar.yaml", text.replace("  - id: committee_supervision\n",
                                                             NEW_ITEM + "  - id: committee_supervision\n"))])
    # a forged tick on 6 October that creates only the new year's publication, not FY 2570's
    [seq] = forge(db_url, [opening(app, "2571/annual_publication/y/office", bkk(2027, 10, 6))])
    report = verify(app)
    [finding] = only_at(report, {seq})
    assert finding.message.startswith("2570/annual_publication/y/office is missing: the tick at 2027-10-06")


def test_as_of_replays_check_the_calendar_up_to_the_last_record_folded(app, clock):
    """As of midday 1 March the H1 windows had opened but no tick had run since 28 February: the replay
    holds the ledger to its last folded record, not to the as-of moment."""
    from engine.audit.live import replay_as_of

    _ticks(app, clock, [bkk(2026, 11, 20, 10), bkk(2027, 2, 28), bkk(2027, 3, 2), bkk(2027, 3, 17)])
    before = replay_as_of(app, bkk(2027, 3, 1, 12))
    assert before["ledger_ok"] and H1 not in before["calendar"] and GROUP_R1 in before["calendar"]
    after = replay_as_of(app, bkk(2027, 3, 2, 12))
    assert after["ledger_ok"] and after["calendar"][H1]["status"] == "open"
    assert verify(app).ok


def test_a_tick_that_skipped_a_reminder(app, clock, db_url):
    """A forged tick on 17 March queues the 14-day reminder for every open item but one."""
    _ticks(app, clock, [bkk(2027, 3, 1), bkk(2027, 3, 16, 12)])
    with app.store.reading() as tx:
        rows = [r for r in tx.calendar_items(status=wc.OPEN) if r["due_on"] == dt.date(2027, 3, 31)]
    assert len(rows) == 11 + 4 + 1
    reminders = [Entry(kind="calendar.reminder_queued", at=bkk(2027, 3, 17), actor="system", role="system",
                       responsible=(r["responsible"][0]["person"] if r["responsible"] else None),
                       process=f"2570/{r['subject']}" if r["per"] == "task" else None,
                       data={"item_id": r["id"], "days_before": 14, "superseded": [], "due_on": "2027-03-31",
                             "to": []})
                 for r in rows if r["id"] != H1]
    seqs = forge(db_url, reminders)
    report = verify(app)
    [finding] = only_at(report, {seqs[-1]})
    assert finding.message == (f"{H1}: the tick at 2027-03-17 00:00 Bangkok did not queue the reminder 14 day(s) "
                               "before its due day 2027-03-31 (due at 2027-03-17 00:00 Bangkok)")


def test_the_partitioned_audit_sees_every_calendar_record(app, clock, db_url):
    """Per-task calendar records name their process (FY/task); with workers they must still reach the
    calendar fold, or its items look missing and the calendar tables unrecorded."""
    _ticks(app, clock, [bkk(2026, 11, 20, 10), bkk(2027, 3, 1), bkk(2027, 4, 1)])
    assert verify(app).ok
    report = verify(app, workers=3)
    assert report.ok, list(report.findings)
    [seq] = forge(db_url, [Entry(kind="calendar.report_submitted", at=bkk(2027, 3, 20, 10), actor=OFFICER,
                                 role="responsible_officer", responsible=OFFICER, process=f"2570/{TASK}",
                                 data={"item_id": H1, "late": True, "due_on": "2027-03-31",
                                       "evidence": {"summary": "ย้อนหลัง"}})])
    one, parts = verify(app, workers=1), verify(app, workers=3)
    assert [f.message for f in calendar_findings(parts)] == [f.message for f in calendar_findings(one)] == [
        f"{H1}: late is True; closed at 2027-03-20 10:00 Bangkok, before its due day 2027-03-31 ended, it is False"]
    assert calendar_findings(parts)[0].seq == seq
