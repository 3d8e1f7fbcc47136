"""``ruam ita check|sheet|links``: the OIT items of a fiscal year, before the form is due.

``check`` lists per item and per task what is complete and what is missing, in
Thai, each with the page that fixes it; exit 0 when everything is complete, 1
when something is missing. ``sheet`` writes the answer sheet (XLSX or CSV).
``links`` asks the running service for every URL of the sheet; exit 1 if one
does not answer 200.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine.cli.common import EXIT_OK, EXIT_REFUSED, Parser, add_common, fiscal_year, lang, open_app, print_json, write_whole

EXIT_MISSING = EXIT_REFUSED


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("ita", help="ITA (OIT) evidence: completeness, the answer sheet, the link check")
    isub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)

    def year_and_type(q: argparse.ArgumentParser) -> None:
        q.add_argument("--fiscal-year", required=True, metavar="YEAR_BE", help="e.g. 2570")
        q.add_argument("--agency-type", metavar="TYPE",
                       help="the catalogue's agency type (default: $RUAM_ITA_AGENCY_TYPE, else esa_office)")

    q = isub.add_parser("check", help="what is complete and what is missing, per item and task",
                        description="Per OIT item of the year and per task: what is complete and what is missing, "
                                    "with the page that fixes it. Exit code 0 when everything is complete, "
                                    "1 when something is missing (2: bad usage).")
    add_common(q, json_flag=True)
    year_and_type(q)
    q.add_argument("--base-url", metavar="URL", help="the links' base (default: $RUAM_PUBLIC_URL, else "
                                                     "http://127.0.0.1:8000)")
    q = isub.add_parser("sheet", help="the OIT answer sheet: code, มี/ไม่มี, URL, explanation (XLSX or CSV)")
    add_common(q)
    year_and_type(q)
    q.add_argument("-o", "--output", required=True, metavar="FILE.xlsx|FILE.csv")
    q.add_argument("--base-url", metavar="URL", help="the public site's base URL (default: $RUAM_PUBLIC_URL, "
                                                     "else http://127.0.0.1:8000)")
    q = isub.add_parser("links", help="every URL of the sheet answers 200 on the running service",
                        description="GET every URL of the answer sheet and the pages they lead to. "
                                    "Exit code 0 when all answer 200, 1 when one does not.")
    add_common(q, json_flag=True)
    year_and_type(q)
    q.add_argument("--base-url", metavar="URL", help="the running service (default: $RUAM_PUBLIC_URL, else "
                                                     "http://127.0.0.1:8000)")
    p.set_defaults(run=ita_command)


def _year(args) -> int:
    from engine.calendar_items import check_fiscal_year

    return check_fiscal_year(fiscal_year(args.fiscal_year))


def ita_command(args) -> int:
    from engine.ita.check import check, public_url

    app = open_app(args)
    report = check(app, _year(args), args.agency_type)
    base = public_url(args.base_url)
    if args.action == "check":
        return _check(args, report, base)
    if args.action == "sheet":
        return _sheet(args, report, base)
    return _links(args, report, base)


def _check(args, report, base: str) -> int:
    from engine.ita.words import report_json, report_lines

    if args.json:
        print_json(report_json(report, base))
    else:
        print("\n".join(report_lines(report, base, lang(args))))
    return EXIT_OK if report.complete else EXIT_MISSING


def _sheet(args, report, base: str) -> int:
    from engine.ita.sheet import sheet_rows, to_csv, to_xlsx
    from workflow.errors import UsageError

    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UsageError("--output", f"'{out.name}' must end in .xlsx or .csv",
                         f"'{out.name}' ต้องลงท้ายด้วย .xlsx หรือ .csv")
    rows = sheet_rows(report, base)
    data = to_xlsx(rows, report) if suffix == ".xlsx" else to_csv(rows)
    write_whole(out, data)
    th = lang(args) == "th"
    have = sum(1 for r in rows if r.answer)
    print(f"บันทึกแบบตอบ OIT ปีงบประมาณ {report.fiscal_year} แล้ว: {len(rows)} ข้อ มี {have} ไม่มี {len(rows) - have} "
          f"→ {out}" if th else
          f"wrote the OIT answer sheet for FY {report.fiscal_year}: {len(rows)} item(s), {have} yes → {out}")
    return EXIT_OK


def _links(args, report, base: str) -> int:
    from engine.ita.sheet import check_links, linked_urls

    results = check_links(linked_urls(report, base))
    bad = [r for r in results if not r.ok]
    th = lang(args) == "th"
    if args.json:
        print_json({"base_url": base, "checked": len(results), "failed": len(bad),
                    "results": [{"url": r.url, "status": r.status, "error": r.error} for r in results]})
    else:
        for r in results:
            if r.ok:
                print(f"ใช้ได้    {r.url}" if th else f"ok      {r.url}")
            else:
                why = (f"ตอบ {r.status}" if r.status else f"ติดต่อไม่ได้ ({r.error})") if th else \
                      (f"answered {r.status}" if r.status else f"unreachable ({r.error})")
                print(f"ใช้ไม่ได้ {r.url}  {why}" if th else f"FAILED  {r.url}  {why}")
        print((f"ตรวจลิงก์ {len(results)} ลิงก์: ใช้ได้ {len(results) - len(bad)} ใช้ไม่ได้ {len(bad)}") if th else
              f"checked {len(results)} link(s): {len(results) - len(bad)} ok, {len(bad)} failed",
              file=sys.stdout)
    return EXIT_OK if not bad else EXIT_REFUSED
