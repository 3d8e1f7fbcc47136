"""No sequence of documented commands makes the ledger unverifiable: a tick dated ahead.

On a real office's database a tick ahead of the clock is refused (in Thai, exit 1,
nothing written); on a demonstration database (``ruam init --demo``) it moves the
database's simulated clock forward, and the reports and checkpoints closed after
it are stamped after it, so ``ruam verify`` keeps passing. Both backends.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from engine.audit.live import verify
from tests import steps
from tests.calendar_helpers import bkk
from workflow.fiscal import fiscal_year_be

CHECKPOINT = "director_supervision/r1/mission_administration"
TASKS = ("--task", "task_cooperation_network=ข้อค้นพบ|ข้อเสนอแนะ", "--task", "task_teacher_welfare=ข้อค้นพบ|ข้อเสนอแนะ")


def ruam(db_url, *args, code=0):
    done = subprocess.run([sys.executable, "-m", "engine.cli", *args, "--db", db_url], capture_output=True,
                          text=True)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    return done


def _ahead() -> tuple[int, str]:
    """A fiscal year whose 17 March is still ahead of the real clock, and that day (BE)."""
    fy = fiscal_year_be(dt.date.today()) + 1
    return fy, f"{fy}-03-17"


def test_the_readme_sequence_on_a_demo_database_keeps_verify_passing(db_url):
    fy, day = _ahead()
    ruam(db_url, "init", "--demo")
    ruam(db_url, "cycle", "open", str(fy))
    out = ruam(db_url, "tick", "--now", day).stdout
    assert "นาฬิกาจำลองเลื่อนไปที่ 17 มี.ค." in out
    out = ruam(db_url, "report", "submit", f"{fy}/task_teacher_welfare", "H1", "--as", "officer_teacher_welfare",
               "--summary", "สรุปผล ๖ เดือน").stdout
    assert "บันทึกแล้ว" in out
    ruam(db_url, "checkpoint", "record", f"{fy}/{CHECKPOINT}", "--as", "deputy_4", "--findings", "ข้อค้นพบ",
         "--advice", "ข้อเสนอแนะ", *TASKS)
    ruam(db_url, "tick")  # the next tick runs on the simulated clock, not back in real time
    assert "ผ่าน: ไม่พบปัญหา" in ruam(db_url, "verify").stdout
    log = ruam(db_url, "log", f"{fy}/task_teacher_welfare").stdout
    report_line = next(line for line in log.splitlines() if "ส่งรายงาน" in line)
    assert f"17 มี.ค. {fy}" in report_line  # stamped after the tick that opened it, inside its window
    calendar = json.loads(ruam(db_url, "calendar", "--fiscal-year", str(fy), "--json").stdout)
    done = {i["id"]: i for i in calendar["items"]}[f"{fy}/semiannual_report/h1/task_teacher_welfare"]
    assert done["status"] == "done" and not done["late"]


def test_a_tick_ahead_of_a_real_database_is_refused_in_thai(db_url):
    fy, day = _ahead()
    ruam(db_url, "init")
    ruam(db_url, "cycle", "open", str(fy - 1))
    before = json.loads(ruam(db_url, "verify", "--json").stdout)["records"]
    done = ruam(db_url, "tick", "--now", day, code=1)
    assert done.stderr.count("\n") == 1 and "ตรวจปฏิทินล่วงหน้าไม่ได้" in done.stderr
    assert "ruam init --demo" in done.stderr
    done = ruam(db_url, "tick", "--now", day, "--lang", "en", code=1)
    assert "ahead of this database's clock" in done.stderr
    report = json.loads(ruam(db_url, "verify", "--json").stdout)
    assert report["ok"] and report["records"] == before  # nothing was written
    ruam(db_url, "tick", "--now", f"{fy - 2}-10-01")  # 1 October of this fiscal year: passed, still allowed
    assert json.loads(ruam(db_url, "verify", "--json").stdout)["ok"]


@pytest.fixture
def real(store, clock):
    """A real office's database (not a demonstration) with people in every role."""
    from engine.app import Ruam

    app = Ruam(store, clock=clock)
    app.init()
    app.load_demo()
    app.open_cycle(2570)
    return app


def test_tick_refuses_a_moment_ahead_on_a_real_database(real, clock):
    from engine.calendar import tick
    from engine.clock import TickAhead, simulated

    records = len(real.log_records())
    with pytest.raises(TickAhead) as refused:
        tick(real, clock.now + dt.timedelta(minutes=1))
    assert "ฐานข้อมูลสาธิต" in refused.value.message("th") and refused.value.code == "tick_ahead"
    assert len(real.log_records()) == records and simulated(real) is None
    assert tick(real, clock.now - dt.timedelta(days=1)).started  # the past: dated back, as documented
    assert verify(real).ok


def test_a_demo_database_clock_moves_forward_and_the_closings_follow_it(opened, clock):
    from engine.calendar import tick
    from engine.calendar_items import record_checkpoint, submit_report
    from engine.clock import simulated

    real_now = clock.now  # 20 November 2569: the real clock stays here
    result = tick(opened, bkk(2027, 3, 17))
    assert result.at == bkk(2027, 3, 17) and simulated(opened)["offset"] == bkk(2027, 3, 17) - real_now
    clock.advance(seconds=30)
    rec = submit_report(opened, 2570, steps.TASK, "h1", steps.OFFICER, "สรุปผล")
    assert rec.moment == bkk(2027, 3, 17) + dt.timedelta(seconds=30) and not rec.data["late"]
    rec = record_checkpoint(opened, f"2570/{CHECKPOINT}", "deputy_4",
                            {"findings": "ข้อค้นพบ", "advice": "ข้อเสนอแนะ",
                             "tasks": [{"task": "task_cooperation_network", "findings": "ก", "advice": "ข"},
                                       {"task": "task_teacher_welfare", "findings": "ก", "advice": "ข"}]})
    assert rec.moment > bkk(2027, 3, 17)
    assert tick(opened).at > bkk(2027, 3, 17)  # later ticks run on from the simulated time
    tick(opened, bkk(2027, 1, 5))  # a moment behind the simulated clock does not move it back
    assert opened.now() > bkk(2027, 3, 17)
    report = verify(opened)
    assert report.ok, list(report.findings)


def test_a_server_started_before_the_clock_moved_stamps_closings_on_the_moved_clock(opened, clock):
    """Another process (a CLI tick) moved the demo clock; a long-running server's closing reads it anew."""
    from engine.app import Ruam
    from engine.calendar import tick
    from engine.calendar_items import submit_report
    from engine.clock import load

    server = Ruam(opened.store, clock=clock)
    load(server)
    assert server.clock_offset == dt.timedelta(0)
    tick(opened, bkk(2027, 3, 17))  # the "CLI"
    rec = submit_report(server, 2570, steps.TASK, "h1", steps.OFFICER, "สรุปผล")
    assert rec.moment >= bkk(2027, 3, 17)
    assert verify(opened).ok


def test_a_closing_before_the_item_opened_is_refused_not_recorded(opened, clock):
    """Only a clock set back can get here; the closing is judged by the clock that opened the item."""
    from engine.calendar import tick
    from engine.calendar_items import submit_report
    from storage.clock import move_clock
    from workflow.errors import Refused

    clock.set(bkk(2027, 3, 17))
    tick(opened)
    clock.set(bkk(2027, 2, 20))  # the server's clock was set back by a month
    with pytest.raises(Refused) as refused:
        submit_report(opened, 2570, steps.TASK, "h1", steps.OFFICER, "สรุปผล")
    assert "ตรวจสอบนาฬิกาของเครื่อง" in refused.value.message("th")
    with opened.store.transaction() as tx:  # and a demo clock that was moved back by hand is read anew
        move_clock(tx, 0, clock.now, clock.now)
    with pytest.raises(Refused):
        submit_report(opened, 2570, steps.TASK, "h1", steps.OFFICER, "สรุปผล")
    assert verify(opened).ok
