"""The administrator's and the auditor's pages: people and roles, the audit."""


from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from engine.audit.live import replay_as_of, verify
from engine.audit.words import export_warning, report_view, seal_text
from engine.names import Names
from engine.web.api import as_of_moment
from engine.web.auth import Caller
from engine.web.pages import form_of, page_caller, render, role_titles, web_of
from engine.web.problems import Forbidden, lang_of
from engine.web.text import when
from workflow.errors import RuamError, UsageError
from workflow.fiscal import parse_moment
from workflow.seal import parse_seal

router = APIRouter(include_in_schema=False)


def _admin_page(request: Request, who: Caller, status: int = 200, error: str | None = None,
                done: str | None = None) -> Response:
    if not who.viewer.holds("admin", "auditor"):
        raise Forbidden("manage people", "จัดการบุคคล")
    web = web_of(request)
    org = web.organization()
    scopes = ([(u.id, u.title) for u in org.units] + [(g.id, g.title) for g in org.mission_groups]
              + [(t.id, t.title) for t in org.tasks])
    return render(request, "admin.html", status=status, who=who, people=web.app.people(), roles=org.roles,
                  scopes=scopes, error=error, done=done, can_edit=who.viewer.is_admin,
                  tokens=web.accounts.tokens(asked_by=who.viewer.id))


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
            raise UsageError(name, str(exc), getattr(exc, "th", None)) from None

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
                raise UsageError("assignment", "is not a number", "ต้องเป็นตัวเลข") from None
            web.app.end_assignment(assignment, None, actor=who.viewer.id)
        elif action == "revoke-token":
            web.accounts.revoke_token(opt("token") or "", by=who.viewer.id)
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
    report = None
    if run:  # the findings as a person reads them: each once, Thai first, titles and names for ids
        done = verify(web.app)
        report = report_view(done, lang, _names(web, lang))
    replayed, replay_error, status = None, None, 200
    if as_of:
        try:
            replayed = replay_as_of(web.app, as_of_moment(as_of, "as_of"))
            first = replayed.get("first_finding")
            if first:  # told like the verify's findings: titles and names, not ids
                names = _names(web, lang)
                text = first["message_th"] if lang == "th" else first["message"]
                first["text"] = names.humanize(text) if names is not None else text
        except RuamError as exc:
            replay_error, status = exc.message(lang), exc.http_status
    seal = web.exports.seal(export) if export else None
    sealed = parse_seal(json.dumps(seal)) if seal else None
    org = web.organization()
    titles = {t.id: t.title.get(lang) for t in org.tasks}
    return render(request, "audit.html", status=status, who=who, report=report, as_of=as_of or "",
                  office=_office(web, lang),
                  replayed=replayed, replay_error=replay_error, seal=seal, export_id=export,
                  seal_text=seal_text(sealed, lang == "th", when=_when(sealed, lang)) if sealed else None,
                  seal_warning=export_warning(sealed, lang == "th") if sealed else None,
                  task_titles=titles, role_titles=role_titles(web, lang))


def _office(web, lang: str) -> str | None:
    """The name of the office whose ledger the page audits (an auditor of several offices sees which)."""
    from engine.offices import shown, this_office

    try:
        return shown(this_office(web.app), lang == "th")
    except Exception:  # noqa: BLE001 - the audit's verdict matters more than its wording
        return None


def _names(web, lang: str) -> Names | None:
    """Names to tell findings with; a database too damaged to name things gets the findings' own words."""
    try:
        return web.names(lang)
    except Exception:  # noqa: BLE001 - the audit's verdict matters more than its wording
        return None


def _when(seal, lang: str) -> str | None:
    return when(seal.exported_at, lang) if seal.exported_at else None


@router.post("/audit/export")
async def audit_export(request: Request) -> Response:
    who = _auditor(request)
    form = await form_of(request, who)
    web = web_of(request)
    export_id, seal = web.exports.make(web.app, str(form.get("format") or ""), exported_by=who.viewer.id)
    web.app.log.info("audit.exported", by=who.viewer.id, export=export_id, records=seal["records"])
    return RedirectResponse(f"/audit?export={quote(export_id)}#seal", status_code=303)


# ---------------------------------------------------------------------------- public
