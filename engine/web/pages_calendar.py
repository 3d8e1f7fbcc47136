"""The calendar's pages: what is due, the semiannual report form, the checkpoint form."""


from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from engine.board import calendar_for
from engine.calendar_items import record_checkpoint, submit_report
from engine.web.auth import Caller
from engine.web.pages import TASK_ROW, form_of, page_caller, render, role_titles, web_of
from engine.web.problems import Forbidden, lang_of
from workflow.errors import NotFound, RuamError, UsageError
from workflow.fiscal import fiscal_year_be

router = APIRouter(include_in_schema=False)


def _year_choices(web) -> range:
    this = fiscal_year_be(web.app.now().date())
    return range(this + 1, this - 4, -1)


@router.get("/calendar")
def calendar_page(request: Request, fiscal_year: int | None = None, overdue: int = 0) -> Response:
    who = page_caller(request)
    web = web_of(request)
    lang = lang_of(request)
    view = calendar_for(web.app, who.viewer, fiscal_year, bool(overdue), lang)
    return render(request, "calendar.html", who=who, view=view, fiscal_year=view["fiscal_year"],
                  overdue=bool(overdue), years=_year_choices(web), role_titles=role_titles(web, lang),
                  can_extra=_extra_items(web, who), done=request.query_params.get("done"))


def _extra_items(web, who: Caller) -> list[dict]:
    """Checkpoints with a minimum count whose extra rounds this person may record (the committee's)."""
    cal = web.app.active().calendar
    out = []
    for spec in cal.items if cal else ():
        if spec.kind == "checkpoint" and spec.minimum_count is not None and spec.per == "office" \
                and who.viewer.holds(*spec.responsible_roles):
            out.append({"id": spec.id, "title": spec.title})
    return out


def _find_item(web, who: Caller, item_id: str, lang: str) -> dict:
    view = calendar_for(web.app, who.viewer, int(item_id.split("/")[0]), False, lang)
    for item in view["items"]:
        if item["id"] == item_id:
            return item
    raise NotFound("calendar item", item_id, "รายการในปฏิทิน")


def _report_item(web, who: Caller, fiscal_year: int, task_id: str, round_id: str, lang: str) -> dict:
    view = calendar_for(web.app, who.viewer, fiscal_year, False, lang)
    for item in view["items"]:
        if item["kind"] == "report" and item["subject"] == task_id and item["round"] == round_id.lower():
            return item
    if not who.viewer.sees_task(web.organization(), task_id):
        raise Forbidden(f"see {task_id}: no role of yours covers its group",
                        f"ดูงาน {task_id}: คุณไม่มีบทบาทในกลุ่มของงานนี้")
    raise NotFound("report item", f"{fiscal_year}/{task_id}/{round_id}", "รายการรายงาน")


def _store_files(web, form: dict, name: str = "file") -> list[dict]:
    out = []
    for key, value in form.items():
        if key == name and hasattr(value, "filename") and value.filename:
            out.append(web.app.store_attachment(value.file.read(), value.filename, value.content_type))
    return out


def _field_errors(error: RuamError | None, lang: str) -> dict:
    errors: dict = {}
    if error is None:
        return errors
    for p in error.details().get("problems", []):
        errors[p.get("field")] = p.get("problem")
    if isinstance(error, UsageError):
        errors[error.field] = error.message(lang)
    return errors


def _report_page(request: Request, who: Caller, fiscal_year: int, task_id: str, round_id: str,
                 status: int = 200, error: RuamError | None = None, values: dict | None = None) -> Response:
    web = web_of(request)
    lang = lang_of(request)
    item = _report_item(web, who, fiscal_year, task_id, round_id, lang)
    return render(request, "report_form.html", status=status, who=who, item=item, values=values or {},
                  error=error.message(lang) if error else None, errors=_field_errors(error, lang),
                  role_titles=role_titles(web, lang))


@router.get("/reports/{fiscal_year}/{task_id}/{round_id}")
def report_form(request: Request, fiscal_year: int, task_id: str, round_id: str) -> Response:
    return _report_page(request, page_caller(request), fiscal_year, task_id, round_id)


@router.post("/reports/{fiscal_year}/{task_id}/{round_id}")
async def report_submit(request: Request, fiscal_year: int, task_id: str, round_id: str) -> Response:
    try:
        return await _report_submit(request, fiscal_year, task_id, round_id)
    finally:
        await request.close()  # uploaded files are temporary files


async def _report_submit(request: Request, fiscal_year: int, task_id: str, round_id: str) -> Response:
    who = page_caller(request)
    form = await form_of(request, who)
    web = web_of(request)
    values = {"summary": str(form.get("summary") or ""), "document": str(form.get("document") or "")}
    try:
        if not who.viewer.sees_task(web.organization(), task_id):
            raise Forbidden(f"act on {task_id}", f"ดำเนินการงาน {task_id}")
        rec = submit_report(web.app, fiscal_year, task_id, round_id, who.viewer.id, values["summary"],
                            values["document"].strip() or None, files=_store_files(web, form))
    except RuamError as exc:
        if exc.http_status in (403, 404):  # not theirs, or no such item: the error page, not the form
            raise
        return _report_page(request, who, fiscal_year, task_id, round_id, status=exc.http_status, error=exc,
                            values=values)
    return RedirectResponse(f"/calendar?fiscal_year={fiscal_year}&done={quote(rec.data['item_id'])}",
                            status_code=303)


def _checkpoint_page(request: Request, who: Caller, item_id: str, status: int = 200,
                     error: RuamError | None = None, values: dict | None = None) -> Response:
    web = web_of(request)
    lang = lang_of(request)
    org = web.organization()
    parts = item_id.split("/")
    if len(parts) == 3 and parts[0].isdigit() and parts[2] == "extra":
        spec = web.app.active().calendar.item(parts[1]) if web.app.active().calendar else None
        if spec is None or spec.kind != "checkpoint":
            raise NotFound("calendar item", item_id, "รายการในปฏิทิน")
        item = {"id": item_id, "title": spec.title.get(lang), "round_title": "ครั้งเพิ่มเติม" if lang == "th"
                else "extra round", "subject_title": org.title.get(lang), "per": spec.per, "subject": "office",
                "fiscal_year": int(parts[0]), "due_on": None, "opens_on": None, "status": "open",
                "status_title": "", "responsible": [], "escalated_to": [], "extra": True}
    elif len(parts) == 4 and parts[0].isdigit():
        item = _find_item(web, who, item_id, lang)
        if item["kind"] != "checkpoint":
            raise NotFound("checkpoint", item_id, "การกำกับติดตาม")
    else:
        raise NotFound("calendar item", item_id, "รายการในปฏิทิน")
    tasks = []
    if item["per"] == "mission_group":
        group = org.mission_group(item["subject"])
        tasks = [(t.id, t.title.get(lang)) for t in (group.tasks if group else ())]
    return render(request, "checkpoint_form.html", status=status, who=who, item=item, tasks=tasks,
                  values=values or {}, error=error.message(lang) if error else None,
                  errors=_field_errors(error, lang), role_titles=role_titles(web, lang))


@router.get("/checkpoints/{item_id:path}")
def checkpoint_form(request: Request, item_id: str) -> Response:
    return _checkpoint_page(request, page_caller(request), item_id)


@router.post("/checkpoints/{item_id:path}")
async def checkpoint_record(request: Request, item_id: str) -> Response:
    try:
        return await _checkpoint_record(request, item_id)
    finally:
        await request.close()  # uploaded files are temporary files


async def _checkpoint_record(request: Request, item_id: str) -> Response:
    who = page_caller(request)
    form = await form_of(request, who)
    web = web_of(request)
    values: dict = {k: str(form.get(k) or "") for k in ("findings", "advice", "held_on")}
    rows = {}
    for key, value in form.items():
        match = TASK_ROW.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = str(value)
    tasks = [rows[i] for i in sorted(rows)]
    values["tasks"] = {t.get("task"): t for t in tasks}
    evidence: dict = {"findings": values["findings"], "advice": values["advice"]}
    if values["held_on"].strip():
        evidence["held_on"] = values["held_on"].strip()
    if tasks:
        evidence["tasks"] = tasks
    try:
        files = _store_files(web, form)
        if files:
            evidence["files"] = files
        rec = record_checkpoint(web.app, item_id, who.viewer.id, evidence)
    except RuamError as exc:
        if exc.http_status in (403, 404):
            raise
        return _checkpoint_page(request, who, item_id, status=exc.http_status, error=exc, values=values)
    return RedirectResponse(f"/calendar?fiscal_year={item_id.split('/')[0]}&done={quote(rec.data['item_id'])}",
                            status_code=303)


# ---------------------------------------------------------------------------- admin
