"""``ruam documents …``: the office's documents of a process (list, render as DOCX or PDF),
the registers (ทะเบียนคำสั่ง, ทะเบียนหนังสือส่ง) and the next order and letter number.

Thai by default, ``--json`` gives ids; python-docx and openpyxl load only inside the command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from engine.cli.common import EXIT_OK, Parser, add_common, fiscal_year, lang, open_app, print_json, write_whole


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("documents", help="the office's documents: list, render (DOCX/PDF), registers, next number")
    dsub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    q = dsub.add_parser("list", help="the documents a process's record gives now, with their sha256")
    add_common(q, json_flag=True)
    q.add_argument("process", metavar="YEAR/TASK")
    q = dsub.add_parser("render", help="write one document as DOCX or PDF")
    add_common(q)
    q.add_argument("process", metavar="YEAR/TASK")
    q.add_argument("kind", metavar="KIND",
                   help="appointment, letter, minutes, report, semiannual_memo or checkpoint_record")
    q.add_argument("--member", metavar="N", help="which letter (1 = the first appointee), report or checkpoint")
    q.add_argument("--format", dest="fmt", choices=("docx", "pdf"), default="docx")
    q.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write it ('-' for stdout)")
    q = dsub.add_parser("register", help="ทะเบียนคำสั่ง and ทะเบียนหนังสือส่ง of a fiscal or calendar year")
    add_common(q, json_flag=True)
    which = q.add_mutually_exclusive_group()
    which.add_argument("--fiscal-year", metavar="YEAR_BE", help="the processes of this fiscal year")
    which.add_argument("--year", metavar="YEAR_BE", help="documents dated in this calendar year (default: this year)")
    q.add_argument("-o", "--output", metavar="FILE.xlsx", help="write the registers as an XLSX workbook")
    q = dsub.add_parser("next-number", help="the next order and letter number for a calendar year")
    add_common(q, json_flag=True)
    q.add_argument("--year", metavar="YEAR_BE", help="default: this year")
    p.set_defaults(run=documents_command)


def _member(text: str | None) -> int | None:
    from workflow.errors import UsageError
    from workflow.fiscal import to_arabic_digits

    if text is None:
        return None
    try:
        value = int(to_arabic_digits(text))
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError("--member", f"'{text}' is not a number from 1", f"'{text}' ไม่ใช่ลำดับที่ (เริ่มที่ ๑)")
    return value


def documents_command(args) -> int:
    from engine.app import parse_process_id

    th = lang(args) == "th"
    if args.action in ("list", "render"):
        fy, task = parse_process_id(args.process)
        if args.action == "list":
            return _list(args, fy, task, th)
        return _render(args, fy, task, th)
    if args.action == "register":
        return _register(args, th)
    return _next(args, th)


def _list(args, fy: int, task: str, th: bool) -> int:
    from dataclasses import asdict

    from engine.documents.service import documents_of
    from workflow.documents import thai_date
    from workflow.fiscal import to_thai_digits

    refs = documents_of(open_app(args), fy, task, lang="th" if th else "en")
    if args.json:
        print_json([asdict(r) for r in refs])
        return EXIT_OK
    if not refs:
        print("ยังไม่มีเอกสารจากบันทึกของกระบวนการนี้" if th else "no documents from this process's record yet")
    for r in refs:
        which = f" ฉบับที่ {to_thai_digits(str(r.member))}" if th and r.member else (f" #{r.member}" if r.member else "")
        label = f" — {r.label}" if r.label else ""
        number = f"  {'ที่' if th else 'no.'} {r.number}" if r.number else ""
        day = f"  {'ลงวันที่' if th else 'dated'} {thai_date(r.date)}" if r.date else ""
        print(f"{r.title}{which}{label}{number}{day}")
        print(f"    sha256 {r.sha256}")
    return EXIT_OK


def _render(args, fy: int, task: str, th: bool) -> int:
    from engine.documents.service import render

    out = render(open_app(args), fy, task, args.kind, member=_member(args.member), fmt=args.fmt)
    if args.output == "-":
        sys.stdout.buffer.write(out.content)
        return EXIT_OK
    write_whole(Path(args.output), out.content)
    print(f"{'เขียน' if th else 'wrote'} {args.output}  ({len(out.content):,} {'ไบต์' if th else 'bytes'})  "
          f"sha256 {out.sha256}")
    return EXIT_OK


def _register(args, th: bool) -> int:
    from engine.documents.registers import register, register_xlsx
    from workflow.fiscal import to_thai_digits

    app = open_app(args)
    fy, year = fiscal_year(args.fiscal_year, "--fiscal-year"), fiscal_year(args.year, "--year")
    regs = register(app, fiscal_year=fy, year=year)
    scope = (f"ปีงบประมาณ พ.ศ. {to_thai_digits(str(fy))}" if fy else f"ปี พ.ศ. {to_thai_digits(str(year))}" if year
             else "ปีนี้") if th else (f"fiscal year {fy} BE" if fy else f"year {year} BE" if year else "this year")
    if args.output:
        write_whole(Path(args.output), register_xlsx(app, regs, f"ทะเบียน {scope}"))
        print(f"{'เขียน' if th else 'wrote'} {args.output}  ({'คำสั่ง' if th else 'orders'} "
              f"{to_thai_digits(str(len(regs['orders']))) if th else len(regs['orders'])}, "
              f"{'หนังสือส่ง' if th else 'letters'} "
              f"{to_thai_digits(str(len(regs['letters']))) if th else len(regs['letters'])})")
        return EXIT_OK
    if args.json:
        print_json(regs)
        return EXIT_OK
    print(f"ทะเบียนคำสั่ง {scope}" if th else f"Register of orders, {scope}")
    for r in regs["orders"]:
        print(f"  {'ที่' if th else 'no.'} {r['number']}  {r['date_th']}  {r['subject']}")
    if not regs["orders"]:
        print("  (ยังไม่มี)" if th else "  (none)")
    print(f"ทะเบียนหนังสือส่ง {scope}" if th else f"Register of letters sent, {scope}")
    for i, r in enumerate(regs["letters"], 1):
        no = to_thai_digits(str(i)) if th else str(i)
        print(f"  {no}. {'ที่' if th else 'no.'} {r['number']}  {r['date_th']}  {'ถึง' if th else 'to'} {r['to']}"
              f"  {r['subject']}")
    if not regs["letters"]:
        print("  (ยังไม่มี)" if th else "  (none)")
    return EXIT_OK


def _next(args, th: bool) -> int:
    from engine.documents.registers import next_numbers
    from workflow.fiscal import to_thai_digits

    found = next_numbers(open_app(args), fiscal_year(args.year, "--year"))
    if args.json:
        print_json(found)
        return EXIT_OK
    year = to_thai_digits(str(found["year"])) if th else found["year"]
    print(f"{'เลขที่คำสั่งถัดไป' if th else 'next order number'} ({'ปี พ.ศ.' if th else 'year BE'} {year}): {found['order']}")
    print(f"{'เลขที่หนังสือส่งถัดไป' if th else 'next letter number'}: {found['letter']}")
    return EXIT_OK
