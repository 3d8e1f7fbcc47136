"""The documents' pages: a recorded document's download, "ร่างเอกสาร" from a step's form
(the form's current values, nothing recorded), and the registers (ทะเบียนคำสั่ง,
ทะเบียนหนังสือส่ง) as a page and an XLSX."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from engine.web import forms
from engine.web.documents_view import DRAFTS, document_response
from engine.web.pages import _process_page, form_of, page_caller, render, web_of
from engine.web.problems import Forbidden, lang_of
from workflow.errors import RuamError, UsageError
from workflow.fiscal import BE_OFFSET, bangkok_date, fiscal_year_be, to_arabic_digits

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _must_see(web, who, task_id: str) -> None:
    if not who.viewer.sees_task(web.organization(), task_id):
        raise Forbidden(f"see {task_id}: no role of yours covers its group",
                        f"ดูงาน {task_id}: คุณไม่มีบทบาทในกลุ่มของงานนี้")


def _member(text: str | None) -> int | None:
    if text is None or not str(text).strip():
        return None
    try:
        value = int(to_arabic_digits(str(text).strip()))
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError("member", f"'{text}' is not a number from 1", f"'{text}' ไม่ใช่ลำดับที่ (เริ่มที่ ๑)")
    return value


@router.get("/processes/{fiscal_year}/{task_id}/documents/{kind}")
def document_download(request: Request, fiscal_year: int, task_id: str, kind: str, member: str | None = None,
                      format: str = "docx") -> Response:
    """A document of the recorded evidence (DOCX, or PDF), the same bytes every time."""
    from engine.documents.service import render as render_document

    who = page_caller(request)
    web = web_of(request)
    _must_see(web, who, task_id)
    return document_response(render_document(web.app, fiscal_year, task_id, kind, member=_member(member),
                                              fmt=format))


@router.post("/processes/{fiscal_year}/{task_id}/documents/{kind}/draft")
async def document_draft(request: Request, fiscal_year: int, task_id: str, kind: str) -> Response:
    """The step's form posted here by its "ร่างเอกสาร" button: the document from the values typed so far."""
    from engine.documents.service import draft

    who = page_caller(request)
    form = await form_of(request, who)
    web = web_of(request)
    trigger = str(form.get("trigger") or "")
    evidence: dict = {}
    try:
        _must_see(web, who, task_id)
        if DRAFTS.get(trigger) != kind:
            raise UsageError("trigger", "this step does not draft that document", "ขั้นตอนนี้ไม่ได้ร่างเอกสารประเภทนี้")
        info = web.app.process(f"{fiscal_year}/{task_id}")
        spec = web.app.definition(info["procedure_version"]).transition(trigger, info["state"])
        evidence = forms.parse(form, spec.evidence if spec else ())  # uploads are not kept for a draft
        evidence.pop("attachments", None)
        rendered = draft(web.app, fiscal_year, task_id, kind, evidence, member=_member(form.get("draft_member")))
    except RuamError as exc:
        return _process_page(request, who, fiscal_year, task_id, status=exc.http_status, error=exc,
                             submitted={"trigger": trigger, "evidence": evidence})
    finally:
        await request.close()
    web.app.log.info("document.drafted", by=who.viewer.id, process=f"{fiscal_year}/{task_id}", kind=kind,
                     sha256=rendered.sha256)
    return document_response(rendered)


@router.get("/documents/register")
def register_page(request: Request, fiscal_year: str | None = None, year: str | None = None,
                  format: str | None = None) -> Response:
    """ทะเบียนคำสั่ง and ทะเบียนหนังสือส่ง of a fiscal year (the processes of it) or a calendar year (BE)."""
    from engine.documents.registers import next_numbers, register, register_xlsx

    who = page_caller(request)
    web = web_of(request)
    fy = _year(fiscal_year, "fiscal_year")
    cal_year = _year(year, "year")
    today = bangkok_date(web.app.now())
    if fy is None and cal_year is None:
        cal_year = today.year + BE_OFFSET
    regs = register(web.app, fiscal_year=fy, year=cal_year)
    scope = f"ปีงบประมาณ พ.ศ. {fy}" if fy else f"ปี พ.ศ. {cal_year}"
    if format == "xlsx":
        from engine.web.downloads import content_disposition

        data = register_xlsx(web.app, regs, f"ทะเบียน {scope}")
        name = f"ทะเบียน-{'ปีงบประมาณ-' + str(fy) if fy else str(cal_year)}.xlsx"
        return Response(data, media_type=XLSX, headers={"Content-Disposition": content_disposition(name, ""),
                                                        "X-Content-Type-Options": "nosniff",
                                                        "Cache-Control": "private, no-store"})
    this_fy = fiscal_year_be(today)
    return render(request, "documents_register.html", who=who, regs=regs, fiscal_year=fy, year=cal_year,
                  scope=scope if lang_of(request) == "th" else scope.replace("ปีงบประมาณ พ.ศ.", "fiscal year")
                  .replace("ปี พ.ศ.", "year"), years=range(this_fy + 1, this_fy - 4, -1),
                  next=next_numbers(web.app, cal_year or today.year + BE_OFFSET))


def _year(text: str | None, name: str) -> int | None:
    if text is None or not str(text).strip():
        return None
    try:
        value = int(to_arabic_digits(str(text).strip()))
    except ValueError:
        value = 0
    if not 2400 < value < 2800:
        raise UsageError(name, f"'{text}' is not a year BE", f"'{text}' ไม่ใช่ปี พ.ศ.")
    return value
