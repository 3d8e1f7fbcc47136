"""``ruam office add|list|show``: the offices one database serves.

Every other command works on one office: ``--office CODE`` (or ``RUAM_OFFICE``),
else the default office, so a database with one office needs no extra typing.
"""

from __future__ import annotations

from typing import Any

from engine.cli.common import EXIT_OK, Parser, add_common, lang, open_app, print_json, typed


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("office", help="the offices this database serves: add, list, show")
    osub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    q = osub.add_parser("add", help="add an office (its own people, definitions, calendar and hash chain)")
    add_common(q, json_flag=True)
    q.add_argument("code", metavar="CODE", help="what commands and URLs name it by (a-z 0-9 -)")
    q.add_argument("--name-th", required=True, help="the office's name in Thai")
    q.add_argument("--name-en", default="", help="the office's name in English")
    q.add_argument("--sender", metavar="EMAIL", help="the From address of its notifications")
    q.add_argument("--no-definitions", action="store_true",
                   help="do not load the shipped definitions (load its own with 'ruam definitions load --office')")
    q = osub.add_parser("list", help="every office: its name, records, processes, people")
    add_common(q, json_flag=True)
    q = osub.add_parser("show", help="one office")
    add_common(q, json_flag=True)
    q.add_argument("code", metavar="CODE")
    p.set_defaults(run=cmd_office)


def _line(o: dict, th: bool) -> str:
    name = o["name_th"] if th or not o["name_en"] else o["name_en"]
    mark = (" [ค่าตั้งต้น]" if th else " [default]") if o["default"] else ""
    if th:
        return (f"{name}{mark} {typed(o['code'], 'th')}: บันทึก {o['records']} รายการ, "
                f"กระบวนการ {o['processes']}, บุคคล {o['people']}")
    return f"{name}{mark} {typed(o['code'], 'en')}: {o['records']} records, {o['processes']} processes, " \
           f"{o['people']} people"


def cmd_office(args) -> int:
    from engine.offices import add_office, list_offices, show_office

    th = lang(args) == "th"
    args.office = None  # the office family names its office itself
    app = open_app(args)
    if args.action == "add":
        result = add_office(app, args.code, args.name_th, args.name_en, args.sender,
                            load_shipped=not args.no_definitions)
        if args.json:
            print_json(result)
        else:
            print(_line(show_office(app, args.code), th))
            print(("เพิ่มสำนักงานแล้ว โหลดนิยาม " if th else "office added; definitions loaded: ")
                  + str(len(result["definitions"])))
        return EXIT_OK
    rows = list_offices(app) if args.action == "list" else [show_office(app, args.code)]
    if args.json:
        print_json(rows if args.action == "list" else rows[0])
        return EXIT_OK
    for o in rows:
        print(_line(o, th))
        if args.action == "show" and o["sender"]:
            print(("  ผู้ส่งอีเมล: " if th else "  sender: ") + o["sender"])
    return EXIT_OK


def verify_all_offices(args) -> int:
    """``ruam audit verify --all-offices [--workers N]``: one verdict per office; exit 1 if any fails."""
    from engine.audit.offices import verify_all
    from engine.cli.common import EXIT_FAILED

    th = lang(args) == "th"
    if getattr(args, "office", None):
        from workflow.errors import UsageError

        raise UsageError("--office", "cannot be given with --all-offices (which verifies every office)",
                         "ใช้ --office คู่กับ --all-offices ไม่ได้ (--all-offices ตรวจทุกสำนักงาน)")
    verdicts = verify_all(open_app(args), max(1, getattr(args, "workers", None) or 1))
    if args.json:
        print_json([{"office": v.code, "ok": v.ok, **v.report} for v in verdicts])
    else:
        for v in verdicts:
            name = v.name_th if th or not v.name_en else v.name_en
            r = v.report
            if v.ok:
                state = (f"ผ่าน: บันทึก {r['records']} รายการ ไม่พบปัญหา" if th
                         else f"PASSED: {r['records']} records, no findings")
            else:
                first = min((f["seq"] for f in r["findings"] if f["seq"] is not None), default=None)
                where = "" if first is None else (f" แรกสุดที่บันทึก #{first}" if th else f", first at record #{first}")
                state = (f"ไม่ผ่าน: พบปัญหา {r['findings_total']} รายการ{where}" if th
                         else f"FAILED: {r['findings_total']} finding(s){where}")
            print(f"{name} {typed(v.code, 'th' if th else 'en')}: {state}")
        failed = [v.code for v in verdicts if not v.ok]
        print((f"สำนักงาน {len(verdicts)} แห่ง ไม่ผ่าน {len(failed)} แห่ง" if th
               else f"{len(verdicts)} office(s), {len(failed)} failed"))
    return EXIT_OK if all(v.ok for v in verdicts) else EXIT_FAILED
