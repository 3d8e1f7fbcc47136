"""Server-rendered pages: Thai first (``?lang=en`` or the switch), BE dates,
one column on a phone, labels on every input, usable by keyboard alone."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engine.attachments import attachments_by_record, read_attachment
from engine.audit import replay_as_of, verify
from engine.board import board, calendar_for, index, my_calendar, overdue_by_task, visible_rows
from engine.calendar_items import record_checkpoint, submit_report
from engine.feedback import opinions, public_processes, public_summary, receive_feedback, require_process
from engine.web import forms
from engine.web.api import as_of_moment
from engine.web.auth import SESSION_COOKIE, Caller, caller, check_csrf, client_ip, is_tls
from engine.web.downloads import download
from engine.web.limits import refuse_nul_fields
from engine.web.problems import Forbidden, NotSignedIn, lang_of
from workflow.authority import acting_role
from workflow.errors import Conflict, NotFound, RuamError, UsageError
from workflow.fiscal import fiscal_year_be, fiscal_year_bounds, parse_moment

router = APIRouter(include_in_schema=False)
LANG_COOKIE = "ruam_lang"
MAX_FORM_FIELDS = 2000
TASK_ROW = re.compile(r"^tasks\[(\d{1,3})\]\.(task|findings|advice)$")


def web_of(request: Request):
    return request.app.state.web


def render(request: Request, template: str, status: int = 200, who: Caller | None = None, **ctx) -> HTMLResponse:
    web = web_of(request)
    lang = lang_of(request)
    ctx.update(request=request, lang=lang, who=who, csrf=who.csrf if who else "",
               t=lambda key, **kw: web.templates.env.globals["word"](key, lang, **kw),
               path=request.url.path)
    response = web.templates.TemplateResponse(request, template, ctx, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, exc: RuamError) -> Response:
    if isinstance(exc, NotSignedIn):
        return to_login(request)
    who = caller(request, web_of(request).accounts)
    return render(request, "error.html", status=exc.http_status, who=who, message=exc.message(lang_of(request)),
                  code=exc.code)


def not_found(request: Request) -> Response:
    return render(request, "error.html", status=404, who=None,
                  message=web_of(request).templates.env.globals["word"]("not_found", lang_of(request)),
                  code="not_found")


def to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


def safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def page_caller(request: Request) -> Caller:
    found = caller(request, web_of(request).accounts)
    if found is None:
        raise NotSignedIn()
    return found


async def form_of(request: Request, who: Caller | None) -> dict:
    data = await request.form(max_fields=MAX_FORM_FIELDS)
    refuse_nul_fields(data)  # multipart fields; the others were checked at the door (engine.web.limits)
    form = {k: v for k, v in data.multi_items()}
    if who is not None:
        check_csrf(who, str(form.get("csrf") or ""))
    return form


# ---------------------------------------------------------------------------- language, sign-in
@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> RedirectResponse:
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, "en" if code == "en" else "th", max_age=365 * 86400, samesite="lax",
                        httponly=True)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", token=web_of(request).signer.issue("login"), next=safe_next(next),
                  person="", message=None)


@router.post("/login")
async def login(request: Request) -> Response:
    web = web_of(request)
    form = await form_of(request, None)
    person, target = str(form.get("person") or ""), safe_next(str(form.get("next") or "/"))
    try:
        web.login_ip.hit(client_ip(request))
        web.signer.age("login", str(form.get("token") or ""), 3600)
        person_id = web.accounts.authenticate(person, str(form.get("password") or ""))
    except RuamError as exc:
        return render(request, "login.html", status=exc.http_status, token=web.signer.issue("login"),
                      next=target, person=person, message=exc.message(lang_of(request)))
    token, _csrf = web.accounts.open_session(person_id)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=is_tls(request),
                        max_age=12 * 3600, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    who = page_caller(request)
    await form_of(request, who)
    web_of(request).accounts.close_session(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---------------------------------------------------------------------------- my account
def _password_page(request: Request, who: Caller, status: int = 200, error: RuamError | None = None,
                   done: str | None = None) -> Response:
    from engine.accounts import MIN_PASSWORD

    lang = lang_of(request)
    errors = {p["field"]: p["problem"] for p in error.field_problems(lang)} if hasattr(error, "field_problems") else {}
    return render(request, "password.html", status=status, who=who, errors=errors, min_length=MIN_PASSWORD,
                  error=error.message(lang) if error else None, error_code=error.code if error else None,
                  done=done if done and done.isdigit() else None)


@router.get("/account/password")
def password_form(request: Request) -> Response:
    return _password_page(request, page_caller(request), done=request.query_params.get("done"))


@router.post("/account/password")
async def password_change(request: Request) -> Response:
    """Current password, the new one twice; other sessions end, this one stays."""
    who = page_caller(request)
    form = await form_of(request, who)
    web = web_of(request)
    try:
        web.password_ip.hit(client_ip(request))
        ended = web.accounts.change_password(
            who.viewer.id, str(form.get("current_password") or ""), str(form.get("new_password") or ""),
            str(form.get("new_password_again") or ""),
            keep_session=request.cookies.get(SESSION_COOKIE) if who.via == "session" else None)
    except RuamError as exc:  # the typed passwords are never sent back
        return _password_page(request, who, status=exc.http_status, error=exc)
    return RedirectResponse(f"/account/password?done={ended}", status_code=303)


# ---------------------------------------------------------------------------- my work, dashboard
def _allowed_now(web, who: Caller, row: dict, idx) -> list:
    procedure = web.app.definition(row["procedure_version"])
    scopes = {None, *idx.scopes_of.get(row["task_id"], ())}
    now = web.app.now()
    return [t for t in procedure.transitions_from(row["state"])
            if acting_role(who.viewer.assignments, who.viewer.id, t.roles, scopes, now) is not None]


@router.get("/")
def my_work(request: Request, fiscal_year: int | None = None) -> Response:
    who = page_caller(request)
    web = web_of(request)
    idx = index(web.organization())
    today = web.app.now().date()
    fy = fiscal_year or fiscal_year_be(today)
    waiting, others = [], []
    for row in visible_rows(web.app, who.viewer, fy):
        procedure = web.app.definition(row["procedure_version"])
        row["state_title"] = procedure.state(row["state"]).title.th
        row["state_title_en"] = procedure.state(row["state"]).title.en
        steps = _allowed_now(web, who, row, idx)
        final = web.app.definition(row["procedure_version"]).state(row["state"]).final
        forward = [s for s in steps if s.kind == "advance"]
        if forward and not final:  # a step only I (or my role) can take next; cancelling is not waiting
            waiting.append((row, forward))
        elif not final:
            others.append(row)
    _, last_day = fiscal_year_bounds(fy)
    return render(request, "my_work.html", who=who, waiting=waiting, others=others, fiscal_year=fy,
                  year_end=last_day, days_left=(last_day - today).days,
                  everything=who.viewer.office_wide(),
                  due=my_calendar(web.app, who.viewer, lang=lang_of(request)))


@router.get("/dashboard")
def dashboard(request: Request, fiscal_year: int | None = None, group: str | None = None) -> Response:
    who = page_caller(request)
    web = web_of(request)
    today = web.app.now().date()
    fy = fiscal_year or fiscal_year_be(today)
    data = board(web.app, who.viewer, fy, group, defs=web.definitions())
    late = overdue_by_task(web.app, who.viewer, fy, lang_of(request)) if data["groups"] else {}
    return render(request, "dashboard.html", who=who, group=group, **data, late_items=late,
                  years=range(fiscal_year_be(today) + 1, fiscal_year_be(today) - 4, -1))


# ---------------------------------------------------------------------------- the process page
def _prefill(info: dict) -> dict:
    """Decision rows for every opinion still waiting, so none is forgotten."""
    waiting = opinions(info["history"])
    rows = [{"opinion_id": oid, "source": waiting[oid]["name"] or "ประชาชน (แบบฟอร์มสาธารณะ)",
             "opinion": waiting[oid]["text"]} for oid in info["open_feedback"] if oid in waiting]
    return {"decisions": rows} if rows else {}


def _process_page(request: Request, who: Caller, fiscal_year: int, task_id: str, status: int = 200,
                  error: RuamError | None = None, submitted: dict | None = None) -> Response:
    web = web_of(request)
    lang = lang_of(request)
    org = web.organization()
    if not who.viewer.sees_task(org, task_id):
        raise Forbidden(f"see {task_id}: no role of yours covers its group",
                        f"ดูงาน {task_id}: คุณไม่มีบทบาทในกลุ่มของงานนี้")
    info = web.app.process(f"{fiscal_year}/{task_id}", who.viewer.id)
    procedure = web.app.definition(info["procedure_version"])
    prefill = _prefill(info)
    actions = []
    for t in info["available"]:
        if not t.get("allowed"):
            continue
        spec = procedure.transition(t["trigger"], info["state"])
        values = submitted["evidence"] if submitted and submitted["trigger"] == t["trigger"] else prefill
        actions.append({"trigger": t["trigger"], "kind": t["kind"], "title": spec.title.get(lang),
                        "to": procedure.state(spec.dest).title.get(lang),
                        "widgets": forms.widgets(spec.evidence, lang, values),
                        "open": bool(submitted and submitted["trigger"] == t["trigger"])})
    errors = {}
    if error is not None:
        for p in error.details().get("problems", []):
            errors[p.get("field")] = p.get("problem")
        if isinstance(error, UsageError):
            errors[error.field] = error.message(lang)
    main = [s for s in procedure.states if not s.final] + [s for s in procedure.states if s.final]
    waiting = opinions(info["history"])
    return render(request, "process.html", status=status, who=who, info=info, procedure=procedure,
                  actions=actions, error=error.message(lang) if error else None, errors=errors,
                  error_code=error.code if error else None, states=main,
                  titles=_option_titles(web.app, lang, fields_too=True),
                  open_opinions=[waiting[o] for o in info["open_feedback"] if o in waiting],
                  files=attachments_by_record(info["history"]), done=request.query_params.get("done"))


@router.get("/processes/{fiscal_year}/{task_id}")
def process_page(request: Request, fiscal_year: int, task_id: str) -> Response:
    return _process_page(request, page_caller(request), fiscal_year, task_id)


@router.get("/processes/{fiscal_year}/{task_id}/files/{sha256}")
def process_file(request: Request, fiscal_year: int, task_id: str, sha256: str) -> Response:
    """A file the process's evidence names, for whoever may see the process (the timeline links here)."""
    who = page_caller(request)
    web = web_of(request)
    if not who.viewer.sees_task(web.organization(), task_id):
        raise Forbidden(f"see {task_id}: no role of yours covers its group",
                        f"ดูงาน {task_id}: คุณไม่มีบทบาทในกลุ่มของงานนี้")
    found = read_attachment(web.app, f"{fiscal_year}/{task_id}", sha256)
    web.app.log.info("attachment.downloaded", by=who.viewer.id, process=f"{fiscal_year}/{task_id}",
                     sha256=found.sha256)
    return download(found)


@router.post("/processes/{fiscal_year}/{task_id}")
async def fire(request: Request, fiscal_year: int, task_id: str) -> Response:
    try:
        return await _fire(request, fiscal_year, task_id)
    finally:
        await request.close()  # uploaded files are temporary files


async def _fire(request: Request, fiscal_year: int, task_id: str) -> Response:
    who = page_caller(request)
    form = await form_of(request, who)
    web = web_of(request)
    pid = f"{fiscal_year}/{task_id}"
    trigger = str(form.get("trigger") or "")
    evidence: dict = {}
    try:
        if not who.viewer.sees_task(web.organization(), task_id):
            raise Forbidden(f"act on {task_id}", f"ดำเนินการงาน {task_id}")
        try:
            expected = int(str(form.get("expected_version")))
        except ValueError:
            raise UsageError("expected_version", "missing; reload the page", "ไม่มีรุ่นของข้อมูล โปรดโหลดหน้าใหม่") from None
        info = web.app.process(pid)
        if expected != info["version"]:
            # a double submit or a stale page: say so, before the engine calls the step illegal now
            raise Conflict(pid, expected, info["version"])
        spec = web.app.definition(info["procedure_version"]).transition(trigger, info["state"])
        fields = spec.evidence if spec else ()

        uploads = []

        def store_file(upload):
            content = upload.file.read()
            uploads.append(upload.filename)
            return web.app.store_attachment(content, upload.filename, upload.content_type)

        evidence = forms.parse(form, fields, store_file)
        note = str(form.get("note") or "").strip() or None
        web.app.advance(pid, trigger, who.viewer.id, evidence, note, expected)
    except RuamError as exc:
        return _process_page(request, who, fiscal_year, task_id, status=exc.http_status, error=exc,
                             submitted={"trigger": trigger, "evidence": evidence})
    return RedirectResponse(f"/processes/{pid}?done={quote(trigger)}", status_code=303)


# ---------------------------------------------------------------------------- calendar
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
                  overdue=bool(overdue), years=_year_choices(web), role_titles=_role_titles(web, lang),
                  can_extra=_extra_items(web, who), done=request.query_params.get("done"))


def _role_titles(web, lang: str) -> dict[str, str]:
    return {r.id: r.title.get(lang) for r in web.organization().roles}


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
                  role_titles=_role_titles(web, lang))


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
                  errors=_field_errors(error, lang), role_titles=_role_titles(web, lang))


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
def _admin_page(request: Request, who: Caller, status: int = 200, error: str | None = None,
                done: str | None = None) -> Response:
    if not who.viewer.holds("admin", "auditor"):
        raise Forbidden("manage people", "จัดการบุคคล")
    web = web_of(request)
    org = web.organization()
    scopes = ([(u.id, u.title) for u in org.units] + [(g.id, g.title) for g in org.mission_groups]
              + [(t.id, t.title) for t in org.tasks])
    return render(request, "admin.html", status=status, who=who, people=web.app.people(), roles=org.roles,
                  scopes=scopes, error=error, done=done, can_edit=who.viewer.is_admin)


@router.get("/admin/people")
def admin_people(request: Request) -> Response:
    return _admin_page(request, page_caller(request), done=request.query_params.get("done"))


@router.post("/admin/people/{action}")
async def admin_action(request: Request, action: str) -> Response:
    who = page_caller(request)
    form = await form_of(request, who)
    web = web_of(request)
    if not who.viewer.is_admin:
        raise Forbidden("manage people", "จัดการบุคคล")

    def opt(name: str) -> str | None:
        return str(form.get(name) or "").strip() or None

    def when(name: str) -> dt.datetime | None:
        text = opt(name)
        if text is None:
            return None
        try:
            return parse_moment(text)
        except ValueError as exc:
            raise UsageError(name, str(exc)) from None

    try:
        if action == "add":
            web.app.add_person(opt("id") or "", opt("name") or "", opt("position") or "", opt("email"),
                               actor=who.viewer.id)
        elif action == "assign":
            web.app.assign_role(opt("person") or "", opt("role") or "", opt("scope"), when("valid_from"),
                                when("valid_until"), actor=who.viewer.id)
        elif action == "end":
            try:
                assignment = int(opt("assignment") or "")
            except ValueError:
                raise UsageError("assignment", "is not a number") from None
            web.app.end_assignment(assignment, None, actor=who.viewer.id)
        else:
            raise UsageError("action", f"unknown action '{action}'")
    except RuamError as exc:
        return _admin_page(request, who, status=exc.http_status, error=exc.message(lang_of(request)))
    return RedirectResponse(f"/admin/people?done={quote(action)}", status_code=303)


# ---------------------------------------------------------------------------- audit
def _auditor(request: Request) -> Caller:
    who = page_caller(request)
    if not who.viewer.holds("auditor", "admin"):
        raise Forbidden("run the audit", "ตรวจสอบบันทึก")
    return who


@router.get("/audit")
def audit_page(request: Request, run: int = 0, as_of: str | None = None, export: str | None = None) -> Response:
    who = _auditor(request)
    web = web_of(request)
    lang = lang_of(request)
    report = verify(web.app).as_dict() if run else None
    replayed, replay_error, status = None, None, 200
    if as_of:
        try:
            replayed = replay_as_of(web.app, as_of_moment(as_of, "as_of"))
        except RuamError as exc:
            replay_error, status = exc.message(lang), exc.http_status
    seal = web.exports.seal(export) if export else None
    org = web.organization()
    titles = {t.id: t.title.get(lang) for t in org.tasks}
    return render(request, "audit.html", status=status, who=who, report=report, as_of=as_of or "",
                  replayed=replayed, replay_error=replay_error, seal=seal, export_id=export,
                  task_titles=titles, role_titles=_role_titles(web, lang))


@router.post("/audit/export")
async def audit_export(request: Request) -> Response:
    who = _auditor(request)
    form = await form_of(request, who)
    web = web_of(request)
    export_id, seal = web.exports.make(web.app, str(form.get("format") or ""))
    web.app.log.info("audit.exported", by=who.viewer.id, export=export_id, records=seal["records"])
    return RedirectResponse(f"/audit?export={quote(export_id)}#seal", status_code=303)


# ---------------------------------------------------------------------------- public
@router.get("/public")
def public_index(request: Request, fiscal_year: int | None = None) -> Response:
    web = web_of(request)
    fy = fiscal_year or fiscal_year_be(web.app.now().date())
    return render(request, "public_index.html", who=caller(request, web.accounts), fiscal_year=fy,
                  rows=public_processes(web.app, fy))


def _option_titles(app, lang: str, fields_too: bool = False) -> dict[str, str]:
    """Titles of every choice in the procedure's evidence (committee roles, decisions …),
    and with ``fields_too`` of every evidence field, for showing recorded evidence."""
    out: dict[str, str] = {}
    if fields_too:
        out.update({"__yes": "ใช่" if lang == "th" else "yes", "__no": "ไม่ใช่" if lang == "th" else "no"})

    def walk(fields) -> None:
        for f in fields:
            for opt, title in (f.option_titles or {}).items():
                out.setdefault(opt, title.get(lang))
            if fields_too:
                out.setdefault(f.id, f.title.get(lang))
            walk(f.fields)

    active = app.active()
    for t in active.procedure.transitions:
        walk(t.evidence)
    if fields_too:
        for role in active.organization.roles:
            out.setdefault(role.id, role.title.get(lang))
    return out


def _public_page(request: Request, fiscal_year: int, task_id: str, status: int = 200, error: str | None = None,
                 received: str | None = None, opinion: str = "", name: str = "") -> Response:
    web = web_of(request)
    pid = f"{fiscal_year}/{task_id}"
    require_process(web.app, pid)
    summary = public_summary(web.app, pid)
    return render(request, "public_process.html", status=status, who=caller(request, web.accounts),
                  summary=summary, titles=_option_titles(web.app, lang_of(request)), token=web.signer.issue("feedback:" + pid),
                  error=error, received=received, opinion=opinion, name=name)


@router.get("/public/{fiscal_year}/{task_id}")
def public_process(request: Request, fiscal_year: int, task_id: str) -> Response:
    return _public_page(request, fiscal_year, task_id, received=request.query_params.get("received"))


@router.post("/public/{fiscal_year}/{task_id}/feedback")
async def public_feedback(request: Request, fiscal_year: int, task_id: str) -> Response:
    """Spam: a honeypot field, a signed issue time (a person takes a few seconds), a per-address limit."""
    web = web_of(request)
    form = await form_of(request, None)
    pid = f"{fiscal_year}/{task_id}"
    opinion, name = str(form.get("opinion") or ""), str(form.get("name") or "")
    try:
        age = web.signer.age("feedback:" + pid, str(form.get("token") or ""), 6 * 3600)
        if str(form.get("website") or ""):
            # a bot filled the hidden field: answer as if accepted, record nothing
            web.app.log.info("feedback.honeypot", process=pid)
            return RedirectResponse(f"/public/{pid}?received=ok", status_code=303)
        if age < web.min_fill_seconds:
            raise UsageError("opinion", "sent too quickly; please read the page, then send again",
                             "ส่งเร็วเกินไป โปรดอ่านหน้านี้แล้วส่งอีกครั้ง")
        web.feedback_ip.hit(client_ip(request))
        rec = receive_feedback(web.app, pid, opinion, name or None)
    except RuamError as exc:
        return _public_page(request, fiscal_year, task_id, status=exc.http_status,
                            error=exc.message(lang_of(request)), opinion=opinion, name=name)
    return RedirectResponse(f"/public/{pid}?received={quote(rec.data['opinion'])}", status_code=303)
