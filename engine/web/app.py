"""The web application: ``create_web(app)`` builds the FastAPI app from the
engine (``Web`` holds what every route needs), mounts the API and the pages,
and maps every error to a problem document or a Thai page."""

from __future__ import annotations

import os
import time
from contextlib import asynccontextmanager
from pathlib import Path

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.accounts import Accounts
from engine.app import Ruam
from engine.throttle import RateLimits
from engine.web import text
from engine.web.auth import FormSigner, RateLimit
from engine.web.limits import BodyLimit
from engine.web.problems import PROBLEM_JSON, lang_of, problem_response, validation_response
from workflow.errors import RuamError

__all__ = ["Web", "create_web", "web_threads"]

HERE = Path(__file__).parent
def web_threads() -> int:
    """Threads that run the web's synchronous routes (RUAM_WEB_THREADS, default 4).

    More threads only queue inside the process for its one interpreter lock:
    measured with 20 clients stepping at once, 20 threads gave the same requests/s
    as 4 with twice the p99, and 8 more server CPU per step than 4. More cores:
    ``ruam serve --workers N`` on PostgreSQL."""
    return max(1, int(os.environ.get("RUAM_WEB_THREADS", "4")))


ORGANIZATION_SECONDS = 5.0   # how stale the web's view of the active organization may be (another process's change)


class Web:
    """What every route needs: the engine, accounts, signer, limits, templates."""

    def __init__(self, app: Ruam, hasher: PasswordHasher | None = None, min_fill_seconds: float = 3.0) -> None:
        self.app = app
        self.accounts = Accounts(app, hasher)

        def clock() -> float:  # the engine's clock, injectable in tests
            return app.now().timestamp()

        key = self.accounts.secret()
        self.signer = FormSigner(key, clock)
        limits = RateLimits(app, key)  # counted in the database: the same for every worker, after a restart
        self.login_ip = RateLimit(limits, "login", 20, 300)        # sign-in attempts per address per 5 minutes
        self.password_ip = RateLimit(limits, "password", 20, 300)  # password changes, the same (and the account's lock)
        self.feedback_ip = RateLimit(limits, "feedback", 5, 600)   # public opinions per address per 10 minutes
        self.min_fill_seconds = min_fill_seconds
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(word=text.word, when=text.when, day=text.day, size=text.size,
                                          be_input=text.be_input)
        self._exports = None
        self._organization = None
        self._names: dict = {}
        self.warm_up()

    @property
    def exports(self):
        """Ledger exports made through the web (a private folder, made on first use)."""
        if self._exports is None:
            from engine.web.exports import Exports

            self._exports = Exports()
        return self._exports

    def warm_up(self) -> None:
        """Parse the active definitions and index the organization now, not on the first page."""
        from engine.board import index
        from workflow.errors import NotFound
        from workflow.machine import machine_for

        try:
            index(self.organization())
            machine_for(self.definitions().procedure)  # the first steps would otherwise build it
        except NotFound:
            pass

    def definitions(self):
        """The active definitions, for what pages show and who may see which task.

        Asked of the database at most every ORGANIZATION_SECONDS (and at once after
        definitions are activated through this process): it was a read transaction
        on every request. The engine itself uses each process's own definition
        versions, read in the command's transaction."""
        now, generation = time.monotonic(), self.app.definitions_generation
        cached = self._organization
        if cached is None or cached[1] != generation or now - cached[2] > ORGANIZATION_SECONDS:
            cached = self._organization = (self.app.active(), generation, now)
        return cached[0]

    def organization(self):
        return self.definitions().organization

    def names(self, lang: str):
        """What a page shows in place of ids (``engine.names``): the active definitions' titles and
        the people's names, kept while neither the definitions nor the people change."""
        from engine.names import Names

        key = (lang, self.app.definitions_generation, self.app.roles_generation, id(self.definitions()),
               int(time.monotonic() // ORGANIZATION_SECONDS))  # people another process added: seconds late
        cached = self._names.get(lang)
        if cached is None or cached[0] != key:
            d = self.definitions()
            names = Names(d.organization, d.procedure, lang, calendar=d.calendar,
                          people=self.app.people_to_name())  # and those of other offices granted a role here
            cached = self._names[lang] = (key, names)
        return cached[1]


def is_api(request: Request) -> bool:
    """Whether the request is for the API (under an office's ``/o/CODE`` prefix too)."""
    path, root = request.url.path, request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    return path.startswith("/api/")


SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", (b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                  b"script-src 'self'; form-action 'self'; frame-ancestors 'none'")),
)


class SecurityHeaders:
    """Adds the security headers to every response a route has not set itself.

    A plain ASGI middleware: Starlette's ``@app.middleware("http")`` runs each request
    through a task group and memory streams, measured as a visible share of an advance."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def create_web(app: Ruam, *, hasher: PasswordHasher | None = None, min_fill_seconds: float = 3.0,
               forwarded_allow_ips: str | list[str] | None = None) -> FastAPI:
    """``forwarded_allow_ips``: the proxies (addresses or networks, comma-separated, ``*`` for
    any) whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` say who the client is and whether
    it came over TLS; from anyone else those headers are ignored (None: from no one)."""
    from engine.web import (api, api_tokens, pages, pages_admin, pages_calendar, pages_ita,  # the routes
                            pages_public, pages_reports)
    from engine.web import api_documents, pages_documents  # the office's documents (issue #12)
    from engine.web import api_seals, pages_seals  # seals, proofs, the public checkpoints (issue #15)
    from engine.web import pages_offices  # a cross-office viewer's overview (issue #14)

    # No /docs or /redoc: they load scripts from a CDN, which the pages' CSP forbids
    # and an office network may not reach; /openapi.json is the document.
    @asynccontextmanager
    async def lifespan(_web: FastAPI):
        # the synchronous routes run on anyio's thread pool (40 threads by default):
        # as many threads as pooled connections, so no request waits inside a thread
        # for a connection while holding a place on the GIL
        from anyio import to_thread

        to_thread.current_default_thread_limiter().total_tokens = web_threads()
        yield

    web = FastAPI(title="Ruam", version="0.1.0", docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Ruam (ร่วม): the stakeholder participation workflow. Errors are RFC 7807 "
                              "problem details (application/problem+json) naming each bad field. "
                              "Authenticate with a session cookie (browser) or 'Authorization: Bearer TOKEN' "
                              "(from 'ruam people token').")
    web.state.web = Web(app, hasher, min_fill_seconds)

    @web.exception_handler(RuamError)
    async def ruam_error(request: Request, exc: RuamError):
        if is_api(request):
            return problem_response(exc, request)
        return pages.error_page(request, exc)

    @web.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return validation_response(exc, request)

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if is_api(request) or exc.status_code != 404:
            return JSONResponse({"type": "about:blank", "title": str(exc.detail), "status": exc.status_code,
                                 "detail": str(exc.detail)}, status_code=exc.status_code,
                                media_type=PROBLEM_JSON, headers=getattr(exc, "headers", None))
        return pages.not_found(request)

    @web.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):  # no traceback reaches a user
        app.log.error("web.internal_error", path=request.url.path, error=repr(exc))
        th = lang_of(request) == "th"
        return JSONResponse({"type": "/problems/internal", "title": "internal", "status": 500,
                             "detail": "ระบบขัดข้อง ไม่มีการเปลี่ยนแปลงข้อมูล" if th else
                             "internal error; nothing was changed"}, status_code=500, media_type=PROBLEM_JSON)

    from engine.web.offices import OfficeRouter, WebOffices

    web.state.offices = WebOffices(web.state.web, lambda office: Web(office, hasher, min_fill_seconds))
    web.add_middleware(OfficeRouter, offices=web.state.offices)  # the request's office (its Web)
    web.add_middleware(BodyLimit)  # inside SecurityHeaders: its answers get the headers too
    web.add_middleware(SecurityHeaders)
    if forwarded_allow_ips:
        add_proxy_headers(web, forwarded_allow_ips)

    @web.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:  # on the event loop: a health check never waits for a busy thread pool
        return {"ok": True}

    web.include_router(api.router)
    web.include_router(api_tokens.router)
    web.include_router(pages_offices.router)  # a cross-office viewer's overview of their offices
    web.include_router(api_documents.router)
    web.include_router(api_seals.router)
    # the order of the pages' routes (/public/seals before /public/{fiscal_year})
    for module in (pages, pages_calendar, pages_documents, pages_admin, pages_ita, pages_seals, pages_public,
                   pages_reports):
        web.include_router(module.router)
    web.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return web


def add_proxy_headers(web: FastAPI, trusted: str | list[str]) -> None:
    """The client's address and scheme from ``X-Forwarded-For`` / ``-Proto``, when the
    connection came from one of ``trusted`` (uvicorn's own middleware: the right-most
    address that is not a trusted proxy is the client). Outermost, so every route and
    every other middleware sees the client. ``ruam serve`` turns uvicorn's copy off."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    web.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)
