"""``ruam cycle``, ``processes``, ``process show``, ``advance``, ``send-back``, ``cancel``, ``log``:
a fiscal year's processes and their steps."""

from __future__ import annotations

import argparse
import json
from typing import Any

from engine.cli.common import (
    EXIT_OK,
    Parser,
    add_common,
    fiscal_year,
    lang,
    names_of,
    open_app,
    print_json,
    read_mapping_file,
    typed,
)


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("cycle", help="fiscal-year cycles")
    csub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    q = csub.add_parser("open", help="open one process per task for a BE fiscal year (idempotent)")
    add_common(q, json_flag=True, as_flag="optional")
    q.add_argument("fiscal_year", metavar="FISCAL_YEAR_BE")

    p = sub.add_parser("processes", help="list processes")
    add_common(p, json_flag=True)
    p.add_argument("--fiscal-year", metavar="YEAR_BE")
    p.add_argument("--group", help="mission group or unit id")
    p.add_argument("--state")

    p = sub.add_parser("process", help="one process")
    prsub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    q = prsub.add_parser("show", help="state, history, and what a person may do now")
    add_common(q, json_flag=True)
    q.add_argument("process", metavar="YEAR/TASK")
    q.add_argument("--as", dest="actor", metavar="PERSON", help="show what this person may do")

    for name, helptext in (("advance", "fire a trigger with evidence"),
                           ("send-back", "send a step back to the previous state, with a reason"),
                           ("cancel", "cancel a process, with a reason")):
        p = sub.add_parser(name, help=helptext)
        add_common(p, json_flag=True, as_flag="required")
        p.add_argument("process", metavar="YEAR/TASK")
        if name == "advance":
            p.add_argument("trigger")
            p.add_argument("--evidence", action="append", default=[], metavar="KEY=VALUE",
                           help="one evidence field (JSON values for lists); repeat")
            p.add_argument("--evidence-file", metavar="FILE", help="evidence as a JSON or YAML mapping")
            p.add_argument("--attach", action="append", default=[], metavar="FIELD=PATH",
                           help="store a file and add it to a list-of-files field; repeat")
            p.add_argument("--note")
        else:
            p.add_argument("--reason", required=True)
        p.add_argument("--expect-version", type=int, metavar="N",
                       help="refuse with a conflict unless the process is at this version")

    p = sub.add_parser("log", help="the ledger, readable (Thai, BE dates)")
    add_common(p, json_flag=True)
    p.add_argument("process", nargs="?", metavar="YEAR/TASK")
    p.add_argument("--limit", type=int)
    for name, handler in {"cycle": cmd_cycle, "processes": cmd_processes, "process": cmd_process, "advance": cmd_step, "send-back": cmd_step, "cancel": cmd_step, "log": cmd_log}.items():
        sub.choices[name].set_defaults(run=handler)


def _evidence(args: argparse.Namespace, app) -> dict:
    from pathlib import Path

    from workflow.errors import UsageError

    evidence: dict[str, Any] = {}
    if args.evidence_file:
        evidence.update(read_mapping_file(args.evidence_file))
    for item in args.evidence:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError("--evidence", f"'{item}' is not KEY=VALUE", f"'{item}' ไม่อยู่ในรูป ช่อง=ค่า")
        parsed: Any = value
        if value[:1] in "[{" or value in ("true", "false"):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError as exc:
                raise UsageError(f"--evidence {key}", f"not valid JSON: {exc.msg}", "ไม่ใช่ JSON ที่อ่านได้") from None
        evidence[key.strip()] = parsed
    for item in args.attach:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError("--attach", f"'{item}' is not FIELD=PATH", f"'{item}' ไม่อยู่ในรูป ช่อง=ไฟล์")
        path = Path(value)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise UsageError("--attach", f"cannot read {path}: {exc.strerror}", f"อ่านไฟล์ {path} ไม่ได้") from None
        stored = app.store_attachment(content, path.name)
        items = evidence.setdefault(key, [])
        if not isinstance(items, list):
            raise UsageError("--attach", f"evidence field '{key}' is not a list of files",
                             f"ช่อง '{key}' ของหลักฐานไม่ใช่รายการไฟล์")
        items.append({"file": stored})
    return evidence


def cmd_cycle(args) -> int:
    app = open_app(args)
    fy = fiscal_year(args.fiscal_year)
    opened = app.open_cycle(fy, actor=args.actor or "system")
    if args.json:
        print_json({"fiscal_year": fy, "opened": opened})
        return EXIT_OK
    names = names_of(app, args)
    if names.th:
        print(f"ปีงบประมาณ {fy}: เปิดกระบวนการใหม่ {len(opened)} งาน" + ("" if opened else " (เปิดครบแล้ว)"))
    else:
        print(f"fiscal year {fy} BE: opened {len(opened)} process(es)" + ("" if opened else " (all open already)"))
    for pid in opened:
        print(f"  {names.process(pid)} {typed(pid, names.lang)}")
    return EXIT_OK


def cmd_processes(args) -> int:
    app = open_app(args)
    rows = app.processes(fiscal_year(args.fiscal_year, "--fiscal-year"), args.group, args.state)
    if args.json:
        print_json(rows)
        return EXIT_OK
    th = lang(args) == "th"
    for r in rows:
        print(f"{r['task_title'] if th else r['task_title_en']} {'ปีงบประมาณ' if th else 'FY'} {r['fiscal_year']}")
        print(f"    {r['state_title'] if th else r['state_title_en']} · {'รุ่น' if th else 'version'} {r['version']} · "
              f"{typed(r['id'], 'th' if th else 'en')}")
    if not rows:
        print("ไม่มีกระบวนการ (สั่ง 'ruam cycle open 2570' เพื่อเปิดปีงบประมาณ)" if th
              else "no processes (run 'ruam cycle open 2570' to open a fiscal year)")
    return EXIT_OK


def cmd_process(args) -> int:
    from engine.cli.records import describe
    from workflow.ledger import Record

    app = open_app(args)
    info = app.process(args.process, args.actor)
    if args.json:
        print_json(info)
        return EXIT_OK
    names = names_of(app, args)
    th = names.th
    print(f"{info['task_title'] if th else info['task_title_en']} {'ปีงบประมาณ' if th else 'FY'} "
          f"{info['fiscal_year']} {typed(info['id'], names.lang)}")
    print(f"{'ขั้นตอน' if th else 'state'}: {info['state_title'] if th else info['state_title_en']}, "
          f"{'รุ่น' if th else 'version'} {info['version']}")
    print(f"{'ผู้รับผิดชอบ' if th else 'responsible officer'}: {names.person(info['responsible'])}")
    if info["open_feedback"]:
        print(f"{'ความคิดเห็นที่รอพิจารณา' if th else 'opinions awaiting a decision'}: "
              f"{len(info['open_feedback'])} {typed(', '.join(info['open_feedback']), names.lang)}")
    print("ประวัติ:" if th else "history:")
    for body in info["history"]:
        rec = Record(**{k: v for k, v in body.items() if k != "hash"})
        print("  " + describe(rec, names))
    if info["final"]:
        return EXIT_OK
    who = f" ({'สำหรับ' if th else 'for'} {names.person(info['as'])})" if info.get("as") else ""
    print(("ทำได้ตอนนี้" if th else "possible now") + who + ":")
    for t in info["available"]:
        if "allowed" in t:
            mark = (" [ทำได้]" if th else " [allowed]") if t["allowed"] else (" [ไม่มีสิทธิ์]" if th else " [not allowed]")
        else:
            mark = f" [{', '.join(names.role(r) for r in t['roles'])}]"
        print(f"  {t['title_th'] if th else t['title_en']} → {names.state(t['to'])}{mark} {typed(t['trigger'], names.lang)}")
        for f in t["evidence"]:
            _print_field(f, names, "      ")
    return EXIT_OK


def _print_field(f: dict, names, indent: str) -> None:
    from engine.names import FIELD_TYPES, pick

    th = names.th
    req = ("จำเป็น" if th else "required") if f["required"] else ("ไม่บังคับ" if th else "optional")
    kind = pick(FIELD_TYPES[f["type"]], names.lang) if f["type"] in FIELD_TYPES else f["type"]
    print(f"{indent}- {f['title_th'] if th else f['title_en']} ({kind}, {req}) {typed(f['name'], names.lang)}")
    if f.get("options"):
        titles = f.get("option_titles") or {}
        for option in f["options"]:
            title = titles.get(option, {})
            shown = (title.get("th") if th else title.get("en")) if isinstance(title, dict) else None
            print(f"{indent}    · {shown or option} {typed(option, names.lang)}")
    for sub in f.get("fields", []):
        _print_field(sub, names, indent + "    ")


def cmd_step(args) -> int:
    app = open_app(args)
    if args.command == "advance":
        rec = app.advance(args.process, args.trigger, args.actor, _evidence(args, app), args.note,
                          args.expect_version)
    elif args.command == "send-back":
        rec = app.send_back(args.process, args.actor, args.reason, args.expect_version)
    else:
        rec = app.cancel(args.process, args.actor, args.reason, args.expect_version)
    if args.json:
        print_json(rec.body() | {"hash": rec.hash})
        return EXIT_OK
    names = names_of(app, args)
    d = rec.data
    move = f"{names.state(d['from'], d.get('procedure'))} → {names.state(d['to'], d.get('procedure'))}"
    if names.th:
        print(f"{names.process(args.process)}: {move} (บันทึกที่ #{rec.seq}, รุ่น {d['version']})")
    else:
        print(f"{names.process(args.process)}: {move} (record #{rec.seq}, version {d['version']})")
    return EXIT_OK


def cmd_log(args) -> int:
    from engine.cli.records import describe

    app = open_app(args)
    records = app.log_records(args.process, args.limit)
    if args.json:
        print_json([r.body() | {"hash": r.hash} for r in records])
        return EXIT_OK
    names = names_of(app, args)
    for rec in records:
        print(describe(rec, names))
    return EXIT_OK
