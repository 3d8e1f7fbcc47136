"""The measure's report for the director, the deputies, the group directors, the committee, the admin
group and the auditor: ``/reports`` (a fiscal year, or one half of it), its charts with their tables,
and the tables as XLSX, the document as DOCX or PDF. (``/reports/{fy}/{task}/{round}`` is the
semiannual report form, in ``pages_calendar``.)

A responsible officer is refused: the report is about every task of the office, and the officer's
page for their own task is the process page.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from engine.reports import charts as ch
from engine.reports.data import check_half, measure_report
from engine.web.auth import Caller
from engine.web.pages import page_caller, render, web_of
from engine.web.problems import Forbidden, lang_of
from workflow.errors import UsageError
from workflow.fiscal import fiscal_year_be

router = APIRouter(include_in_schema=False)

READERS = ("esa_director", "deputy_esa_director", "group_director", "ktpn_member", "admin", "auditor")
FILES = ("xlsx", "docx", "pdf", "html")


def may_read(who: Caller) -> bool:
    return who.viewer.holds(*READERS)


def _reader(request: Request) -> Caller:
    who = page_caller(request)
    if not may_read(who):
        raise Forbidden("read the measure's report (directors, the committee, the admin group and the auditor)",
                        "ดูรายงานผลการดำเนินงานตามมาตรการ (สำหรับผู้บริหาร ก.ต.ป.น. กลุ่มอำนวยการ และผู้ตรวจสอบ)")
    return who


def _choice(request: Request, web) -> tuple[int, int | None]:
    text = (request.query_params.get("fiscal_year") or "").strip()
    if not text:
        year = fiscal_year_be(web.app.now().date())
    elif text.isdigit() and len(text) == 4:
        year = int(text)
    else:
        raise UsageError("fiscal_year", f"'{text}' is not a Buddhist-Era fiscal year like 2570",
                         f"'{text}' ไม่ใช่ปีงบประมาณ พ.ศ. เช่น 2570")
    return year, check_half(request.query_params.get("half"))


@router.get("/reports")
def reports_page(request: Request) -> Response:
    who = _reader(request)
    web = web_of(request)
    year, half = _choice(request, web)
    from engine.reports.files import pdf_ready
    from engine.reports.html import body

    report = measure_report(web.app, year, half, lang_of(request))
    this = fiscal_year_be(web.app.now().date())
    query = f"fiscal_year={year}" + (f"&half={half}" if half else "")
    return render(request, "measure_report.html", who=who, body=body(report), fiscal_year=year, half=half,
                  years=range(this + 1, this - 4, -1), query=query, pdf=pdf_ready())


@router.get("/reports/measure.{fmt}")
def report_file(request: Request, fmt: str) -> Response:
    _reader(request)
    if fmt not in FILES:
        raise UsageError("format", f"'{fmt}' is not one of: {', '.join(FILES)}",
                         f"'{fmt}' ไม่ใช่รูปแบบที่รองรับ ({', '.join(FILES)})")
    web = web_of(request)
    year, half = _choice(request, web)
    from engine.reports import files, html

    report = measure_report(web.app, year, half, lang_of(request))
    content = {"xlsx": files.xlsx_bytes, "docx": files.docx_bytes, "pdf": files.pdf_bytes,
               "html": lambda r: html.document(r).encode("utf-8")}[fmt](report)
    name = files.file_name(report, fmt)
    return Response(content, media_type=files.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
                             "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@router.get("/reports/style.css")
def report_style() -> Response:
    """The report's style and its Thai web font (so a phone without a Thai font reads the charts)."""
    from engine.reports.html import font_css, page_css

    return Response(font_css("/reports/font/regular.ttf", "/reports/font/bold.ttf") + page_css(),
                    media_type="text/css; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/reports/font/{weight}.ttf")
def report_font(weight: str) -> Response:
    if weight not in ("regular", "bold"):
        raise UsageError("font", f"'{weight}' is not regular or bold", f"'{weight}' ไม่ใช่ regular หรือ bold")
    _, data = ch.font_file(weight)
    return Response(data, media_type="font/ttf", headers={"Cache-Control": "public, max-age=86400"})
