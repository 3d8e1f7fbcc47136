"""The whole procedure for a task, on both backends: a second round, a send-back."""

import pytest

from engine.audit.live import verify
from tests import steps
from tests.steps import DIRECTOR, OFFICER, PROCESS


def test_full_year_with_second_round_and_send_back(opened):
    app = opened
    steps.run(app, steps.HAPPY_PATH[:2])
    sent_back = app.send_back(PROCESS, DIRECTOR, "รายชื่อกรรมการไม่ครบ")
    assert (sent_back.data["from"], sent_back.data["to"]) == ("notifying", "appointing")
    assert sent_back.data["evidence"] == {"reason": "รายชื่อกรรมการไม่ครบ"}
    # the same order number may be issued again by the same process after a send-back
    app.advance(PROCESS, "issue_appointment", DIRECTOR, steps.appointment())
    steps.run(app, steps.HAPPY_PATH[2:5])
    again = app.advance(PROCESS, "next_round", DIRECTOR, {"decisions": steps.decisions()})
    assert again.data["to"] == "meeting"
    app.advance(PROCESS, "record_meeting", OFFICER, steps.meeting("2569-11-19"))
    app.advance(PROCESS, "send_report", OFFICER, steps.report("2569-11-19"))
    closed = app.advance(PROCESS, "close", DIRECTOR, steps.closing(), note="ปิดรอบปี")
    assert closed.data["to"] == "closed" and closed.data["note"] == "ปิดรอบปี"

    info = app.process(PROCESS)
    assert info["state"] == "closed" and info["final"] and info["version"] == 11
    kinds = [h["data"].get("trigger", h["kind"]) for h in info["history"]]
    assert kinds == ["process.opened", "complete_analysis", "issue_appointment", "send_back", "issue_appointment",
                     "send_notifications", "record_meeting", "send_report", "next_round", "record_meeting",
                     "send_report", "close"]
    report = verify(app)
    assert report.ok, report.findings
    assert report.processes == 11


def test_every_record_names_actor_role_and_responsible_officer(opened):
    records = steps.run(opened, steps.HAPPY_PATH)
    for rec in records:
        assert rec.actor in (OFFICER, DIRECTOR)
        assert rec.role in ("responsible_officer", "group_director")
        assert rec.responsible == OFFICER
        assert rec.data["procedure"] == opened.active().procedure.version
    chain = opened.log_records()
    assert all(b.prev_hash == a.hash for a, b in zip(chain, chain[1:]))


def test_open_cycle_is_idempotent(app):
    first = app.open_cycle(2570)
    assert len(first) == 11 and "2570/task_teacher_welfare" in first
    assert app.open_cycle(2570) == []
    assert len(app.processes(fiscal_year=2570)) == 11
    assert len(app.processes(fiscal_year=2570, group="mission_personnel")) == 3
    # a mission group led by two units: either unit's id finds the same tasks
    assert {p["id"] for p in app.processes(group="group_teacher_personnel_development")} == {
        p["id"] for p in app.processes(group="group_personnel_administration")}


def test_process_show_lists_what_a_person_may_do(opened):
    info = opened.process(PROCESS, as_person=OFFICER)
    available = {t["trigger"]: t for t in info["available"]}
    assert set(available) == {"complete_analysis", "cancel"}
    assert available["complete_analysis"]["allowed"] is True
    assert available["cancel"]["allowed"] is False
    fields = {f["name"]: f for f in available["complete_analysis"]["evidence"]}
    assert fields["legal_bases"]["type"] == "list" and fields["legal_bases"]["required"]
    assert fields["summary"]["title_th"] == "สรุปผลการวิเคราะห์"


def test_a_process_keeps_its_procedure_version_after_a_new_one_is_loaded(opened):
    from definitions import shipped_texts

    old = opened.active().procedure.version
    name, text = next(t for t in shipped_texts() if t[0].endswith("procedure.yaml"))
    changed = text.replace("title: {th: สรุปผลการวิเคราะห์, en: Analysis summary}",
                           "title: {th: สรุปผลการวิเคราะห์ (ฉบับปรับปรุง), en: Analysis summary (revised)}")
    assert changed != text
    [loaded] = opened.register_definitions([(name, changed)])
    assert loaded["activated"] and loaded["version"] != old
    rec = opened.advance(PROCESS, "complete_analysis", OFFICER, steps.analysis())
    assert rec.data["procedure"] == old
    opened.open_cycle(2571)
    assert opened.process("2571/task_teacher_welfare")["procedure_version"] == loaded["version"]
    assert verify(opened).ok


@pytest.mark.parametrize("digits", ["๑๒๓/๒๕๖๙", "123/2569", " 123 / 2569"])
def test_order_numbers_are_unique_in_a_calendar_year_whatever_the_digits(opened, digits):
    from workflow.errors import EvidenceInvalid

    other = "2570/task_cooperation_network"
    steps.run(opened, steps.HAPPY_PATH[:2])
    opened.advance(other, "complete_analysis", "officer_cooperation_network", steps.analysis())
    with pytest.raises(EvidenceInvalid) as err:
        opened.advance(other, "issue_appointment", DIRECTOR, steps.appointment(number=digits))
    assert err.value.problems[0].field == "number"
    # next calendar year the running number is free again (its year, which must agree with its date, moves on)
    opened.clock.set(opened.clock.now.replace(year=2027, month=1, day=10))
    next_year = digits.replace("2569", "2570").replace("๒๕๖๙", "๒๕๗๐")
    opened.advance(other, "issue_appointment", DIRECTOR, steps.appointment(number=next_year, date="2570-01-05"))


def test_each_step_logs_one_structured_event(opened):
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        rec = opened.advance(PROCESS, "complete_analysis", OFFICER, steps.analysis())
    [event] = [e for e in logs if e["event"] == "process.transitioned"]
    assert event["process"] == PROCESS and event["trigger"] == "complete_analysis"
    assert event["role"] == "responsible_officer" and event["seq"] == rec.seq
