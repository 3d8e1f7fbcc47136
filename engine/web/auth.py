"""Who is asking, and may they: sessions, API tokens, CSRF, signed form tokens,
rate limits.

- A browser signs in with a password and gets a session cookie (HttpOnly,
  SameSite=Lax, Secure when the request came over TLS); the session row holds a
  CSRF token that every form carries and every unsafe request must return.
- A script sends ``Authorization: Bearer ruam_…`` (``ruam people token``); a
  bearer token is not sent by browsers on their own, so it needs no CSRF token.
- Anonymous forms (sign-in, public feedback) carry a token signed with the
  service's key and stamped with the time it was issued: it proves the form came
  from us, and lets the feedback form refuse submissions made faster than a
  person types.
- What the person may see or do comes from their role assignments valid now
  (``Viewer``); the engine re-checks every command itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from engine.accounts import Accounts, Viewer
from engine.web.problems import CsrfRefused, NotSignedIn, RateLimited

SESSION_COOKIE = "ruam_session"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Caller:
    viewer: Viewer
    via: str                  # "session" | "token"
    csrf: str | None = None   # the session's CSRF token


def caller(request: Request, accounts: Accounts, cached_only: bool = False) -> Caller | None:
    """``cached_only``: answer from Accounts' memory or raise CacheMiss (never block on the database)."""
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        person = accounts.token_person(auth[7:].strip(), cached_only)
        viewer = accounts.viewer(person, cached_only) if person else None
        return Caller(viewer, "token") if viewer else None
    session = accounts.session(request.cookies.get(SESSION_COOKIE, ""), cached_only)
    if session is None:
        return None
    viewer = accounts.viewer(session["person_id"], cached_only)
    return Caller(viewer, "session", session["csrf"]) if viewer else None


def require_caller(request: Request, accounts: Accounts, cached_only: bool = False) -> Caller:
    found = caller(request, accounts, cached_only)
    if found is None:
        raise NotSignedIn()
    if found.via == "session" and request.method in UNSAFE:
        check_csrf(found, request.headers.get("x-csrf-token"))
    return found


def check_csrf(found: Caller, token: str | None) -> None:
    if found.via != "session":
        return
    if not token or not found.csrf or not hmac.compare_digest(token, found.csrf):
        raise CsrfRefused()


def is_tls(request: Request) -> bool:
    return request.url.scheme == "https"


class FormSigner:
    """Tokens for anonymous forms: ``issued.nonce.mac``, bound to a purpose."""

    def __init__(self, key: bytes, clock: Callable[[], float]) -> None:
        self.key, self.clock = key, clock

    def _mac(self, purpose: str, issued: int, nonce: str) -> str:
        msg = f"{purpose}|{issued}|{nonce}".encode()
        return hmac.new(self.key, msg, hashlib.sha256).hexdigest()[:32]

    def issue(self, purpose: str) -> str:
        issued, nonce = int(self.clock()), secrets.token_hex(6)
        return f"{issued}.{nonce}.{self._mac(purpose, issued, nonce)}"

    def age(self, purpose: str, token: str | None, max_age: int) -> float:
        """Seconds since the token was issued; raises CsrfRefused if forged or too old."""
        try:
            issued_text, nonce, mac = (token or "").split(".")
            issued = int(issued_text)
        except ValueError:
            raise CsrfRefused() from None
        if not hmac.compare_digest(mac, self._mac(purpose, issued, nonce)):
            raise CsrfRefused()
        age = self.clock() - issued
        if age > max_age or age < -5:
            raise CsrfRefused()
        return age


class RateLimit:
    """At most ``limit`` events per key in a sliding window (this process's memory)."""

    def __init__(self, limit: int, window: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.events: dict[str, deque] = {}
        self.lock = threading.Lock()

    def hit(self, key: str) -> None:
        now = self.clock()
        with self.lock:
            events = self.events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                raise RateLimited(max(1, int(events[0] + self.window - now)))
            events.append(now)
            if len(self.events) > 50_000:  # forget idle keys rather than grow without bound
                for k in [k for k, v in self.events.items() if not v or v[-1] <= now - self.window]:
                    del self.events[k]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
