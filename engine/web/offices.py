"""Which office a request is for, and that office's ``Web``.

- The default office keeps today's URLs; a database with one office sees no change.
- A person's office comes with their credential: a session cookie or an API token of
  another office starts with its code (``CODE.…``, ``ruam_CODE.…``), so a signed-in
  person of office B uses the same URLs (``/``, ``/processes/…``, ``/api/…``) and
  sees office B. The credential is still looked up in that office's own tables: a
  forged prefix finds nothing.
- Any route under ``/o/CODE/…`` is office CODE's: its public pages, its sign-in
  (``/o/CODE/login``), its API. Today's ``/login`` of a database with more than one
  office asks which office (``engine.web.pages.login``) and sends a person of another
  office to ``/o/CODE/``. Links and redirects in the pages it answers keep the
  prefix. A credential of another office there is not that office's: it finds
  nothing (401 / sign-in), and the attempt is logged (``web.cross_office``) —
  unless that office granted the person a role, explicitly (a role assignment there
  naming ``person@THEIR-CODE``): then they are signed in there with those roles only
  (``engine.web.auth.caller``).

Why not a prefix for everything: a person belongs to one office, so their office is
known from who they are; URLs stay those of today, and no template changes.
"""

from __future__ import annotations

import re
import threading
from http.cookies import SimpleCookie

from engine.app import Ruam
from workflow.errors import NotFound

PREFIX = re.compile(r"^/o/([a-z][a-z0-9-]{1,31})(/.*)?$")
SESSION_COOKIE = "ruam_session"
TOKEN_PREFIX = "ruam_"
_LINK = re.compile(rb'((?:href|action|src)=")/(?!/)')


def credential_office(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The office code a request's credential names (None: the default office's, or none)."""
    for name, value in headers:
        if name == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer ":
                token = text[7:].strip()
                if token.startswith(TOKEN_PREFIX) and "." in token:
                    return token[len(TOKEN_PREFIX):].split(".", 1)[0]
                return None
    for name, value in headers:
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no credential
                return None
            morsel = jar.get(SESSION_COOKIE)
            if morsel is not None and "." in morsel.value:
                return morsel.value.split(".", 1)[0]
    return None


class WebOffices:
    """One ``Web`` per office, made on first use and kept (each with its own caches)."""

    def __init__(self, root, make) -> None:
        self.root, self.make = root, make  # make(app) -> that office's Web (engine.web.app's)
        self._webs: dict[str, object] = {}
        self._lock = threading.Lock()

    def web(self, code: str | None):
        """The office's ``Web``; None if there is no such office."""
        if code in (None, "default"):
            return self.root
        found = self._webs.get(code)
        if found is not None:
            return found
        with self._lock:
            found = self._webs.get(code)
            if found is None:
                try:
                    app: Ruam = self.root.app.for_office(code)
                except NotFound:
                    return None
                found = self._webs[code] = self.make(app)
        return found


class OfficeRouter:
    """ASGI middleware: put the request's office's ``Web`` in ``scope["state"]["ruam_web"]``."""

    def __init__(self, app, offices: WebOffices) -> None:
        self.app, self.offices = app, offices

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        match = PREFIX.match(scope["path"])
        named = credential_office(scope.get("headers") or [])
        if match is None:
            code, prefix = named, ""
        else:
            code, prefix = match.group(1), "/o/" + match.group(1)
            if (named or "default") != code and _has_credential(scope):
                self.offices.root.app.log.warning("web.cross_office", office=code, credential_office=named or "default",
                                                  path=scope["path"])
        web = await _web_of(self.offices, code)
        if web is None:
            return await _not_found(scope, send)
        state = dict(scope.get("state") or {})
        state["ruam_web"] = web
        state["ruam_prefix"] = prefix  # "/o/CODE" under an office's prefix, else "" (today's URLs)
        if prefix and (named or "default") != code and _has_credential(scope):
            # a person of another office: signed in here only with roles this office granted them
            state["ruam_home_web"] = await _web_of(self.offices, named)
        scope = dict(scope, state=state)
        if prefix:
            scope["root_path"] = scope.get("root_path", "") + prefix
            return await self.app(scope, receive, _prefixed(send, prefix.encode()))
        return await self.app(scope, receive, send)


def _has_credential(scope) -> bool:
    for name, value in scope.get("headers") or []:
        if name == b"authorization" or (name == b"cookie" and SESSION_COOKIE.encode() in value):
            return True
    return False


async def _web_of(offices: WebOffices, code: str | None):
    from anyio import to_thread

    if code in (None, "default") or code in offices._webs:
        return offices.web(code)
    return await to_thread.run_sync(offices.web, code)  # its first use reads the database


async def _not_found(scope, send) -> None:
    api = "/api/" in scope["path"]
    body = (b'{"type":"/problems/not_found","title":"not_found","status":404,"detail":"no such office"}' if api
            else "<!doctype html><meta charset=utf-8><title>ไม่พบ</title><p>ไม่พบสำนักงานนี้ (no such office)</p>"
            .encode())
    await send({"type": "http.response.start", "status": 404, "headers": [
        (b"content-type", b"application/problem+json" if api else b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _prefixed(send, prefix: bytes):
    """Keep an office's prefix in what its pages link and redirect to (HTML bodies, Location)."""
    held: dict = {}
    chunks: list[bytes] = []

    async def wrapped(message):
        if message["type"] == "http.response.start":
            headers = []
            html = False
            for name, value in message.get("headers", ()):
                if (name.lower() == b"location" and value.startswith(b"/") and not value.startswith(b"//")
                        and not value.startswith(prefix + b"/")):
                    value = prefix + value
                if name.lower() == b"content-type" and value.startswith(b"text/html"):
                    html = True
                headers.append((name, value))
            message = {**message, "headers": headers}
            if not html:
                return await send(message)
            held["start"] = message
            return None
        if message["type"] == "http.response.body" and "start" in held:
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return None
            body = _LINK.sub(rb"\1" + prefix + b"/", b"".join(chunks))
            start = held.pop("start")
            start["headers"] = [(n, str(len(body)).encode() if n.lower() == b"content-length" else v)
                                for n, v in start["headers"]]
            await send(start)
            return await send({"type": "http.response.body", "body": body})
        return await send(message)

    return wrapped
