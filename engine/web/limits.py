"""Limits at the door, before a request reaches a route, the database or sign-in.

- **Body size.** Bytes are counted as they stream in; beyond the limit the answer
  is 413 (problem JSON under /api, a Thai page otherwise) and nothing more is read.
  A declared Content-Length over the limit is refused before reading anything.
  Signed-in people may send up to ``RUAM_MAX_BODY_MB`` (default 25: one attachment
  of 20 MiB and its form); anyone else, and the public and sign-in forms whoever
  sends them, ``RUAM_MAX_PUBLIC_BODY_KB`` (default 64). Whether the sender is
  signed in is asked only when a body outgrows the small limit.
- **NUL characters.** PostgreSQL's text cannot hold U+0000, and no person types
  it: a NUL in the path, the query, an urlencoded form field or a JSON string is
  refused with 422 naming where it was. (Multipart form fields are checked where
  the pages read their forms; storage refuses any that come another way.)
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import parse_qsl, unquote_to_bytes

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from engine.web.problems import PROBLEM_JSON, lang_of, problem_body
from workflow.canonical import nul_in
from workflow.errors import RuamError, UsageError

_API = re.compile(r"^(/o/[a-z][a-z0-9-]{1,31})?/api/")

__all__ = ["BodyLimit", "BodyTooLarge", "body_limits", "nul_in", "refuse_nul_fields"]

PUBLIC_PREFIXES = ("/login", "/public/", "/api/public/")
NUL = "\x00"


def body_limits() -> tuple[int, int]:
    """(signed-in, anonymous) limits in bytes, from RUAM_MAX_BODY_MB and RUAM_MAX_PUBLIC_BODY_KB."""

    def number(name: str, default: float) -> float:
        text = os.environ.get(name, "").strip()
        try:
            value = float(text) if text else default
        except ValueError:
            raise UsageError(name, f"'{text}' is not a number", f"'{text}' ไม่ใช่ตัวเลข") from None
        if value <= 0:
            raise UsageError(name, "must be more than 0", "ต้องมากกว่า 0")
        return value

    return int(number("RUAM_MAX_BODY_MB", 25) * 1024 * 1024), int(number("RUAM_MAX_PUBLIC_BODY_KB", 64) * 1024)


def _size_text(n: int, lang: str) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    return f"{n / 1024:g} KB" if n >= 1024 else f"{n} " + ("ไบต์" if lang == "th" else "bytes")


class BodyTooLarge(RuamError):
    code = "too_large"
    http_status = 413

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the request is larger than {_size_text(limit, 'en')}, the most accepted here; "
                         f"nothing was saved (send smaller files, or fewer at a time)",
                         f"ข้อมูลที่ส่งมีขนาดเกิน {_size_text(limit, 'th')} ซึ่งเป็นขนาดที่รับได้ จึงไม่ได้บันทึก "
                         f"(โปรดส่งไฟล์ที่เล็กลงหรือส่งทีละน้อยลง)")


def nul_problem(where: str) -> UsageError:
    return UsageError(where, "contains a NUL character (\\x00), which is not text and cannot be stored",
                      "มีอักขระ NUL (\\x00) ซึ่งไม่ใช่ข้อความและบันทึกไม่ได้")


def refuse_nul_fields(form) -> None:
    """A form's fields (and uploaded files' names) without NUL, or UsageError naming the first."""
    for key, value in form.multi_items() if hasattr(form, "multi_items") else form.items():
        if NUL in key:
            raise nul_problem(key.replace(NUL, "\\x00"))
        text = value if isinstance(value, str) else getattr(value, "filename", None)
        if text and NUL in text:
            raise nul_problem(key)


def _refuse_nul_in_url(scope) -> None:
    if NUL in scope.get("path", ""):
        raise nul_problem("path")
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if NUL in key or NUL in value:
                raise nul_problem(key.replace(NUL, "\\x00") or "query")
        raise nul_problem("query")


def _refuse_nul_in_body(content_type: str, body: bytes) -> None:
    if content_type == "application/x-www-form-urlencoded":
        if b"%00" in body or b"\x00" in body:
            for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
                if NUL in key or NUL in value:
                    raise nul_problem(key.replace(NUL, "\\x00"))
            if b"\x00" in unquote_to_bytes(body):
                raise nul_problem("body")
    elif content_type.endswith("json"):
        # a NUL can only be written \u0000 in valid JSON; a raw one is a syntax error the route reports
        if b"\\u0000" in body:
            try:
                data = json.loads(body)
            except ValueError:
                return
            where = nul_in(data)
            if where:
                raise nul_problem(where)


def _content_type(scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class _Refused(Exception):
    """Raised from ``receive`` inside the route once a body outgrows its limit."""


class BodyLimit:
    """ASGI middleware: the body limit and the NUL checks above (plain ASGI, no task group)."""

    def __init__(self, app, limits: tuple[int, int] | None = None) -> None:
        self.app = app
        self.signed_in_limit, self.anonymous_limit = limits or body_limits()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        try:
            _refuse_nul_in_url(scope)
        except RuamError as exc:
            return await self._answer(scope, exc, send)

        path = scope.get("path", "")
        public = path.startswith(PUBLIC_PREFIXES)
        limit = [self.anonymous_limit if public else None]  # None: not yet known (asked when it matters)

        async def allowed(size: int) -> bool:
            if size <= self.anonymous_limit:
                return True
            if limit[0] is None:
                limit[0] = self.signed_in_limit if await self._signed_in(scope) else self.anonymous_limit
            return size <= limit[0]

        declared = _content_length(scope)
        if declared is not None and not await allowed(declared):
            return await self._answer(scope, BodyTooLarge(limit[0]), send)

        content_type = _content_type(scope)
        if content_type == "application/x-www-form-urlencoded" or content_type.endswith("json"):
            # small bodies a route reads whole anyway: read here, check for NUL, hand on
            chunks, size = [], 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client left
                chunk = message.get("body", b"")
                size += len(chunk)
                if not await allowed(size):
                    return await self._answer(scope, BodyTooLarge(limit[0]), send)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            del chunks
            try:
                _refuse_nul_in_body(content_type, body)
            except RuamError as exc:
                return await self._answer(scope, exc, send)
            handed = [False]

            async def replay():
                if not handed[0]:
                    handed[0] = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            return await self.app(scope, replay, send)

        # anything else (multipart uploads): counted as it streams through to the route
        received = [0]
        refused: list[BodyTooLarge] = []
        started = [False]

        async def counted():
            message = await receive()
            if message["type"] == "http.request":
                received[0] += len(message.get("body", b""))
                if not await allowed(received[0]):
                    refused.append(BodyTooLarge(limit[0]))
                    raise _Refused()
            return message

        async def guarded_send(message):
            if refused:  # whatever the route made of the refusal, the answer is 413
                return
            if message["type"] == "http.response.start":
                started[0] = True
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except _Refused:
            pass
        except Exception:
            if not refused:
                raise
        if refused and not started[0]:
            await self._answer(scope, refused[0], send)

    async def _signed_in(self, scope) -> bool:
        from engine.accounts import CacheMiss
        from engine.web.auth import caller

        web = getattr(scope.get("app"), "state", None)
        accounts = getattr(getattr(web, "web", None), "accounts", None)
        if accounts is None:
            return False
        request = Request(scope)
        try:
            try:
                return caller(request, accounts, cached_only=True) is not None
            except CacheMiss:
                return await run_in_threadpool(caller, request, accounts) is not None
        except RuamError:  # the database is unwell: let the route say so rather than refuse the size
            return True

    async def _answer(self, scope, exc: RuamError, send) -> None:
        request = Request(scope)
        if _API.match(scope.get("path", "")):  # an office's /o/CODE/api/ too
            response = JSONResponse(problem_body(exc, lang_of(request), _printable(scope.get("path", ""))),
                                    status_code=exc.http_status, media_type=PROBLEM_JSON)
        else:
            response = _page(request, exc)
        response.headers["Cache-Control"] = "no-store"
        if exc.http_status == 413:
            response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, _no_body, send)


async def _no_body():
    return {"type": "http.disconnect"}


def _printable(path: str) -> str:
    return path.replace(NUL, "\\x00")


def _page(request: Request, exc: RuamError):
    """The Thai (or English) error page, for a form sent from a browser."""
    web = request.app.state.web
    lang = lang_of(request)
    word = web.templates.env.globals["word"]
    ctx = {"request": request, "lang": lang, "who": None, "csrf": "", "message": exc.message(lang),
           "code": exc.code, "path": _printable(request.url.path) if NUL not in request.url.path else "/",
           "t": lambda key, **kw: word(key, lang, **kw)}
    return web.templates.TemplateResponse(request, "error.html", ctx, status_code=exc.http_status)
