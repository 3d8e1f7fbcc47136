"""The ITA working group's page (``/ita``): per OIT item and per task what is complete and
what is missing, with the page that fixes each; the answer sheet as XLSX or CSV; and the
button on a task's page that marks a signed scan public (or withdraws it)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from engine.ita.check import check, public_url
from engine.ita.publish import mark_public
from engine.ita.sheet import sheet_rows, to_csv, to_xlsx
from engine.ita.words import carried_words
from engine.web.auth import Caller
from engine.web.pages import form_of, page_caller, render, web_of
from engine.web.problems import Forbidden
from workflow.ita import PERIOD_TITLES, window_words
from workflow.ita_catalogue import CONFIDENCE_TITLES

router = APIRouter(include_in_schema=False)
# the admin group and the directors (and the internal auditor, who reads the same evidence)
ITA_ROLES = ("admin", "esa_director", "deputy_esa_director", "group_director", "auditor")


def _may_see(who: Caller) -> None:
    if not who.viewer.holds(*ITA_ROLES):
        raise Forbidden("see the ITA check", "ดูความครบถ้วนของหลักฐาน ITA (เฉพาะกลุ่มอำนวยการและผู้บริหาร)")


def _year(request: Request, fiscal_year: int | None) -> int:
    from engine.ita.public import current_year

    return fiscal_year or current_year(web_of(request).app)


@router.get("/ita")
def ita_page(request: Request, fiscal_year: int | None = None, agency_type: str | None = None) -> Response:
    who = page_caller(request)
    _may_see(who)
    fy = _year(request, fiscal_year)
    report = check(web_of(request).app, fy, agency_type)
    return render(request, "ita.html", who=who, report=report, base=public_url(), carried=carried_words(report),
                  periods=PERIOD_TITLES, confidence=CONFIDENCE_TITLES, window_words=window_words,
                  rows=sheet_rows(report, public_url()), agency_type=agency_type or "")


@router.get("/ita/sheet/{fiscal_year}.{fmt}")
def ita_sheet(request: Request, fiscal_year: int, fmt: str, agency_type: str | None = None) -> Response:
    who = page_caller(request)
    _may_see(who)
    if fmt not in ("xlsx", "csv"):
        from workflow.errors import NotFound

        raise NotFound("format", fmt, "รูปแบบไฟล์")
    report = check(web_of(request).app, fiscal_year, agency_type)
    rows = sheet_rows(report, public_url())
    data = to_xlsx(rows, report) if fmt == "xlsx" else to_csv(rows)
    media = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
             else "text/csv; charset=utf-8")
    name = f"oit-{fiscal_year}.{fmt}"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                     "Cache-Control": "private, no-store"})


@router.post("/processes/{fiscal_year}/{task_id}/files/{sha256}/publish")
async def publish_file(request: Request, fiscal_year: int, task_id: str, sha256: str) -> Response:
    who = page_caller(request)
    form = await form_of(request, who)
    public = str(form.get("public") or "1") == "1"
    mark_public(web_of(request).app, f"{fiscal_year}/{task_id}", sha256, who.viewer.id, public)
    done = "published" if public else "unpublished"
    return RedirectResponse(f"/processes/{fiscal_year}/{quote(task_id)}?done={done}#files", status_code=303)
