"""The calendar's CLI commands (``tick``, ``calendar``, ``report``, ``checkpoint``,
``status``, ``outbox``): parse what ``engine.cli`` hands over, call the engine,
print Thai (or English) with BE dates."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from engine.cli import EXIT_OK
from engine.cliio import read_mapping_file
from workflow.errors import UsageError
from workflow.fiscal import format_date_be, format_datetime_be, parse_date


def _when(value, th: bool) -> str:
    return format_datetime_be(value) if value else "-"


def tick_command(args, make_app, moment, lang: str, print_json) -> int:
    from engine.calendar import tick
    from engine.outbox import SmtpConfig, deliver

    app = make_app(args)
    at = moment(args.now, "--now")
    if at is not None:
        app.clock = lambda: at
    result = tick(app)
    sent = deliver(app, SmtpConfig.from_env(os.environ))
    summary = result.summary() | {"outbox": sent}
    if args.json:
        print_json(summary | {"opened_items": result.opened, "overdue_items": result.overdue,
                              "reminder_items": [list(r) for r in result.reminders],
                              "not_applicable_items": result.not_applicable,
                              "processes": result.processes_opened})
        return EXIT_OK
    th = lang == "th"
    print((f"ตรวจปฏิทิน ณ {format_datetime_be(result.at)}: " if th else f"tick at {format_datetime_be(result.at)}: ")
          + (f"เปิดกระบวนการ {len(result.processes_opened)}, เปิดรายการ {len(result.opened)}, "
             f"ไม่อยู่ในรอบ {len(result.not_applicable)}, แจ้งเตือน {len(result.reminders)}, "
             f"เกินกำหนด {len(result.overdue)}, ข้อความ {result.messages}" if th else
             f"processes opened {len(result.processes_opened)}, items opened {len(result.opened)}, "
             f"not applicable {len(result.not_applicable)}, reminders {len(result.reminders)}, "
             f"overdue {len(result.overdue)}, messages {result.messages}"))
    if sent["sent"] or sent["retry"] or sent["failed"]:
        print(f"  outbox: {sent}")
    return EXIT_OK


def calendar_command(args, app, fiscal_year: int | None, lang: str, print_json) -> int:
    from engine.calendar_items import calendar_view

    view = calendar_view(app, fiscal_year, args.overdue, lang)
    if args.json:
        print_json(view)
        return EXIT_OK
    th = lang == "th"
    print((f"ปฏิทินปีงบประมาณ พ.ศ. {view['fiscal_year']} (ณ {format_datetime_be(view['at'])})" if th else
           f"calendar of fiscal year {view['fiscal_year']} BE (at {format_datetime_be(view['at'])})"))
    for i in view["items"]:
        people = ", ".join(f"{p['name']} ({p['person']})" for p in i["responsible"]) or "-"
        print(f"- {i['id']}")
        print(f"    {i['title']} — {i['round_title']} — {i['subject_title']}")
        due = "กำหนด" if th else "due"
        opens = "เปิด" if th else "opens"
        print(f"    {opens} {format_date_be(i['opens_on'])}  {due} {format_date_be(i['due_on'])}  "
              f"[{i['status_title']}]")
        if i["status"] not in ("scheduled", "not_applicable"):
            print(f"    {'ผู้รับผิดชอบ' if th else 'responsible'}: {people}")
        if i["escalated_to"]:
            print(f"    {'แจ้งผู้บังคับบัญชา' if th else 'escalated to'}: "
                  + ", ".join(f"{p['name']} ({p['person']})" for p in i["escalated_to"]))
        if i["completed_by"]:
            print(f"    {'ดำเนินการโดย' if th else 'done by'} {i['completed_by']} "
                  f"{format_datetime_be(i['completed_at'])}")
    if not view["items"]:
        print("ไม่มีรายการ" if th else "nothing")
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(view["counts"].items()))
    print(("สรุป: " if th else "summary: ") + (counts or "-"))
    return EXIT_OK


def report_command(args, app, lang: str, print_json) -> int:
    from engine.app import parse_process_id
    from engine.calendar_items import submit_report

    fy, task = parse_process_id(args.process)
    rec = submit_report(app, fy, task, args.round, args.actor, args.summary, args.document,
                        files=_attach(app, args.attach))
    return _done(rec, args, lang, print_json)


def _attach(app, paths: list[str]) -> list[dict]:
    files = []
    for value in paths:
        path = Path(value)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise UsageError("--attach", f"cannot read {path}: {exc.strerror}") from None
        files.append(app.store_attachment(content, path.name))
    return files


def _done(rec, args, lang: str, print_json) -> int:
    if args.json:
        print_json(rec.body() | {"hash": rec.hash})
        return EXIT_OK
    th = lang == "th"
    late = rec.data.get("late")
    mark = (" (ล่าช้า)" if th else " (late)") if late else ""
    print((f"บันทึกแล้ว: {rec.data['item_id']}{mark} (บันทึกที่ #{rec.seq})" if th else
           f"recorded: {rec.data['item_id']}{mark} (record #{rec.seq})"))
    return EXIT_OK


def checkpoint_command(args, app, lang: str, print_json) -> int:
    from engine.calendar_items import record_checkpoint

    evidence: dict[str, Any] = {}
    if args.evidence_file:
        evidence.update(read_mapping_file(args.evidence_file))
    if args.findings:
        evidence["findings"] = args.findings
    if args.advice:
        evidence["advice"] = args.advice
    if args.held_on:
        try:
            evidence["held_on"] = parse_date(args.held_on).isoformat()
        except ValueError as exc:
            raise UsageError("--held-on", str(exc)) from None
    tasks = list(evidence.get("tasks") or [])
    for item in args.task:
        task, sep, rest = item.partition("=")
        findings, sep2, advice = rest.partition("|")
        if not sep or not sep2:
            raise UsageError("--task", f"'{item}' is not TASK=FINDINGS|ADVICE")
        tasks.append({"task": task.strip(), "findings": findings.strip(), "advice": advice.strip()})
    if tasks:
        evidence["tasks"] = tasks
    files = _attach(app, args.attach)
    if files:
        evidence["files"] = list(evidence.get("files") or []) + files
    rec = record_checkpoint(app, args.item, args.actor, evidence)
    return _done(rec, args, lang, print_json)


def status_command(args, app, lang: str, print_json) -> int:
    from engine.status import status

    info = status(app, float(os.environ.get("RUAM_LEADER_POLL_SECONDS", "10")))
    if args.json:
        print_json(info)
        return EXIT_OK
    th = lang == "th"
    yes, no = ("ทำงาน", "ไม่ทำงาน") if th else ("running", "not running")
    rows = [
        ("ตัวตั้งเวลา" if th else "scheduler", yes if info["running"] else no),
        ("ผู้นำ (leader)" if th else "leader", info["leader"] or "-"),
        ("เป็นผู้นำตั้งแต่" if th else "leader since", _when(info["leader_since"], th)),
        ("สัญญาณล่าสุด" if th else "heartbeat", _when(info["heartbeat_at"], th)),
        ("ตรวจปฏิทินล่าสุด" if th else "last tick", _when(info["last_tick_at"], th)),
        ("ตื่นครั้งถัดไป" if th else "next wake-up", _when(info["next_wakeup"], th)),
        ("ข้อผิดพลาดล่าสุด" if th else "last error",
         f"{info['last_error']} ({_when(info['last_error_at'], th)})" if info["last_error"] else "-"),
        ("กล่องข้อความออก" if th else "outbox",
         ", ".join(f"{k}: {v}" for k, v in sorted(info["outbox"].items())) or "-"),
        ("ฐานข้อมูล" if th else "database", info["database"]),
    ]
    for label, value in rows:
        print(f"{label}: {value}")
    return EXIT_OK


def outbox_command(args, app, lang: str, print_json) -> int:
    from engine.outbox import SmtpConfig, deliver, outbox

    th = lang == "th"
    if args.action == "send":
        smtp = SmtpConfig.from_env(os.environ)
        if smtp is None:
            raise UsageError("RUAM_SMTP_HOST", "is not set: no SMTP server to send through",
                             "ยังไม่ได้ตั้งค่า RUAM_SMTP_HOST จึงส่งอีเมลไม่ได้")
        counts = deliver(app, smtp)
        print_json(counts) if args.json else print(
            (f"ส่งแล้ว {counts['sent']}, รอส่งใหม่ {counts['retry']}, ล้มเหลว {counts['failed']}" if th else
             f"sent {counts['sent']}, retrying {counts['retry']}, failed {counts['failed']}"))
        return EXIT_OK
    box = outbox(app, args.status, args.limit)
    if args.json:
        print_json(box)
        return EXIT_OK
    for m in box["messages"]:
        print(f"#{m['id']:<5} [{m['status']}] {format_datetime_be(m['created_at'])} → {m['person']}"
              f" <{m['email'] or '-'}>  {m['subject']}")
        if m["last_error"]:
            print(f"       {'ข้อผิดพลาด' if th else 'error'}: {m['last_error']} "
                  f"({'ครั้งที่' if th else 'attempt'} {m['attempts']})")
    if not box["messages"]:
        print("ไม่มีข้อความ" if th else "no messages")
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(box["counts"].items()))
    print(("สรุป: " if th else "summary: ") + (counts or "-"), file=sys.stdout)
    return EXIT_OK


_KIND_TITLES = {
    "calendar.started": ("เริ่มใช้ปฏิทิน", "calendar started"),
    "calendar.item_opened": ("เปิดรอบ", "opened"),
    "calendar.item_not_applicable": ("ไม่อยู่ในรอบ", "not applicable"),
    "calendar.reminder_queued": ("แจ้งเตือน", "reminder"),
    "calendar.item_overdue": ("เกินกำหนด", "overdue"),
    "calendar.report_submitted": ("ส่งรายงาน", "report submitted"),
    "calendar.checkpoint_recorded": ("บันทึกการกำกับติดตาม", "checkpoint recorded"),
    "calendar.extra_round_recorded": ("บันทึกครั้งเพิ่มเติม", "extra round recorded"),
}


def describe(rec, th: bool) -> str:
    """One ledger line for a calendar record (used by ``ruam log``)."""
    d = rec.data
    th_title, en_title = _KIND_TITLES.get(rec.kind, (rec.kind, rec.kind))
    parts = [th_title if th else en_title, d.get("item_id", "")]
    if "due_on" in d:
        parts.append(("กำหนด " if th else "due ") + format_date_be(parse_date(d["due_on"])))
    if "days_before" in d:
        parts.append((f"ล่วงหน้า {d['days_before']} วัน" if th else f"{d['days_before']} day(s) before"))
    people = d.get("responsible") if isinstance(d.get("responsible"), list) else None
    if people is not None:
        parts.append(("ผู้รับผิดชอบ: " if th else "responsible: ") + (", ".join(p["person"] for p in people) or "-"))
    if d.get("escalated_to"):
        parts.append(("แจ้ง: " if th else "escalated to: ") + ", ".join(p["person"] for p in d["escalated_to"]))
    if d.get("late"):
        parts.append("ล่าช้า" if th else "late")
    if rec.kind == "calendar.started":
        parts.append(f"FY {d.get('fiscal_year')}")
    return " ".join(p for p in parts if p)
