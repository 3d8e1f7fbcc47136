"""Server-rendered pages: Thai first (``?lang=en`` or the switch), BE dates,
one column on a phone, labels on every input, usable by keyboard alone."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engine.attachments import attachments_by_record, read_attachment
from engine.board import board, index, my_calendar, overdue_by_task, visible_rows
from engine.feedback import opinions
from engine.ita.publish import public_marks
from engine.offices import OFFICE_CODE, sign_in_offices
from engine.web import forms
from engine.web.auth import SESSION_COOKIE, Caller, caller, check_csrf, client_ip, is_tls
from engine.web.documents_view import DRAFTS, recorded_documents
from engine.web.downloads import download
from engine.web.limits import refuse_nul_fields
from engine.web.problems import Forbidden, NotSignedIn, lang_of
from workflow.authority import acting_role
from workflow.errors import Conflict, RuamError, UsageError
from workflow.fiscal import fiscal_year_be, fiscal_year_bounds

router = APIRouter(include_in_schema=False)
LANG_COOKIE = "ruam_lang"
MAX_FORM_FIELDS = 2000
TASK_ROW = re.compile(r"^tasks\[(\d{1,3})\]\.(task|findings|advice)$")


def web_of(request: Request):
    # the request's office's (engine.web.offices.OfficeRouter), else the default office's
    return request.scope.get("state", {}).get("ruam_web") or request.app.state.web


def render(request: Request, template: str, status: int = 200, who: Caller | None = None, **ctx) -> HTMLResponse:
    web = web_of(request)
    lang = lang_of(request)
    ctx.update(request=request, lang=lang, who=who, csrf=who.csrf if who else "",
               t=lambda key, **kw: web.templates.env.globals["word"](key, lang, **kw),
               path=request.url.path, names=_names(web, lang))
    response = web.templates.TemplateResponse(request, template, ctx, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _names(web, lang: str):
    from workflow.errors import NotFound as NoDefinitions

    try:
        return web.names(lang)
    except NoDefinitions:  # a database without definitions yet: pages say so; nothing to name
        return None


def explain(request: Request, exc: RuamError) -> str:
    """A refusal as the page shows it: with the titles and names of what it names."""
    from engine.names import explain as with_names

    names = _names(web_of(request), lang_of(request))
    return with_names(exc, names) if names is not None else exc.message(lang_of(request))


def error_page(request: Request, exc: RuamError) -> Response:
    if isinstance(exc, NotSignedIn):
        return to_login(request)
    who = caller(request, web_of(request).accounts)
    return render(request, "error.html", status=exc.http_status, who=who, message=explain(request, exc),
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


def _offices_to_choose(request: Request) -> list[dict]:
    """The offices today's ``/login`` offers, the default first: every office when the database
    has more than one, else none (the page as it was). An office's own ``/o/CODE/login`` is its."""
    offices = getattr(request.app.state, "offices", None)
    if offices is None or request.scope.get("state", {}).get("ruam_prefix"):
        return []
    names = sign_in_offices(offices.root.app)
    return names if len(names) > 1 else []


def _chosen_web(request: Request, code: str):
    """The ``Web`` of the office chosen on today's ``/login``; None if there is no such office."""
    offices = getattr(request.app.state, "offices", None)
    if offices is None or (not OFFICE_CODE.match(code) and code != "default"):
        return None
    return offices.web(code)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", token=web_of(request).signer.issue("login"), next=safe_next(next),
                  person="", message=None, offices=_offices_to_choose(request), office="default")


@router.post("/login")
async def login(request: Request) -> Response:
    """Sign in. On today's ``/login`` of a database with many offices the form names the office
    (``office``): the person is looked up in that office alone, with the same limits, and the one
    refusal for an unknown office, a person not in it and a wrong password alike."""
    web = web_of(request)
    form = await form_of(request, None)
    person, target = str(form.get("person") or ""), safe_next(str(form.get("next") or "/"))
    password = str(form.get("password") or "")
    prefixed = bool(request.scope.get("state", {}).get("ruam_prefix"))
    chosen = "" if prefixed else str(form.get("office") or "").strip()
    home = web
    try:
        web.login_ip.hit(client_ip(request))
        web.signer.age("login", str(form.get("token") or ""), 3600)
        if chosen:
            home = _chosen_web(request, chosen)
            if home is None:
                web.accounts.refuse_sign_in(password)
        person_id = home.accounts.authenticate(person, password)
    except RuamError as exc:
        return render(request, "login.html", status=exc.http_status, token=web.signer.issue("login"),
                      next=target, person=person, message=exc.message(lang_of(request)),
                      offices=_offices_to_choose(request), office=chosen or "default")
    token, _csrf = home.accounts.open_session(person_id)
    code = home.app.office
    if chosen and code != "default" and not target.startswith(f"/o/{code}/"):
        target = f"/o/{code}{target}"  # the office's own URLs (its prefix), where its pages are
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
                  titles=option_titles(web.app, lang, fields_too=True),
                  open_opinions=[waiting[o] for o in info["open_feedback"] if o in waiting],
                  files=attachments_by_record(info["history"]), done=request.query_params.get("done"),
                  public_files=public_marks(info["history"]),
                  drafts=DRAFTS, documents=recorded_documents(web.app, fiscal_year, task_id, lang))


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


def role_titles(web, lang: str) -> dict[str, str]:
    return {r.id: r.title.get(lang) for r in web.organization().roles}


def option_titles(app, lang: str, fields_too: bool = False) -> dict[str, str]:
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
