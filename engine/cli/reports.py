"""``ruam measure-report``: the measure's yearly or semiannual report as a file (HTML, DOCX, PDF, XLSX),
or its figures as JSON. (``ruam report submit`` is a task's semiannual report to the director; this
is the office's report of the whole measure, hence its own name.)"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from engine.cli.common import EXIT_OK, add_common, fiscal_year, lang, open_app, print_json

FORMATS = ("html", "docx", "pdf", "xlsx")


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("measure-report", help="the measure's yearly or semiannual report (charts, tables, per task)")
    add_common(p, json_flag=True)
    p.add_argument("--fiscal-year", required=True, metavar="YEAR_BE", help="e.g. 2570")
    p.add_argument("--half", choices=("1", "2"), help="1 = 1 Oct – 31 Mar, 2 = 1 Apr – 30 Sep (default: the year)")
    p.add_argument("--format", choices=FORMATS, help="default: from the file's extension, else html")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write the report (required without --json)")
    p.set_defaults(run=cmd_measure_report)


def _format(args) -> str:
    if args.format:
        return args.format
    ext = Path(args.output).suffix.lower().lstrip(".") if args.output else ""
    return ext if ext in FORMATS else "html"


def cmd_measure_report(args) -> int:
    from workflow.errors import UsageError

    th = lang(args) == "th"
    if not args.output and not args.json:
        raise UsageError("--output", "name the file to write with -o FILE (or ask for --json)",
                         "ระบุไฟล์ที่จะบันทึกด้วย -o FILE (หรือใช้ --json)")
    year = fiscal_year(args.fiscal_year, "--fiscal-year")
    from engine.reports.data import measure_report

    app = open_app(args)
    report = measure_report(app, year, int(args.half) if args.half else None, lang(args))
    if args.json:
        print_json(report)
        return EXIT_OK
    fmt = _format(args)
    from engine.reports import files, html

    content = {"xlsx": files.xlsx_bytes, "docx": files.docx_bytes, "pdf": files.pdf_bytes,
               "html": lambda r: html.document(r).encode("utf-8")}[fmt](report)
    target = Path(args.output)
    if not target.parent.is_dir():
        raise UsageError("--output", f"the folder {target.parent} does not exist", f"ไม่มีโฟลเดอร์ {target.parent}")
    # written beside the target and renamed: a reader never sees half a file
    fd, tmp = tempfile.mkstemp(prefix=".ruam-report-", dir=str(target.parent))
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    kb = max(1, len(content) // 1024)
    period = ("" if not report["half"] else
              (f" ครึ่งปีที่ {report['half']}" if th else f", half {report['half']}"))
    print(f"บันทึกรายงานผลการดำเนินงานตามมาตรการ ปีงบประมาณ {year}{period} ({fmt.upper()}, {kb} กิโลไบต์) "
          f"ที่ {target}" if th else
          f"wrote the measure's report for FY {year} BE{period} ({fmt.upper()}, {kb} KB) to {target}",
          file=sys.stdout)
    return EXIT_OK
