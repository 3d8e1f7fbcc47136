"""The public pages (no sign-in): the office's public site — the measure and the archive
(``/public``), a year's mission groups and tasks (``/public/{fy}``), a task's four ITA
elements with its dates, documents, reports and supervision (``/public/{fy}/{task}``),
the files the office marked public — and the opinion form."""


from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from engine.ita import public as site
from engine.ita.publish import read_public_attachment
from engine.web.downloads import download

from engine.feedback import public_processes, public_summary, receive_feedback, require_process
from engine.web.auth import HONEYPOT, HoneypotFilled, caller, check_feedback_form, feedback_purpose
from engine.web.pages import form_of, option_titles, render, web_of
from engine.web.problems import lang_of
from workflow.errors import RuamError
from workflow.fiscal import fiscal_year_be

router = APIRouter(include_in_schema=False)


@router.get("/public")
def public_index(request: Request, fiscal_year: int | None = None) -> Response:
    web = web_of(request)
    fy = fiscal_year or site.current_year(web.app)
    years = site.archive(web.app)
    return render(request, "public_index.html", who=caller(request, web.accounts), fiscal_year=fy,
                  rows=public_processes(web.app, fy), measure=site.measure(web.app), years=years,
                  updated_at=max((y.updated_at for y in years if y.updated_at), default=None))


@router.get("/public/{fiscal_year}")
def public_year(request: Request, fiscal_year: int) -> Response:
    web = web_of(request)
    return render(request, "public_year.html", who=caller(request, web.accounts),
                  page=site.year_page(web.app, fiscal_year), office=site.office_name(web.app))


def _public_page(request: Request, fiscal_year: int, task_id: str, status: int = 200, error: str | None = None,
                 received: str | None = None, opinion: str = "", name: str = "") -> Response:
    web = web_of(request)
    pid = f"{fiscal_year}/{task_id}"
    require_process(web.app, pid)
    summary = public_summary(web.app, pid)
    from engine.web.pages_seals import sealed_size  # each published document's proof, once sealed

    return render(request, "public_process.html", status=status, who=caller(request, web.accounts),
                  sealed=sealed_size(web.app),
                  summary=summary, titles=option_titles(web.app, lang_of(request)), token=web.signer.issue(feedback_purpose(pid)),
                  error=error, received=received, opinion=opinion, name=name,
                  el=site.task_page(web.app, fiscal_year, task_id), office=site.office_name(web.app))


@router.get("/public/{fiscal_year}/{task_id}")
def public_process(request: Request, fiscal_year: int, task_id: str) -> Response:
    return _public_page(request, fiscal_year, task_id, received=request.query_params.get("received"))


@router.post("/public/{fiscal_year}/{task_id}/feedback")
async def public_feedback(request: Request, fiscal_year: int, task_id: str) -> Response:
    """Spam: a honeypot field, a signed issue time (a person takes a few seconds), each form
    good for one opinion, a per-address limit (``check_feedback_form``; the API's the same)."""
    web = web_of(request)
    form = await form_of(request, None)
    pid = f"{fiscal_year}/{task_id}"
    opinion, name = str(form.get("opinion") or ""), str(form.get("name") or "")
    try:
        signed = check_feedback_form(web, request, pid, str(form.get("token") or ""),
                                     str(form.get(HONEYPOT) or ""))
        rec = receive_feedback(web.app, pid, opinion, name or None, form_token=(signed.id, signed.expires_at))
    except HoneypotFilled:
        # a bot filled the hidden field: answer as if accepted, record nothing
        return RedirectResponse(f"/public/{pid}?received=ok", status_code=303)
    except RuamError as exc:
        return _public_page(request, fiscal_year, task_id, status=exc.http_status,
                            error=exc.message(lang_of(request)), opinion=opinion, name=name)
    return RedirectResponse(f"/public/{pid}?received={quote(rec.data['opinion'])}", status_code=303)


@router.get("/public/{fiscal_year}/{task_id}/files/{sha256}")
def public_file(request: Request, fiscal_year: int, task_id: str, sha256: str) -> Response:
    """A signed scan the office marked public (only those; any other hash answers 404)."""
    found = read_public_attachment(web_of(request).app, f"{fiscal_year}/{task_id}", sha256)
    return download(found)


@router.get("/public/{fiscal_year}/{task_id}/documents/{kind}")
def public_document(request: Request, fiscal_year: int, task_id: str, kind: str, member: int | None = None
                    ) -> Response:
    """A document Ruam drafts for the task, as PDF (``engine.documents.service.render``).

    HOOK for the lead: until docs-core (#12) is on main there is no drafting machinery, and
    this answers 404 in Thai (``engine.ita.documents.render_public``)."""
    from engine.ita.documents import render_public

    rendered = render_public(web_of(request).app, fiscal_year, task_id, kind, member)
    return Response(rendered.content, media_type=rendered.media_type,
                    headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(rendered.filename)}",
                             "Cache-Control": "public, max-age=300"})
