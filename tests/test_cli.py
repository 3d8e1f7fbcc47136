"""The `ruam` CLI as a user types it: exit codes, Thai output, no tracebacks."""

import json
import subprocess
import sys

from tests import steps


def ruam(db_url, *args, ok=True, code=None, input=None):
    done = subprocess.run([sys.executable, "-m", "engine.cli", *args, "--db", db_url], capture_output=True,
                          text=True, input=input)
    assert "Traceback" not in done.stderr, done.stderr
    if code is not None:
        assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    elif ok:
        assert done.returncode == 0, (done.stdout, done.stderr)
    return done


def test_a_task_from_the_command_line(db_url, tmp_path):
    out = ruam(db_url, "init", "--demo").stdout
    assert "ฐานข้อมูลพร้อมใช้งาน" in out and "ขั้นตอนการดำเนินงาน" in out
    again = ruam(db_url, "init", "--demo").stdout  # idempotent
    assert "มีอยู่แล้ว" in again
    assert "2570/task_teacher_welfare" in ruam(db_url, "cycle", "open", "๒๕๗๐").stdout
    rows = json.loads(ruam(db_url, "processes", "--fiscal-year", "2570", "--json").stdout)
    assert len(rows) == 11 and {r["state"] for r in rows} == {"analyzing_regulations"}

    show = ruam(db_url, "process", "show", steps.PROCESS, "--as", steps.OFFICER).stdout
    assert "บันทึกผลการวิเคราะห์กฎหมาย" in show and "(รหัส complete_analysis)" in show and "[ทำได้]" in show
    assert "จำเป็น" in show and "ผู้แทนองค์กร (รหัส org_representative)" in show

    analysis = tmp_path / "analysis.json"
    analysis.write_text(json.dumps(steps.analysis(), ensure_ascii=False), encoding="utf-8")
    out = ruam(db_url, "advance", steps.PROCESS, "complete_analysis", "--as", steps.OFFICER,
               "--evidence-file", str(analysis), "--note", "วิเคราะห์แล้ว").stdout
    assert "วิเคราะห์กฎหมาย ระเบียบ แนวปฏิบัติ → จัดทำประกาศ/คำสั่งแต่งตั้ง" in out

    scan = tmp_path / "order.pdf"
    scan.write_bytes(b"%PDF-1.4 signed order")
    evidence = steps.appointment()
    args = [f"--evidence={k}={json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v}"
            for k, v in evidence.items()]
    rec = json.loads(ruam(db_url, "advance", steps.PROCESS, "issue_appointment", "--as", steps.DIRECTOR, *args,
                          "--attach", f"attachments={scan}", "--json").stdout)
    assert rec["data"]["evidence"]["attachments"][0]["file"]["name"] == "order.pdf"
    assert len(rec["data"]["evidence"]["attachments"][0]["file"]["sha256"]) == 64

    out = ruam(db_url, "send-back", steps.PROCESS, "--as", steps.DIRECTOR, "--reason", "แก้ไขเลขที่คำสั่ง").stdout
    assert "จัดทำหนังสือแจ้งผู้ได้รับแต่งตั้ง → จัดทำประกาศ/คำสั่งแต่งตั้ง" in out
    log = ruam(db_url, "log", steps.PROCESS).stdout
    assert "เหตุผล: แก้ไขเลขที่คำสั่ง" in log and "2569" in log and "โดย ผู้อำนวยการกลุ่มอำนวยการ (ตัวอย่าง)" in log
    assert "director_administration" not in log
    assert "ผ่าน" in ruam(db_url, "verify").stdout


def test_refusals_exit_1_with_one_line(db_url):
    ruam(db_url, "init", "--demo")
    ruam(db_url, "cycle", "open", "2570")
    done = ruam(db_url, "advance", steps.PROCESS, "complete_analysis", "--as", steps.OTHER_DIRECTOR,
                "--evidence", "summary=x", code=1)
    assert done.stderr.count("\n") == 1 and "ไม่มีสิทธิ์" in done.stderr
    done = ruam(db_url, "advance", steps.PROCESS, "complete_analysis", "--as", steps.OFFICER,
                "--evidence", "summary=x", "--lang", "en", code=1)
    assert "Laws, regulations and guidelines analysed: is required" in done.stderr
    done = ruam(db_url, "advance", steps.PROCESS, "complete_analysis", "--as", steps.OFFICER,
                "--evidence", "legal_bases=[{broken", code=2)
    assert "ไม่ใช่ JSON ที่อ่านได้ (--evidence legal_bases)" in done.stderr
    ruam(db_url, "advance", steps.PROCESS, "complete_analysis", "--as", steps.OFFICER,
         "--expect-version", "4", "--evidence", "summary=x", code=1)


USAGE_ERRORS = [
    ["advance"], ["advance", steps.PROCESS], ["cycle", "open", "twenty"], ["processes", "--fiscal-year", "abc"],
    ["people", "assign", "x", "y", "--from", "31/02/2570"], ["nonsense"], ["process", "show", "2570-task"],
]


def test_usage_errors_exit_2(db_url):
    ruam(db_url, "init")
    for args in USAGE_ERRORS:
        done = ruam(db_url, *args, code=2)
        assert done.stderr.strip(), args


def test_commands_on_an_uninitialized_database_say_what_to_do(db_url):
    done = ruam(db_url, "processes", code=1)
    assert "ruam init" in done.stderr


def test_people_from_the_command_line(db_url):
    ruam(db_url, "init")
    ruam(db_url, "people", "add", "officer_a", "--name", "เจ้าหน้าที่ ก (ตัวอย่าง)", "--position", "นักวิชาการ")
    ruam(db_url, "people", "assign", "officer_a", "responsible_officer", "--scope", "task_teacher_welfare",
         "--from", "1/10/2569", "--until", "2570-10-01")
    ruam(db_url, "people", "add", "officer_a", "--name", "ซ้ำ", code=1)
    ruam(db_url, "people", "assign", "officer_a", "responsible_officer", code=2)
    people = json.loads(ruam(db_url, "people", "list", "--json").stdout)
    [a] = people[0]["assignments"]
    assert a["role"] == "responsible_officer" and a["valid_from"].startswith("2026-09-30T17:00")
    listed = ruam(db_url, "people", "list").stdout
    assert "เจ้าหน้าที่ ก (ตัวอย่าง) — นักวิชาการ (รหัส officer_a)" in listed
