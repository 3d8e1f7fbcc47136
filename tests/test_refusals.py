"""Every refusal path: a typed error a director can act on, and nothing written."""

import datetime as dt

import pytest

from engine.audit.live import verify
from tests import steps
from tests.steps import DIRECTOR, OFFICER, OTHER_DIRECTOR, PROCESS
from workflow.errors import (
    Conflict,
    EvidenceInvalid,
    GuardFailed,
    InvalidTransition,
    NotAllowed,
    NotFound,
    Refused,
    UsageError,
)


def _unchanged(app, before):
    after = app.process(PROCESS)
    assert (after["state"], after["version"]) == (before["state"], before["version"])
    assert len(app.log_records()) == before["records"]
    assert verify(app).ok


@pytest.fixture
def before(opened):
    info = opened.process(PROCESS)
    return {"state": info["state"], "version": info["version"], "records": len(opened.log_records())}


def test_wrong_role(opened, before):
    # a responsible officer may not send back; only a group director may
    steps.run(opened, steps.HAPPY_PATH[:1])
    before = {"state": "appointing", "version": 1, "records": before["records"] + 1}
    with pytest.raises(NotAllowed) as err:
        opened.send_back(PROCESS, OFFICER, "x")
    assert err.value.allowed == ("group_director",)
    assert "group_director" in err.value.message("th")
    _unchanged(opened, before)


def test_another_groups_director(opened, before):
    with pytest.raises(NotAllowed):
        opened.advance(PROCESS, "complete_analysis", OTHER_DIRECTOR, steps.analysis())
    _unchanged(opened, before)


def test_an_officer_of_another_task(opened, before):
    with pytest.raises(NotAllowed):
        opened.advance(PROCESS, "complete_analysis", "officer_cooperation_network", steps.analysis())
    _unchanged(opened, before)


def test_expired_assignment(opened, before):
    [assignment] = [a for p in opened.people() if p["id"] == OFFICER for a in p["assignments"]]
    opened.end_assignment(assignment["id"], opened.now() + dt.timedelta(hours=1))
    before["records"] += 1
    opened.clock.advance(hours=2)
    with pytest.raises(NotAllowed):
        opened.advance(PROCESS, "complete_analysis", OFFICER, steps.analysis())
    _unchanged(opened, before)


def test_assignment_not_yet_valid(opened, before):
    opened.add_person("new_officer", "ผู้รับผิดชอบคนใหม่ (ตัวอย่าง)")
    opened.assign_role("new_officer", "responsible_officer", steps.TASK,
                       valid_from=opened.now() + dt.timedelta(days=1))
    before["records"] += 2
    with pytest.raises(NotAllowed):
        opened.advance(PROCESS, "complete_analysis", "new_officer", steps.analysis())
    _unchanged(opened, before)
    opened.clock.advance(days=2)
    rec = opened.advance(PROCESS, "complete_analysis", "new_officer", steps.analysis())
    # the newest valid assignment is the responsible officer at that time
    assert rec.responsible == "new_officer"


def test_unknown_person(opened, before):
    with pytest.raises(NotFound):
        opened.advance(PROCESS, "complete_analysis", "nobody", steps.analysis())
    _unchanged(opened, before)
    # (the refusal looked the person up inside the step's transaction and rolled it all back:
    # the next step on the same connection is taken as if nothing had happened)
    steps.run(opened, steps.HAPPY_PATH[:1])
    assert opened.process(PROCESS)["version"] == before["version"] + 1


def test_unknown_trigger_and_unknown_process(opened, before):
    with pytest.raises(UsageError) as err:
        opened.advance(PROCESS, "approve_everything", DIRECTOR, {})
    assert "complete_analysis" in err.value.message("en")
    with pytest.raises(NotFound):
        opened.advance("2570/task_does_not_exist", "complete_analysis", OFFICER, steps.analysis())
    with pytest.raises(UsageError):
        opened.advance("task_teacher_welfare", "complete_analysis", OFFICER, steps.analysis())
    _unchanged(opened, before)


def test_trigger_not_valid_in_this_state(opened, before):
    with pytest.raises(InvalidTransition) as err:
        opened.advance(PROCESS, "record_meeting", OFFICER, steps.meeting())
    assert err.value.possible == ["cancel", "complete_analysis"]
    _unchanged(opened, before)


def test_missing_and_malformed_evidence_names_each_field(opened, before):
    evidence = steps.analysis()
    del evidence["summary"]
    evidence["proposed_appointees"][0]["kind"] = "alien"
    evidence["proposed_appointees"][1]["external"] = "maybe"
    evidence["colour"] = "blue"
    with pytest.raises(EvidenceInvalid) as err:
        opened.advance(PROCESS, "complete_analysis", OFFICER, evidence)
    fields = {p.field for p in err.value.problems}
    assert fields == {"summary", "proposed_appointees[0].kind", "proposed_appointees[1].external", "colour"}
    with pytest.raises(EvidenceInvalid):
        opened.advance(PROCESS, "complete_analysis", OFFICER, "not a mapping")
    _unchanged(opened, before)


def test_appointment_without_anyone_from_outside(opened):
    steps.run(opened, steps.HAPPY_PATH[:1])
    insiders = [dict(m, external=False) for m in steps.MEMBERS]
    with pytest.raises(GuardFailed) as err:
        opened.advance(PROCESS, "issue_appointment", DIRECTOR, steps.appointment(members=insiders))
    assert err.value.problems[0].field == "members"
    assert "ภายนอก" in err.value.message("th")


def test_analysis_without_an_external_appointee(opened, before):
    with pytest.raises(GuardFailed):
        opened.advance(PROCESS, "complete_analysis", OFFICER, steps.analysis(external=False))
    _unchanged(opened, before)


def test_dates_checked_against_earlier_steps_and_today(opened):
    steps.run(opened, steps.HAPPY_PATH[:1])
    with pytest.raises(GuardFailed) as err:
        opened.advance(PROCESS, "issue_appointment", DIRECTOR, steps.appointment(date="2570-01-01"))
    assert "future" in err.value.message("en")
    steps.run(opened, steps.HAPPY_PATH[1:2])
    with pytest.raises(GuardFailed) as err:
        opened.advance(PROCESS, "send_notifications", OFFICER, steps.notifications(date="2569-11-01"))
    assert err.value.problems[0].field == "letters[].date"
    short = steps.notifications()
    short["letters"].pop()
    with pytest.raises(GuardFailed) as err:
        opened.advance(PROCESS, "send_notifications", OFFICER, short)
    assert "ครู ค" in err.value.message("en")
    steps.run(opened, steps.HAPPY_PATH[2:3])
    with pytest.raises(GuardFailed):
        opened.advance(PROCESS, "record_meeting", OFFICER, steps.meeting(date="2569-11-11"))


def test_stale_expected_version_is_a_conflict(opened, before):
    with pytest.raises(Conflict) as err:
        opened.advance(PROCESS, "complete_analysis", OFFICER, steps.analysis(), expected_version=3)
    assert (err.value.expected, err.value.found) == (3, 0)
    _unchanged(opened, before)


def test_no_responsible_officer_assigned(opened, before):
    [assignment] = [a for p in opened.people() if p["id"] == OFFICER for a in p["assignments"]]
    opened.clock.advance(minutes=1)
    opened.end_assignment(assignment["id"])
    before["records"] += 1
    with pytest.raises(Refused) as err:
        opened.advance(PROCESS, "cancel", DIRECTOR, {"reason": "ไม่มีผู้รับผิดชอบ"})
    assert "responsible_officer" in err.value.message("en")
    _unchanged(opened, before)


def test_final_states_accept_nothing(opened):
    opened.cancel(PROCESS, DIRECTOR, "ยกเลิกงานนี้ในปีนี้")
    with pytest.raises(InvalidTransition) as err:
        opened.advance(PROCESS, "complete_analysis", OFFICER, steps.analysis())
    assert err.value.possible == []
    with pytest.raises(EvidenceInvalid):
        opened.cancel("2570/task_cooperation_network", DIRECTOR, "   ")


def test_admin_commands_need_the_admin_role(opened):
    with pytest.raises(NotAllowed):
        opened.add_person("intruder", "ผู้บุกรุก", actor=OFFICER)
    with pytest.raises(NotAllowed):
        opened.assign_role(OFFICER, "group_director", "group_administration", actor=OFFICER)
    opened.add_person("helper", "ผู้ช่วย (ตัวอย่าง)", actor="admin")
    with pytest.raises(UsageError):
        opened.assign_role("helper", "responsible_officer", None, actor="admin")
    with pytest.raises(UsageError):
        opened.assign_role("helper", "wizard", None, actor="admin")
    with pytest.raises(NotAllowed):
        opened.open_cycle(2571, actor=OFFICER)
    assert verify(opened).ok


def test_a_stale_version_is_a_conflict_even_when_the_step_is_no_longer_possible(opened):
    steps.run(opened, steps.HAPPY_PATH[:1])
    # a second tab still showing version 0 submits the same step
    with pytest.raises(Conflict) as err:
        opened.advance(PROCESS, "complete_analysis", OFFICER, steps.analysis(), expected_version=0)
    assert (err.value.expected, err.value.found) == (0, 1)


def test_the_cycle_records_the_role_its_opener_acted_in(app):
    [rec] = [r for r in app.log_records() if r.kind == "process.opened"] or [None]
    assert rec is None
    app.open_cycle(2570, actor="esa_director")
    opened = [r for r in app.log_records() if r.kind == "process.opened"]
    assert {r.role for r in opened} == {"esa_director"}
    assert verify(app).ok
