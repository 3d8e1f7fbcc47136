"""A cross-office viewer's overview: the offices that granted them a role, each with its
processes by state and its open and overdue calendar items (``/offices``, ``/api/offices``).

A person of one office sees here only the offices whose own role assignments name them
(``person@THEIR-OFFICE``); each links to that office's dashboard under its prefix, where
they are signed in with exactly the roles that office granted.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from engine.web.api import SignedIn
from engine.web.api import web_of as api_web_of
from engine.web.pages import page_caller, render, web_of

router = APIRouter()


def _overview(web, who) -> list[dict]:
    from engine.offices import overview

    if "@" in who.viewer.id:  # already in another office: the overview is their own office's
        return []
    return overview(web.app, who.viewer.id)


@router.get("/api/offices")
def api_offices(request: Request, who: SignedIn) -> list[dict]:
    """The offices that granted the caller a role: per office, processes by state, open and overdue items."""
    return _overview(api_web_of(request), who)


@router.get("/offices", include_in_schema=False)
def offices_page(request: Request) -> Response:
    who = page_caller(request)
    web = web_of(request)
    rows = _overview(web, who)
    states = [(s.id, s.title) for s in web.definitions().procedure.states] if rows else []
    return render(request, "offices.html", who=who, rows=rows, states=states)
