"""Dates bounded by sense: not in the future, not years before the process's fiscal year (the
rule in the definition), a document number's year agreeing with its date, a checkpoint held
inside its fiscal year — each refused with a Thai sentence and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.audit.live import verify
from engine.calendar import tick
from engine.calendar_items import record_checkpoint
from tests import steps
from tests.steps import DIRECTOR, OFFICER, PROCESS
from workflow.errors import EvidenceInvalid
from workflow.fiscal import parse_moment

CHECKPOINT = "2570/committee_supervision/r1/office"


@pytest.fixture
def analysed(opened):
    opened.advance(PROCESS, "complete_analysis", OFFICER, steps.analysis())
    return opened


def _refused(app, trigger, actor, evidence) -> EvidenceInvalid:
    records = len(app.log_records())
    with pytest.raises(EvidenceInvalid) as caught:
        app.advance(PROCESS, trigger, actor, evidence)
    assert len(app.log_records()) == records
    return caught.value


def test_an_appointment_years_before_its_fiscal_year_is_refused(analysed):
    # FY 2570 starts on 1 October 2569; the definition allows one fiscal year before (from 1 October 2568)
    err = _refused(analysed, "issue_appointment", DIRECTOR, steps.appointment(number="๑๒๓/๒๕๖๗", date="2567-05-01"))
    [problem] = [p for p in err.problems if p.field == "date"]
    assert "เก่าเกินไป" in problem.text("th")
    rec = analysed.advance(PROCESS, "issue_appointment", DIRECTOR,
                           steps.appointment(number="๑๒๓/๒๕๖๙", date="2569-09-15"))
    assert rec.data["to"] == "notifying"
    assert verify(analysed).ok


def test_a_document_number_whose_year_is_not_its_dates_is_refused(analysed):
    err = _refused(analysed, "issue_appointment", DIRECTOR, steps.appointment(number="๑๒๓/๒๕๗๐", date="2569-11-10"))
    [problem] = [p for p in err.problems if p.field == "number"]
    assert "ปี พ.ศ." in problem.text("th") and "is" not in problem.text("th")
    analysed.advance(PROCESS, "issue_appointment", DIRECTOR, steps.appointment())
    letters = steps.notifications()
    letters["letters"][0]["number"] = "ศธ ๐๔๐๘๖/๒๕๖๘"  # a letter's number with a year: it must agree too
    err = _refused(analysed, "send_notifications", OFFICER, letters)
    assert any(p.field == "letters[].number" for p in err.problems)
    assert analysed.advance(PROCESS, "send_notifications", OFFICER, steps.notifications()).data["to"] == "meeting"


def test_a_future_date_is_refused(analysed):
    err = _refused(analysed, "issue_appointment", DIRECTOR, steps.appointment(date="2569-12-25"))
    assert "อนาคต" in next(p for p in err.problems if p.field == "date").text("th")


@pytest.mark.parametrize("held_on, why", [("2575-03-01", "อนาคต"), ("2560-03-01", "ไม่อยู่ในปีงบประมาณ 2570"),
                                          ("2569-09-30", "ไม่อยู่ในปีงบประมาณ 2570")])
def test_a_checkpoint_held_outside_its_fiscal_year_or_in_the_future_is_refused(opened, clock, held_on, why):
    clock.set(parse_moment("2570-03-17"))
    tick(opened)
    records = len(opened.log_records())
    with pytest.raises(EvidenceInvalid) as caught:
        record_checkpoint(opened, CHECKPOINT, "ktpn_1", {"findings": "ก", "advice": "ข", "held_on": held_on})
    assert why in caught.value.problems[0].text("th")
    assert len(opened.log_records()) == records
    rec = record_checkpoint(opened, CHECKPOINT, "ktpn_1", {"findings": "ก", "advice": "ข", "held_on": "16/3/2570"})
    assert rec.data["evidence"]["held_on"] == "2027-03-16"
    assert verify(opened).ok


def test_a_be_date_time_on_29_february_parses():
    assert parse_moment("2571-02-29T10:00") == dt.datetime(2028, 2, 29, 3, 0, tzinfo=dt.timezone.utc)
    with pytest.raises(ValueError) as caught:
        parse_moment("2570-02-29T10:00")  # 2027 is not a leap year
    assert "ไม่มีวันที่นี้" in caught.value.th
