"""Calendar audit findings carry Thai text for officers (``Finding.message_th``).

A forger appends calendar records with a correct hash chain (as in
``test_calendar_audit``) and edits a calendar table: every finding the calendar
rules, the calendar's authority check and the calendar tables' comparison
produce has a Thai text, and ``Finding.text('th')`` gives it.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from engine.audit.live import verify
from engine.calendar import tick
from tests.audit_helpers import at_seq, attack
from tests.calendar_helpers import bkk
from tests.test_calendar_audit import H1, H2, OFFICER, TASK, forge, h1_openings, opening
from workflow.ledger import Entry, format_instant

THAI = re.compile("[\u0e00-\u0e7f]")


@pytest.fixture
def february(app, clock):
    """The calendar ticked up to 28 February 2570 BE: H1 reports not yet open."""
    for moment in (bkk(2026, 11, 20, 10), bkk(2027, 1, 1), bkk(2027, 2, 28)):
        clock.set(moment)
        tick(app)
    assert verify(app).ok
    return app


def _from_the_calendar(report) -> list:
    """Findings of the calendar rules, of the authority check of calendar records and of the calendar tables."""
    return [f for f in report.findings if f.kind in ("calendar", "authority")
            or (f.kind == "projection" and ("calendar" in f.message or "reminder" in f.message))]


def test_every_calendar_finding_has_a_thai_text(february, clock, db_url):
    skipped = "2570/semiannual_report/h1/task_quality_assurance"
    forged = h1_openings(february, bkk(2027, 3, 1), skip=skipped,
                         **{TASK: {"due_on": "2027-04-30", "kind": "checkpoint", "resolved_at": format_instant(bkk(2027, 2, 1))}})
    forged.append(opening(february, f"2570/semiannual_report/h3/{TASK}", bkk(2027, 3, 1)))
    forge(db_url, forged)
    submit = {"kind": "calendar.report_submitted", "role": "responsible_officer", "process": f"2570/{TASK}"}
    base = {"actor": "system", "role": "system", "responsible": OFFICER, "process": f"2570/{TASK}"}
    forge(db_url, [
        opening(february, H1, bkk(2027, 3, 2)),  # created twice
        Entry(kind="calendar.reminder_queued", at=bkk(2027, 3, 2, 1), data={  # for no item
            "item_id": H2, "days_before": 14, "superseded": [], "due_on": "2027-09-30", "to": []}, **base),
        Entry(kind="calendar.reminder_queued", at=bkk(2027, 3, 2, 2), data={  # out of plan, by a person
            "item_id": H1, "days_before": 1, "superseded": [7], "due_on": "2027-03-30", "to": []},
            **(base | {"actor": OFFICER})),
        Entry(kind="calendar.item_overdue", at=bkk(2027, 3, 3), data={  # before the due day ended
            "item_id": H1, "due_on": "2027-03-31", "responsible": [], "escalated_to": [], "to": []}, **base),
        Entry(actor="deputy_4", responsible=OFFICER, at=bkk(2027, 3, 4, 10), data={  # not theirs, wrong flag
            "item_id": H1, "late": True, "due_on": "2027-03-31", "evidence": {"summary": "ปลอม"}}, **submit),
        Entry(actor=OFFICER, responsible=OFFICER, at=bkk(2027, 3, 4, 11), data={  # never opened
            "item_id": H2, "late": False, "due_on": "2027-09-30", "evidence": {"summary": "ปลอม"}}, **submit),
        Entry(kind="calendar.started", at=bkk(2027, 3, 5), actor="admin_1", role="admin", data={  # twice
            "started_at": "2027-03-04T00:00:00Z", "fiscal_year": 2569, "calendar": "0" * 64}),
    ])
    with attack(db_url) as conn:  # and the table says an open item was done
        conn.execute(text("UPDATE calendar_items SET status = 'done' WHERE id = :i"),
                     {"i": "2570/director_supervision/r1/mission_administration"})
    report = verify(february)
    found = _from_the_calendar(report)
    assert {f.kind for f in found} == {"calendar", "authority", "projection"}, report.findings
    assert len([f for f in found if f.kind == "calendar"]) >= 15, found
    untranslated = [f.message for f in found if not THAI.search(f.message_th)]
    assert not untranslated, untranslated
    for f in found:  # Thai for officers; the English stays for logs and tests
        assert f.text("th") == f.message_th and f.text("en") == f.message and f.message_th != f.message


def test_the_thai_text_of_a_duplicate_item(february, clock, db_url):
    forge(db_url, h1_openings(february, bkk(2027, 3, 1)))
    [again] = forge(db_url, [opening(february, H1, bkk(2027, 3, 2))])
    report = verify(february)
    [finding] = at_seq(report.findings, again, "calendar")
    assert finding.text("en") == f"calendar item {H1} created twice"
    assert finding.text("th") == f"สร้างรายการในปฏิทิน {H1} ซ้ำ"


def test_the_thai_text_of_a_wrong_due_date_keeps_the_dates_as_recorded(february, clock, db_url):
    seqs = forge(db_url, h1_openings(february, bkk(2027, 3, 1), **{TASK: {"due_on": "2027-04-30"}}))
    report = verify(february)
    [finding] = [f for f in report.findings if f.kind == "calendar" and f.seq in seqs]
    version = february.active().calendar.version[:12]
    assert finding.message == f"{H1}: due_on is 2027-04-30; calendar {version} gives 2027-03-31"
    assert finding.text("th") == f"{H1}: due_on เป็น 2027-04-30 แต่ปฏิทิน {version} กำหนด 2027-03-31"


def test_the_thai_text_of_a_tick_that_skipped_an_item(february, clock, db_url):
    skipped = "2570/semiannual_report/h1/task_quality_assurance"
    seqs = forge(db_url, h1_openings(february, bkk(2027, 3, 1), skip=skipped))
    report = verify(february)
    [finding] = at_seq(report.findings, seqs[-1], "calendar")
    assert finding.text("th") == (f"ไม่พบรายการ {skipped}: การตรวจปฏิทิน (tick) เมื่อ 2027-03-01 00:00 น. "
                                  "เวลากรุงเทพฯ ไม่ได้สร้างรายการนี้ ทั้งที่เปิดรอบเมื่อ 2027-03-01 00:00 น. เวลากรุงเทพฯ")
