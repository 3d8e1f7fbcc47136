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
  person types. A feedback token is good for one opinion (page or API).
- Per-address limits are counted in the database, for every server process.
- What the person may see or do comes from their role assignments valid now
  (``Viewer``); the engine re-checks every command itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from engine.accounts import Accounts, Viewer
from engine.throttle import RateLimits
from engine.web.problems import CsrfRefused, NotSignedIn, RateLimited
from workflow.errors import RuamError

SESSION_COOKIE = "ruam_session"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Caller:
    viewer: Viewer
    via: str                  # "session" | "token"
    csrf: str | None = None   # the session's CSRF token


def caller(request: Request, accounts: Accounts, cached_only: bool = False) -> Caller | None:
    """``cached_only``: answer from Accounts' memory or raise CacheMiss (never block on the database).

    A credential of another office (under this office's ``/o/CODE/`` prefix) is looked up in its own
    office; it signs in here only as ``person@THEIRS`` holding roles this office granted them."""
    found = _caller(request, accounts, cached_only)
    home = request.scope.get("state", {}).get("ruam_home_web")
    if found is not None or home is None or home.accounts is accounts:
        return found
    theirs = _caller(request, home.accounts, cached_only)
    if theirs is None:
        return None
    viewer = accounts.viewer(f"{theirs.viewer.id}@{home.app.office}", cached_only)
    if viewer is None or not viewer.assignments:
        return None
    return Caller(viewer, theirs.via, theirs.csrf)


def _caller(request: Request, accounts: Accounts, cached_only: bool = False) -> Caller | None:
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


@dataclass(frozen=True)
class SignedForm:
    """A form token that checked out: how old it is, and what makes it single-use."""

    age: float
    id: str                 # its MAC: unique per token, nothing secret
    expires_at: dt.datetime


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

    def verify(self, purpose: str, token: str | None, max_age: int) -> SignedForm:
        """The token's age and id; raises CsrfRefused if forged, for another purpose, or too old."""
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
        return SignedForm(age, mac, dt.datetime.fromtimestamp(issued + max_age, dt.timezone.utc))

    def age(self, purpose: str, token: str | None, max_age: int) -> float:
        """Seconds since the token was issued; raises CsrfRefused if forged or too old."""
        return self.verify(purpose, token, max_age).age


class RateLimit:
    """At most ``limit`` requests per address in a sliding ``window`` (seconds), counted in
    the database (``engine.throttle``): the same for every server process and after a restart."""

    def __init__(self, limits: RateLimits, bucket: str, limit: int, window: int) -> None:
        self.limits, self.bucket, self.limit, self.window = limits, bucket, limit, window

    def hit(self, address: str) -> None:
        wait = self.limits.hit(self.bucket, address, self.limit, self.window)
        if wait is not None:
            raise RateLimited(wait)


def client_ip(request: Request) -> str:
    """The address the request came from. ``X-Forwarded-For`` counts only when the
    connection came from a proxy named in ``ruam serve --forwarded-allow-ips``
    (``create_web(forwarded_allow_ips=…)``, which rewrites the client before this)."""
    return request.client.host if request.client else "unknown"


# ---------------------------------------------------------------------------- the public feedback form
FEEDBACK_TOKEN_SECONDS = 6 * 3600   # a feedback form may be sent up to 6 hours after it was loaded
HONEYPOT = "website"                # the form's hidden field: people leave it empty, bots fill it


class SentTooQuickly(RuamError):
    code = "too_quick"
    http_status = 422

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"sent too quickly; please read the page, then send again (at least {seconds:g} seconds "
                         "after the form was loaded)",
                         f"ส่งเร็วเกินไป โปรดอ่านหน้านี้แล้วส่งอีกครั้ง (อย่างน้อย {seconds:g} วินาทีหลังเปิดแบบฟอร์ม)")

    def field_problems(self, lang: str) -> list[dict]:
        return [{"field": "token", "problem": self.message(lang)}]


class HoneypotFilled(RuamError):
    code = "honeypot"
    http_status = 422

    def __init__(self) -> None:
        super().__init__(f"{HONEYPOT}: must be left empty", f"{HONEYPOT}: ต้องเว้นว่าง")

    def field_problems(self, lang: str) -> list[dict]:
        return [{"field": HONEYPOT, "problem": "must be left empty" if lang == "en" else "ต้องเว้นว่าง"}]


def feedback_purpose(process_id: str) -> str:
    return "feedback:" + process_id


def check_feedback_form(web, request: Request, process_id: str, token: str | None,
                        honeypot: str | None) -> SignedForm:
    """The public feedback form's checks, the page's and the API's alike, in this order:
    the token is ours, for this process and at most 6 hours old (CsrfRefused, 403); the
    honeypot is empty (HoneypotFilled, 422); it came no sooner than ``min_fill_seconds``
    after the form was issued (SentTooQuickly, 422); the address is within its limit
    (RateLimited, 429). That the token was not used before is checked as the opinion is
    recorded (``receive_feedback(form_token=…)``, FormTokenUsed, 409)."""
    signed = web.signer.verify(feedback_purpose(process_id), token, FEEDBACK_TOKEN_SECONDS)
    if honeypot:
        web.app.log.info("feedback.honeypot", process=process_id)
        raise HoneypotFilled()
    if signed.age < web.min_fill_seconds:
        raise SentTooQuickly(web.min_fill_seconds)
    web.feedback_ip.hit(client_ip(request))
    return signed
