"""Notifications: queued with the ledger record that caused them, delivered by a
real SMTP server (aiosmtpd) with retries and back-off, never twice; the CLI."""

from __future__ import annotations

import email
import email.policy
import json

import pytest
from sqlalchemy import text

from engine.audit.live import verify
from engine.calendar import tick
from engine.cli.ruam import main
from engine.outbox import SmtpConfig, backoff, deliver, outbox
from tests.calendar_helpers import bkk
from tests.ports import free_port

COMMITTEE_R1 = "2570/committee_supervision/r1/office"


class _Sink:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def mail_app(app, clock):
    clock.set(bkk(2026, 12, 1))
    app.add_person("ktpn_mail", "กรรมการ ก.ต.ป.น. (มีอีเมล)", email="ktpn@example.org")
    app.assign_role("ktpn_mail", "ktpn_member")
    return app


def test_outbox_is_filled_with_the_record_and_delivered_once(mail_app, clock):
    from aiosmtpd.controller import Controller

    app = mail_app
    clock.set(bkk(2027, 1, 1))
    tick(app)
    box = outbox(app)
    opened = next(r for r in app.log_records() if r.kind == "calendar.item_opened"
                  and r.data["item_id"] == COMMITTEE_R1)
    to_committee = [m for m in box["messages"] if m["seq"] == opened.seq]
    assert {m["person"] for m in to_committee} == {"ktpn_1", "ktpn_2", "ktpn_3", "ktpn_mail"}
    mine = next(m for m in to_committee if m["person"] == "ktpn_mail")
    assert mine["status"] == "pending" and "2570" in mine["subject"] and "31 มีนาคม 2570" in mine["body"]
    assert {m["status"] for m in to_committee if m["person"] != "ktpn_mail"} == {"no_address"}
    assert tick(app).messages == 0  # a second tick queues nothing

    port = free_port()
    smtp = SmtpConfig(host="127.0.0.1", port=port, sender="ruam@example.org", timeout=5)
    # no server yet: the attempt fails and is retried after a back-off
    assert deliver(app, smtp) == {"sent": 0, "retry": 1, "failed": 0}
    [row] = outbox(app, "pending")["messages"]
    assert row["attempts"] == 1 and row["next_attempt_at"] == clock() + backoff(1) and row["last_error"]
    assert deliver(app, smtp) == {"sent": 0, "retry": 0, "failed": 0}  # not due again yet
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.advance(minutes=1)
        assert deliver(app, smtp) == {"sent": 1, "retry": 0, "failed": 0}
        assert deliver(app, smtp)["sent"] == 0
        assert len(sink.messages) == 1
        msg = sink.messages[0]
        assert msg["To"] == "ktpn@example.org" and "เปิดรอบ" in msg["Subject"]
        assert "2570" in msg.get_content()
        # the reminder 14 days before 31 March is a new message, sent once
        clock.set(bkk(2027, 3, 17, 8))
        assert tick(app).messages >= 1
        assert deliver(app, smtp)["sent"] == 1
        assert deliver(app, smtp)["sent"] == 0
        assert tick(app).messages == 0
    finally:
        controller.stop()
    assert len(sink.messages) == 2 and "แจ้งเตือน" in sink.messages[1]["Subject"]
    assert {m["status"] for m in outbox(app, "sent")["messages"]} == {"sent"}
    assert verify(app).ok


def test_the_calendar_commands(app, clock, db_url, capsys, tmp_path):
    assert main(["tick", "--db", db_url, "--now", "2570-03-17", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["opened"] == 16 and result["started"] is True
    assert main(["tick", "--db", db_url, "--now", "17/3/2570"]) == 0
    assert "เปิดรายการ 0" in capsys.readouterr().out
    assert main(["calendar", "--db", db_url, "--fiscal-year", "2570"]) == 0
    out = capsys.readouterr().out
    assert "ปฏิทินปีงบประมาณ พ.ศ. 2570" in out and "31 มีนาคม 2570" in out
    assert "ผู้รับผิดชอบงานส่งเสริมสวัสดิการ" in out and "officer_teacher_welfare" not in out
    scan = tmp_path / "report-h1.pdf"
    scan.write_bytes(b"%PDF-1.4 summary report")
    assert main(["report", "submit", "2570/task_teacher_welfare", "H1", "--db", db_url, "--json",
                 "--as", "officer_teacher_welfare", "--summary", "สรุปผล", "--attach", str(scan)]) == 0
    submitted = json.loads(capsys.readouterr().out)
    assert submitted["data"]["item_id"] == "2570/semiannual_report/h1/task_teacher_welfare"
    assert submitted["data"]["evidence"]["files"][0]["name"] == "report-h1.pdf"
    assert main(["report", "submit", "2570/task_teacher_welfare", "H1", "--db", db_url,
                 "--as", "officer_teacher_welfare", "--summary", "อีกครั้ง"]) == 1
    assert "ดำเนินการแล้ว" in capsys.readouterr().err
    assert main(["checkpoint", "record", "2570/director_supervision/r1/mission_administration", "--db", db_url,
                 "--as", "deputy_4", "--findings", "พบว่า", "--advice", "แนะนำ",
                 "--task", "task_cooperation_network=ดี|ต่อเนื่อง"]) == 1
    assert "task_teacher_welfare" in capsys.readouterr().err  # every task of the group is needed
    assert main(["checkpoint", "record", "2570/director_supervision/r1/mission_administration", "--db", db_url,
                 "--as", "deputy_4", "--findings", "พบว่า", "--advice", "แนะนำ",
                 "--task", "task_cooperation_network=ดี|ต่อเนื่อง",
                 "--task", "task_teacher_welfare=ดี|ทันเวลา"]) == 0
    capsys.readouterr()
    assert main(["tick", "--db", db_url, "--now", "2570-04-01T00:00", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["overdue"] == 14
    assert main(["calendar", "--db", db_url, "--fiscal-year", "2570", "--overdue", "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert len(view["items"]) == 14 and {i["status"] for i in view["items"]} == {"overdue"}
    assert main(["outbox", "--db", db_url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["no_address"] > 0
    assert main(["outbox", "send", "--db", db_url]) == 2  # no SMTP configured: a usage error
    assert main(["status", "--db", db_url, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["running"] is False and status["last_tick_at"]
    assert main(["tick", "--db", db_url, "--now", "not-a-date"]) == 2


def test_verify_sees_a_calendar_table_that_differs_from_the_ledger(app, clock):
    clock.set(bkk(2027, 4, 2))
    tick(app)
    assert verify(app).ok
    with app.store.engine.begin() as conn:
        conn.execute(text("UPDATE calendar_items SET status = 'done', completed_by = 'nobody' WHERE id = :i"),
                     {"i": COMMITTEE_R1})
    report = verify(app)
    assert not report.ok and any(COMMITTEE_R1 in f.message for f in report.findings)


def test_replay_rechecks_who_was_named_and_who_closed(app, clock):
    import dataclasses

    from engine.calendar_items import submit_report
    from workflow.calendar.audit import CalendarExtension
    from workflow.replay import Fold

    clock.set(bkk(2027, 3, 2))
    tick(app)
    submit_report(app, 2570, "task_teacher_welfare", "h1", "officer_teacher_welfare", "สรุป")
    records = app.log_records()
    honest = Fold(app.definition_or_none, extensions=[CalendarExtension()])
    for rec in records:
        honest.apply(rec)
    assert not honest.findings
    forged = []
    for rec in records:
        if rec.kind == "calendar.report_submitted":
            rec = dataclasses.replace(rec, actor="officer_cooperation_network")  # not this task's officer
        elif rec.kind == "calendar.item_opened" and rec.data["item_id"].endswith("task_quality_assurance"):
            rec = dataclasses.replace(rec, data=dict(rec.data, responsible=[
                {"person": "officer_teacher_welfare", "role": "responsible_officer"}]))
        forged.append(rec)
    fold = Fold(app.definition_or_none, extensions=[CalendarExtension()])
    for rec in forged:
        fold.apply(rec)
    messages = [f.message for f in fold.findings if f.kind == "authority"]
    assert len(messages) == 2
    assert any("officer_cooperation_network did not hold" in m for m in messages)
    assert any("task_quality_assurance names ['officer_teacher_welfare']" in m for m in messages)


def test_a_message_that_keeps_failing_is_given_up_and_stays_readable(mail_app, clock, monkeypatch):
    from engine import outbox as ob

    monkeypatch.setattr(ob, "MAX_ATTEMPTS", 2)
    clock.set(bkk(2027, 1, 1))
    tick(mail_app)
    smtp = SmtpConfig(host="127.0.0.1", port=free_port(), timeout=2)  # nobody listens there
    assert deliver(mail_app, smtp) == {"sent": 0, "retry": 1, "failed": 0}
    clock.advance(minutes=1)
    assert deliver(mail_app, smtp) == {"sent": 0, "retry": 0, "failed": 1}
    clock.advance(days=1)
    assert deliver(mail_app, smtp) == {"sent": 0, "retry": 0, "failed": 0}
    [failed] = outbox(mail_app, "failed")["messages"]
    assert failed["person"] == "ktpn_mail" and failed["attempts"] == 2 and failed["last_error"]


def test_an_item_nobody_holds_goes_to_the_director_until_someone_is_assigned(app, clock):
    clock.set(bkk(2027, 2, 20, 9))
    [mine] = [p for p in app.people() if p["id"] == "officer_teacher_welfare"][0]["assignments"]
    app.end_assignment(mine["id"])
    clock.set(bkk(2027, 3, 1))
    tick(app)
    h1 = "2570/semiannual_report/h1/task_teacher_welfare"
    opened = next(r for r in app.log_records() if r.kind == "calendar.item_opened" and r.data["item_id"] == h1)
    assert opened.data["responsible"] == [] and opened.responsible is None
    told = [m for m in outbox(app)["messages"] if m["seq"] == opened.seq]
    assert [m["person"] for m in told] == ["director_administration"] and "ไม่มีผู้รับผิดชอบ" in told[0]["subject"]
    clock.set(bkk(2027, 3, 10, 9))
    app.add_person("officer_welfare_2", "ผู้รับผิดชอบคนใหม่ (ตัวอย่าง)")
    app.assign_role("officer_welfare_2", "responsible_officer", "task_teacher_welfare")
    clock.set(bkk(2027, 3, 17))
    tick(app)
    reminder = next(r for r in app.log_records() if r.kind == "calendar.reminder_queued"
                    and r.data["item_id"] == h1)
    assert reminder.data["to"] == ["officer_welfare_2"]
    assert verify(app).ok
