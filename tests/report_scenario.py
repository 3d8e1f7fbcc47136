"""A demo fiscal year 2570 with known steps, for the report's tests: what happened, and when.

- task_teacher_welfare (Administration group): the whole procedure, one round; analysis recorded on
  20 Nov 2569, then one step every 2, 3, 4, 5 and 6 days (appointing 2 days ... reviewing 6 days),
  closed on 10 Dec 2569 with one public opinion declined and one member's adopted.
- task_cooperation_network (same group): two steps (analysis on 21 Nov, appointment 10 days later);
  it waits in "notifying".
- every other task: not started (its process sits in the first step).
- H1 reports (due 31 Mar 2570 BE): teacher welfare on time (10 Mar), cooperation network late (5 Apr),
  the other nine missing.
- the Administration group's first checkpoint held on 9 Mar (recorded 10 Mar, on time); the other three
  groups' first checkpoints missing; the committee's first round recorded on 20 Mar (on time).
- the clock ends on 10 Apr 2570 BE, after a tick that flagged what is overdue.
"""

from __future__ import annotations

import datetime as dt

from engine.calendar import tick
from engine.calendar_items import record_checkpoint, submit_report
from engine.feedback import receive_feedback
from tests import steps
from tests.calendar_helpers import bkk

WELFARE, NETWORK = "task_teacher_welfare", "task_cooperation_network"
GROUP = "mission_administration"
GROUP_R1 = f"2570/director_supervision/r1/{GROUP}"
COMMITTEE_R1 = "2570/committee_supervision/r1/office"
WELFARE_DAYS = {"appointing": 2, "notifying": 3, "meeting": 4, "reporting": 5, "reviewing_feedback": 6}
END = bkk(2027, 4, 10, 12)


def build(app, clock) -> None:
    """``app`` opened for FY 2570 (the ``opened`` fixture: clock at 20 Nov 2569, 10:00)."""
    start = bkk(2026, 11, 20, 10)
    clock.set(start)
    proc = f"2570/{WELFARE}"
    app.advance(proc, "complete_analysis", steps.OFFICER, steps.analysis())
    at = start
    plan = [("issue_appointment", steps.DIRECTOR, steps.appointment(date="2569-11-21"), "appointing"),
            ("send_notifications", steps.OFFICER, steps.notifications(date="2569-11-24"), "notifying"),
            ("record_meeting", steps.OFFICER, steps.meeting(date="2569-11-28"), "meeting"),
            ("send_report", steps.OFFICER, steps.report(date="2569-12-03"), "reporting")]
    for trigger, actor, evidence, state in plan:
        at += dt.timedelta(days=WELFARE_DAYS[state])
        clock.set(at)
        app.advance(proc, trigger, actor, evidence)
    clock.set(at + dt.timedelta(days=1))
    opinion = receive_feedback(app, proc, "ขอให้เผยแพร่ผลทางเว็บไซต์ด้วย", name="ผู้ปกครอง")
    at += dt.timedelta(days=WELFARE_DAYS["reviewing_feedback"])
    clock.set(at)
    app.advance(proc, "close", steps.DIRECTOR, steps.closing([opinion.data["opinion"]]))

    clock.set(bkk(2026, 11, 21, 10))
    net = f"2570/{NETWORK}"
    app.advance(net, "complete_analysis", "officer_cooperation_network", steps.analysis())
    clock.set(bkk(2026, 12, 1, 10))
    app.advance(net, "issue_appointment", steps.DIRECTOR, steps.appointment(number="๑๒๔/๒๕๖๙", date="2569-11-30"))

    clock.set(bkk(2027, 3, 10, 9))
    tick(app)
    submit_report(app, 2570, WELFARE, "h1", steps.OFFICER, "สรุปผลการดำเนินงาน ๖ เดือน")
    record_checkpoint(app, GROUP_R1, "deputy_4", {
        "findings": "ดำเนินการตามมาตรการ", "advice": "ติดตามต่อเนื่อง", "held_on": "2027-03-09",
        "tasks": [{"task": NETWORK, "findings": "แต่งตั้งคณะกรรมการแล้ว", "advice": "เร่งแจ้งผู้ได้รับแต่งตั้ง"},
                  {"task": WELFARE, "findings": "ครบทุกขั้นตอน", "advice": "เผยแพร่ผล"}]})
    clock.set(bkk(2027, 3, 20, 10))
    record_checkpoint(app, COMMITTEE_R1, "ktpn_1", {"findings": "มีผู้มีส่วนได้ส่วนเสียภายนอกร่วม",
                                                     "advice": "ขยายเครือข่าย", "held_on": "2027-03-20"})
    clock.set(bkk(2027, 4, 5, 10))
    tick(app)
    submit_report(app, 2570, NETWORK, "h1", "officer_cooperation_network", "สรุปผล ๖ เดือน (ส่งช้า)")
    clock.set(END)
    tick(app)
