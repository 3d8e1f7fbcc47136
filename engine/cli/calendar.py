"""The calendar's commands: ``ruam tick``, ``calendar``, ``report submit``,
``checkpoint record``, ``status``, ``outbox``; Thai (or English) with BE dates."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from engine.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Parser,
    add_common,
    fiscal_year,
    lang,
    moment,
    names_of,
    open_app,
    print_json,
    read_mapping_file,
    typed,
)


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("tick", help="run one calendar tick now (for cron and tests; idempotent)")
    add_common(p, json_flag=True)
    p.add_argument("--now", metavar="DATE", help="the moment to tick at (ISO or BE, Bangkok time); default now")
    p.add_argument("--all-offices", action="store_true",
                   help="tick every office's calendar as the service does (an office that fails is reported and "
                        "passed over; exit 1 if any failed)")

    p = sub.add_parser("calendar", help="what is due, done and overdue, and who is responsible")
    add_common(p, json_flag=True)
    p.add_argument("--fiscal-year", metavar="YEAR_BE", help="default: the current fiscal year")
    p.add_argument("--overdue", action="store_true", help="only overdue items")

    p = sub.add_parser("report", help="semiannual summary reports (seed §4.1)")
    rsub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    q = rsub.add_parser("submit", help="submit a task's H1 (6-month) or H2 (12-month) report")
    add_common(q, json_flag=True, as_flag="required")
    q.add_argument("process", metavar="YEAR/TASK")
    q.add_argument("round", metavar="H1|H2")
    q.add_argument("--summary", required=True, help="summary of operating results")
    q.add_argument("--document", help="document number of the report (e.g. ศธ ๐๔๐๘๖/๑๒๓)")
    q.add_argument("--attach", action="append", default=[], metavar="PATH", help="attach a file (repeat)")

    p = sub.add_parser("checkpoint", help="supervision checkpoints (seed §3.2, §3.3)")
    ksub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    q = ksub.add_parser("record", help="record a checkpoint's findings and advice")
    add_common(q, json_flag=True, as_flag="required")
    q.add_argument("item", metavar="ID", help="as shown by 'ruam calendar', or FY/ITEM/extra for an extra round")
    q.add_argument("--findings", help="overall findings")
    q.add_argument("--advice", help="overall advice")
    q.add_argument("--held-on", metavar="DATE", help="date of the checkpoint (BE or CE)")
    q.add_argument("--task", action="append", default=[], metavar="TASK=FINDINGS|ADVICE",
                   help="findings and advice for one task (repeat; every task of the group for a group checkpoint)")
    q.add_argument("--evidence-file", metavar="FILE", help="JSON/YAML: {findings, advice, tasks: [{task, findings, advice}]}")
    q.add_argument("--attach", action="append", default=[], metavar="PATH", help="attach a file (repeat)")

    p = sub.add_parser("status", help="the service: scheduler running?, leader, last tick, next wake-up, errors")
    add_common(p, json_flag=True)

    p = sub.add_parser("outbox", help="notifications: list them, or send the due ones by SMTP")
    add_common(p, json_flag=True)
    p.add_argument("action", nargs="?", choices=("list", "send"), default="list")
    p.add_argument("--status", choices=("pending", "sending", "sent", "failed", "no_address"))
    p.add_argument("--limit", type=int, default=50)
    for name, handler in {"tick": tick_command, "calendar": calendar_command, "report": report_command, "checkpoint": checkpoint_command, "status": status_command, "outbox": outbox_command}.items():
        sub.choices[name].set_defaults(run=handler)


def _when(value, th: bool) -> str:
    from workflow.fiscal import format_datetime_be

    return format_datetime_be(value) if value else "-"


def _counts(summary: dict, th: bool) -> str:
    """A tick's counts (``TickResult.summary()``) as a person reads them."""
    s = summary
    return (f"เปิดกระบวนการ {s['processes_opened']}, เปิดรายการ {s['opened']}, ไม่อยู่ในรอบ {s['not_applicable']}, "
            f"แจ้งเตือน {s['reminders']}, เกินกำหนด {s['overdue']}, ข้อความ {s['messages']}" if th else
            f"processes opened {s['processes_opened']}, items opened {s['opened']}, "
            f"not applicable {s['not_applicable']}, reminders {s['reminders']}, overdue {s['overdue']}, "
            f"messages {s['messages']}")


def _outbox_line(sent: dict, th: bool) -> str | None:
    if not (sent["sent"] or sent["retry"] or sent["failed"]):
        return None
    return (f"  ข้อความออก: ส่งแล้ว {sent['sent']}, รอส่งใหม่ {sent['retry']}, ล้มเหลว {sent['failed']}" if th else
            f"  outbox: sent {sent['sent']}, retrying {sent['retry']}, failed {sent['failed']}")


def _clock_moved_line(at, th: bool) -> str:
    from workflow.fiscal import format_datetime_be

    return (f"  ฐานข้อมูลสาธิต: นาฬิกาจำลองเลื่อนไปที่ {format_datetime_be(at)} และเดินต่อจากนั้น "
            "คำสั่งต่อไปจะลงเวลาตามนาฬิกานี้" if th else
            f"  demonstration database: its simulated clock moved to {format_datetime_be(at)} and runs "
            "on from there; later commands are stamped with it")


def tick_command(args) -> int:
    from engine.calendar import tick
    from engine.outbox import SmtpConfig, deliver
    from workflow.fiscal import format_datetime_be

    if args.all_offices:
        return tick_all_offices(args)
    app = open_app(args)
    at = moment(args.now, "--now")
    before = app.clock_offset
    result = tick(app, at)  # ahead of the database's clock: refused, or a demo database's clock moves on
    moved = app.clock_offset != before
    sent = deliver(app, SmtpConfig.from_env(os.environ))
    summary = result.summary() | {"outbox": sent, "simulated_clock_moved": moved}
    if args.json:
        print_json(summary | {"opened_items": result.opened, "overdue_items": result.overdue,
                              "reminder_items": [list(r) for r in result.reminders],
                              "not_applicable_items": result.not_applicable,
                              "processes": result.processes_opened})
        return EXIT_OK
    th = lang(args) == "th"
    print((f"ตรวจปฏิทิน ณ {format_datetime_be(result.at)}: " if th else f"tick at {format_datetime_be(result.at)}: ")
          + _counts(result.summary(), th))
    if (line := _outbox_line(sent, th)) is not None:
        print(line)
    if moved:
        print(_clock_moved_line(result.at, th))
    return EXIT_OK


def tick_all_offices(args) -> int:
    """``ruam tick --all-offices``: every office's tick and outbox as the service's wake-up does
    (``engine.offices.tick_every_office``); one line per office, by its name; exit 1 if any failed."""
    from engine.clock import TickAhead, load, simulated
    from engine.offices import office_names, shown, tick_every_office
    from engine.outbox import SmtpConfig
    from workflow.errors import UsageError
    from workflow.fiscal import format_datetime_be
    from workflow.ledger import parse_instant

    if getattr(args, "office", None):
        raise UsageError("--office", "cannot be given with --all-offices (which ticks every office)",
                         "ใช้ --office คู่กับ --all-offices ไม่ได้ (--all-offices ตรวจปฏิทินทุกสำนักงาน)")
    app = open_app(args)
    at = moment(args.now, "--now")
    if at is not None and at > app.now() and simulated(app) is None:
        raise TickAhead(at, app.now())  # the operator's moment, refused once (not as every office's failure)
    before = app.clock_offset
    every = tick_every_office(app, SmtpConfig.from_env(os.environ), now=at)
    load(app)  # a demonstration database's clock, as the ticks left it
    moved = app.clock_offset != before
    names = office_names(app)
    codes = [c for c in names if c in every["offices"] or c in every["failed"]]
    if args.json:
        rows = []
        for code in codes:
            if code in every["offices"]:
                rows.append({"office": code, "ok": True, "summary": every["offices"][code]})
            else:
                rows.append({"office": code, "ok": False, "error": every["failed"][code],
                             "problem": every["problems"][code]})
        print_json({"at": every["at"], "offices": rows, "failed": sorted(every["failed"]),
                    "simulated_clock_moved": moved})
        return EXIT_OK if not every["failed"] else EXIT_FAILED
    language = lang(args)
    th = language == "th"
    for code in codes:
        label = f"{shown(names[code], th)} {typed(code, language)}"
        if code in every["failed"]:
            print(f"{label}: " + ("ตรวจไม่สำเร็จ ข้ามไป — " if th else "not ticked, passed over — ")
                  + every["problems"][code][language])
            continue
        summary = every["offices"][code]
        when = format_datetime_be(parse_instant(summary["at"]))
        print(f"{label}: " + (f"ตรวจปฏิทิน ณ {when}: " if th else f"tick at {when}: ") + _counts(summary, th))
        if (line := _outbox_line(summary["outbox"], th)) is not None:
            print(line)
    if moved and every["at"] is not None:
        print(_clock_moved_line(every["at"], th))
    failed = len(every["failed"])
    print((f"สำนักงาน {len(codes)} แห่ง ตรวจแล้ว {len(codes) - failed} แห่ง ไม่สำเร็จ {failed} แห่ง" if th else
           f"{len(codes)} office(s): {len(codes) - failed} ticked, {failed} failed"))
    return EXIT_OK if not failed else EXIT_FAILED


def calendar_command(args) -> int:
    from workflow.fiscal import format_date_be, format_datetime_be

    app, language = open_app(args), lang(args)
    year = fiscal_year(args.fiscal_year, "--fiscal-year")
    from engine.calendar_items import calendar_view

    view = calendar_view(app, year, args.overdue, language)
    if args.json:
        print_json(view)
        return EXIT_OK
    th = language == "th"
    print((f"ปฏิทินปีงบประมาณ พ.ศ. {view['fiscal_year']} (ณ {format_datetime_be(view['at'])})" if th else
           f"calendar of fiscal year {view['fiscal_year']} BE (at {format_datetime_be(view['at'])})"))
    names = names_of(app, args)
    for i in view["items"]:
        people = names.persons(p["person"] for p in i["responsible"])
        print(f"- {i['title']} — {i['round_title']} — {i['subject_title']}")
        print(f"    {typed(i['id'], language)}")
        due = "กำหนด" if th else "due"
        opens = "เปิด" if th else "opens"
        print(f"    {opens} {format_date_be(i['opens_on'])}  {due} {format_date_be(i['due_on'])}  "
              f"[{i['status_title']}]")
        if i["status"] not in ("scheduled", "not_applicable"):
            print(f"    {'ผู้รับผิดชอบ' if th else 'responsible'}: {people}")
        if i["escalated_to"]:
            print(f"    {'แจ้งผู้บังคับบัญชา' if th else 'escalated to'}: "
                  + names.persons(p["person"] for p in i["escalated_to"]))
        if i["completed_by"]:
            print(f"    {'ดำเนินการโดย' if th else 'done by'} {names.person(i['completed_by'])} "
                  f"{format_datetime_be(i['completed_at'])}")
    if not view["items"]:
        print("ไม่มีรายการ" if th else "nothing")
    from engine.names import calendar_status

    counts = ", ".join(f"{calendar_status(k, language)} {v}"
                       for k, v in sorted(view["counts"].items()))
    print(("สรุป: " if th else "summary: ") + (counts or "-"))
    return EXIT_OK


def report_command(args) -> int:
    from engine.app import parse_process_id
    from engine.calendar_items import submit_report

    app, language = open_app(args), lang(args)
    fy, task = parse_process_id(args.process)
    rec = submit_report(app, fy, task, args.round, args.actor, args.summary, args.document,
                        files=_attach(app, args.attach))
    return _done(app, rec, args, language)


def _attach(app, paths: list[str]) -> list[dict]:
    from workflow.errors import UsageError

    files = []
    for value in paths:
        path = Path(value)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise UsageError("--attach", f"cannot read {path}: {exc.strerror}", f"อ่านไฟล์ {path} ไม่ได้") from None
        files.append(app.store_attachment(content, path.name))
    return files


def _done(app, rec, args, language: str) -> int:
    if args.json:
        print_json(rec.body() | {"hash": rec.hash})
        return EXIT_OK
    th = language == "th"
    late = rec.data.get("late")
    mark = (" (ล่าช้า)" if th else " (late)") if late else ""
    shown = names_of(app, args).item_id(rec.data["item_id"])
    print((f"บันทึกแล้ว: {shown}{mark} (บันทึกที่ #{rec.seq})" if th else
           f"recorded: {shown}{mark} (record #{rec.seq})"))
    return EXIT_OK


def checkpoint_command(args) -> int:
    from engine.calendar_items import record_checkpoint
    from workflow.errors import UsageError
    from workflow.fiscal import parse_date

    app, language = open_app(args), lang(args)
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
            raise UsageError("--held-on", str(exc), getattr(exc, "th", None)) from None
    tasks = list(evidence.get("tasks") or [])
    for item in args.task:
        task, sep, rest = item.partition("=")
        findings, sep2, advice = rest.partition("|")
        if not sep or not sep2:
            raise UsageError("--task", f"'{item}' is not TASK=FINDINGS|ADVICE",
                             f"'{item}' ไม่อยู่ในรูป งาน=ข้อค้นพบ|ข้อเสนอแนะ")
        tasks.append({"task": task.strip(), "findings": findings.strip(), "advice": advice.strip()})
    if tasks:
        evidence["tasks"] = tasks
    files = _attach(app, args.attach)
    if files:
        evidence["files"] = list(evidence.get("files") or []) + files
    rec = record_checkpoint(app, args.item, args.actor, evidence)
    return _done(app, rec, args, language)


def status_command(args) -> int:
    from engine.status import status

    app, language = open_app(args), lang(args)
    info = status(app, float(os.environ.get("RUAM_LEADER_POLL_SECONDS", "10")))
    if args.json:
        print_json(info)
        return EXIT_OK
    from engine.names import outbox_status

    th = language == "th"  # (no names of the definitions: the status of an office whose definitions broke)
    yes, no = ("ทำงาน", "ไม่ทำงาน") if th else ("running", "not running")
    offices = info["offices"]
    rows = [
        ("ตัวตั้งเวลา" if th else "scheduler", yes if info["running"] else no),
        ("ผู้นำ (leader)" if th else "leader", info["leader"] or "-"),
        ("เป็นผู้นำตั้งแต่" if th else "leader since", _when(info["leader_since"], th)),
        ("สัญญาณล่าสุด" if th else "heartbeat", _when(info["heartbeat_at"], th)),
        ("ตรวจปฏิทินล่าสุด" if th else "last tick", _when(info["last_tick_at"], th)),
        ("ตื่นครั้งถัดไป" if th else "next wake-up", _when(info["next_wakeup"], th)),
        ("ข้อผิดพลาดล่าสุด" if th else "last error",
         f"{_service_error(info['last_error'], offices, th)} ({_when(info['last_error_at'], th)})"
         if info["last_error"] else "-"),
        ("กล่องข้อความออก" if th else "outbox",
         ", ".join(f"{outbox_status(k, language)} {v}" for k, v in sorted(info["outbox"].items())) or "-"),
        ("ฐานข้อมูล" if th else "database", info["database"]),
    ]
    for label, value in rows:
        print(f"{label}: {value}")
    if len(offices) == 1:  # the default office alone: one line
        print(("สำนักงาน: " if th else "office: ") + _office_line(offices[0], language, tick=False))
    else:
        print(f"สำนักงาน {len(offices)} แห่ง:" if th else f"{len(offices)} offices:")
        for o in offices:
            print("  - " + _office_line(o, language))
    return EXIT_OK


def _office_line(o: dict, language: str, *, tick: bool = True) -> str:
    """An office in ``ruam status``: its name, its calendar's last tick, its last wake-up's failure."""
    from engine.offices import shown

    th = language == "th"
    name = f"{shown(o, th)} {typed(o['code'], language)}"
    parts = []
    if tick:
        parts.append(("ตรวจปฏิทินล่าสุด " if th else "last tick ") + _when(o["last_tick_at"], th))
    if o["last_error"]:
        parts.append(("ข้อผิดพลาดล่าสุด: " if th else "last error: ")
                     + f"{o['last_error'][language]} ({_when(o['last_error_at'], th)})")
    return f"{name}: {'; '.join(parts)}" if parts else name


def _service_error(error: str, offices: list[dict], th: bool) -> str:
    """The service's last error as a person reads it: a wake-up's failed offices (kept as JSON,
    office code -> error) by their names; any other error as it was kept."""
    import json

    from engine.offices import shown

    try:
        failed = json.loads(error)
    except ValueError:
        return error
    if not isinstance(failed, dict):
        return error
    names = {o["code"]: shown(o, th) for o in offices}
    who = ", ".join(f"{names.get(code, code)} {typed(code, 'th' if th else 'en')}" for code in failed)
    return (f"ตรวจปฏิทินไม่สำเร็จที่ {who}" if th else f"the tick failed at {who}")


def outbox_command(args) -> int:
    from engine.outbox import SmtpConfig, deliver, outbox
    from workflow.errors import UsageError
    from workflow.fiscal import format_datetime_be

    app, language = open_app(args), lang(args)
    th = language == "th"
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
    names = names_of(app, args)
    for m in box["messages"]:
        print(f"#{m['id']:<5} [{names.outbox_status(m['status'])}] {format_datetime_be(m['created_at'])} → "
              f"{names.person(m['person'])} <{m['email'] or '-'}>  {m['subject']}")
        if m["last_error"]:
            print(f"       {'ข้อผิดพลาด' if th else 'error'}: {m['last_error']} "
                  f"({'ครั้งที่' if th else 'attempt'} {m['attempts']})")
    if not box["messages"]:
        print("ไม่มีข้อความ" if th else "no messages")
    counts = ", ".join(f"{names.outbox_status(k)} {v}" for k, v in sorted(box["counts"].items()))
    print(("สรุป: " if th else "summary: ") + (counts or "-"), file=sys.stdout)
    return EXIT_OK
