"""Local accounts for the web face: passwords, sessions, API tokens, throttling.

Only hashes of secrets are stored: argon2id for passwords, sha256 for session
ids and API tokens (both are 256-bit random strings, so a fast hash suffices).
Who a signed-in person *is allowed to do* never comes from here: it comes from
their role assignments valid now (``Viewer``), the same rule the engine
applies when they act.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.app import SYSTEM, Ruam
from storage.accounts import AccountRows
from workflow.authority import Assignment, acting_role
from workflow.definitions import Organization
from workflow.errors import NotFound, Refused, RuamError, UsageError
from workflow.fiscal import format_datetime_be

SESSION_LIFETIME = dt.timedelta(hours=12)
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES = 5            # per account within FAILURE_WINDOW, then the account waits
MIN_PASSWORD = 10
MAX_PASSWORD = 1024         # argon2 takes more, but nobody types it and hashing it is work
TOKEN_PREFIX = "ruam_"
# How long a server process may answer "who is this token / session / person" from
# memory. A change made through this process (revoke, sign out, new password, a role
# assigned or ended) is seen at once; one made elsewhere (the CLI, another server
# process) within this many seconds. Session expiry and assignment validity are
# checked against the clock on every request, never cached.
AUTH_CACHE_SECONDS = float(os.environ.get("RUAM_AUTH_CACHE_SECONDS", "5"))
AUTH_CACHE_SIZE = 20_000
# A token's "last used" is written when the token is read from the database (not on a
# request answered from memory) and at most this often: a write per minute, not per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class LoginRefused(RuamError):
    """Unknown person or wrong password: one message for both (no account probing)."""

    code = "login_refused"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("the person id or the password is wrong", "รหัสผู้ใช้หรือรหัสผ่านไม่ถูกต้อง")


class TokenAlreadyRevoked(Refused):
    code = "token_revoked"
    http_status = 409

    def __init__(self, at: dt.datetime) -> None:
        self.at = at
        super().__init__(f"this API token was already revoked ({format_datetime_be(at)}, Bangkok time)",
                         f"โทเค็น API นี้ถูกยกเลิกไปแล้วเมื่อ {format_datetime_be(at)}")


class TokensNotYours(Refused):
    code = "not_allowed"
    http_status = 403

    def __init__(self, what_en: str, what_th: str, roles: tuple[str, ...]) -> None:
        super().__init__(f"you may {what_en} only your own API tokens (another person's needs one of the "
                         f"roles: {', '.join(roles)})",
                         f"คุณ{what_th}ได้เฉพาะโทเค็น API ของตนเอง (ของผู้อื่นต้องมีบทบาท: {', '.join(roles)})")


class TooManyAttempts(Refused):
    code = "too_many_attempts"
    http_status = 429

    def __init__(self, minutes: int) -> None:
        self.minutes = minutes
        super().__init__(f"too many attempts; try again in {minutes} minute(s)",
                         f"พยายามหลายครั้งเกินไป โปรดลองใหม่ในอีก {minutes} นาที")


class PasswordRejected(RuamError):
    """A password change refused; every problem names its form field (``current_password``,
    ``new_password``, ``new_password_again``) in Thai and English. Nothing was changed."""

    code = "password_rejected"
    http_status = 422

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = list(problems)  # (field, English, Thai)
        super().__init__("the password was not changed: " + "; ".join(f"{f}: {en}" for f, en, _ in problems),
                         "ไม่ได้เปลี่ยนรหัสผ่าน: " + "; ".join(f"{f}: {th}" for f, _, th in problems))

    def field_problems(self, lang: str) -> list[dict]:
        return [{"field": f, "problem": th if lang == "th" else en} for f, en, th in self.problems]

    def details(self) -> dict:
        return {"problems": self.field_problems("en")}


def password_problems(password: str | None, field: str = "password") -> list[tuple[str, str, str]]:
    """The rules every new password meets, from ``ruam people set-password`` or the web:
    (field, English, Thai) for each one it breaks."""
    n = len(password or "")
    if n < MIN_PASSWORD:
        return [(field, f"needs at least {MIN_PASSWORD} characters", f"ต้องยาวอย่างน้อย {MIN_PASSWORD} ตัวอักษร")]
    if n > MAX_PASSWORD:
        return [(field, f"is longer than {MAX_PASSWORD} characters", f"ยาวเกิน {MAX_PASSWORD} ตัวอักษร")]
    return []


def sha256_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Viewer:
    """A signed-in person and the role assignments they hold now."""

    id: str
    name: str
    position: str
    assignments: tuple[Assignment, ...]

    @property
    def roles(self) -> set[str]:
        return {a.role for a in self.assignments}

    def holds(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_admin(self) -> bool:
        return self.holds("admin")

    @property
    def is_auditor(self) -> bool:
        return self.holds("auditor")

    def sees_task(self, org: Organization, task_id: str) -> bool:
        """Any role held for the office, the task, its mission group or one of its units."""
        scopes = org.scopes_covering(task_id)
        return any(a.scope in scopes for a in self.assignments)

    def office_wide(self) -> bool:
        return any(a.scope is None for a in self.assignments)


class CacheMiss(Exception):
    """Raised by a ``cached_only`` lookup that would have to ask the database."""


class _TimedCache:
    """A small map whose entries live ``ttl`` seconds (monotonic), bounded in size.
    Plain dict operations: safe enough under the GIL for the server's threads."""

    def __init__(self, ttl: float, size: int = AUTH_CACHE_SIZE) -> None:
        self.ttl, self.size = ttl, size
        self.entries: dict = {}

    def get(self, key):
        found = self.entries.get(key)
        if found is None or self.ttl <= 0:
            return None
        value, at = found
        if time.monotonic() - at > self.ttl:
            self.entries.pop(key, None)
            return None
        return value

    def put(self, key, value) -> None:
        if self.ttl <= 0:
            return
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[key] = (value, time.monotonic())

    def drop(self, key) -> None:
        self.entries.pop(key, None)

    def drop_where(self, test) -> None:
        for key in [k for k, (v, _) in list(self.entries.items()) if test(k, v)]:
            self.entries.pop(key, None)

    def clear(self) -> None:
        self.entries.clear()


class Accounts:
    def __init__(self, app: Ruam, hasher: PasswordHasher | None = None,
                 cache_seconds: float = AUTH_CACHE_SECONDS) -> None:
        self.app = app
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None  # verified against for unknown people, so timing tells nothing
        self.log = app.log
        # who a token / session / person is, for at most cache_seconds (see AUTH_CACHE_SECONDS)
        self._tokens = _TimedCache(cache_seconds)    # sha256(token) -> person id
        self._sessions = _TimedCache(cache_seconds)  # sha256(session id) -> session row
        self._people = _TimedCache(cache_seconds)    # person id -> (roles generation, person, assignments)

    # -- administration ---------------------------------------------------------------------
    def set_password(self, person_id: str, password: str) -> None:
        """Set a person's password (the local operator's command; ends their sessions)."""
        problems = password_problems(password)
        if problems:
            raise UsageError(*problems[0])
        digest = self.hasher.hash(password)
        now = self.app.now()
        with self.app.store.transaction() as tx:
            if tx.get_person(person_id) is None:
                raise NotFound("person", person_id, "บุคคล")
            rows = AccountRows(tx)
            rows.set_password_hash(person_id, digest, now)
            rows.end_sessions_of(person_id)
            rows.clear_login_failures(person_id)
        self._sessions.drop_where(lambda _k, row: row["person_id"] == person_id)
        self.log.info("account.password_set", person=person_id)

    def change_password(self, person_id: str, current: str, new: str, new_again: str | None = None,
                        keep_session: str | None = None) -> int:
        """A signed-in person changes their own password.

        Needs the current password (a wrong one counts as a failed sign-in, so the
        same 5-per-15-minutes lock applies), a new one meeting ``password_problems``
        that differs from it, and — when given — the same new one again. Every
        problem is reported at once, by field. On success every other session of
        the person ends (``keep_session``, the cookie of the one asking, stays);
        API tokens stay, they are revoked on their own. Returns the sessions ended.
        """
        now = self.app.now()
        problems: list[tuple[str, str, str]] = []
        if not current:
            problems.append(("current_password", "is required", "ต้องกรอก"))
        problems += password_problems(new, "new_password")
        if current and new and new == current:
            problems.append(("new_password", "must differ from the current password",
                             "ต้องไม่ซ้ำกับรหัสผ่านปัจจุบัน"))
        if new_again is not None and new_again != new:
            problems.append(("new_password_again", "does not match the new password", "ไม่ตรงกับรหัสผ่านใหม่"))
        with self.app.store.reading() as tx:
            rows = AccountRows(tx)
            failures = rows.login_failures_since(person_id, now - FAILURE_WINDOW)
            stored = rows.password_hash(person_id)
        if failures >= MAX_FAILURES:
            raise TooManyAttempts(int(FAILURE_WINDOW.total_seconds() // 60))
        if current and not self._verify(stored, current):
            with self.app.store.transaction() as tx:
                rows = AccountRows(tx)
                rows.forget_login_failures_before(now - FAILURE_WINDOW)
                rows.add_login_failure(person_id, now)
            self.log.info("account.password_change_failed", person=person_id)
            problems.insert(0, ("current_password", "is not right", "ไม่ถูกต้อง"))
        if problems:
            raise PasswordRejected(problems)
        digest = self.hasher.hash(new)
        with self.app.store.transaction() as tx:
            rows = AccountRows(tx)
            rows.set_password_hash(person_id, digest, now)
            kept = sha256_token(keep_session) if keep_session else None
            ended = rows.end_sessions_of(person_id, keep=kept)
            rows.clear_login_failures(person_id)
        self._sessions.drop_where(lambda key, row: row["person_id"] == person_id and key != kept)
        self.log.info("account.password_changed", person=person_id, sessions_ended=ended)
        return ended

    def _verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; with no stored hash, verifies against a
        throw-away one so the time taken does not tell."""
        try:
            if stored is None and self._dummy is None:
                self._dummy = self.hasher.hash(secrets.token_hex(16))
            return self.hasher.verify(stored or self._dummy, password or "") and stored is not None  # type: ignore[arg-type]
        except (VerificationError, InvalidHashError):
            return False

    def new_token(self, person_id: str, label: str = "") -> str:
        """A new API token for a person; shown once, only its sha256 is kept."""
        token = TOKEN_PREFIX + self._office_mark() + secrets.token_urlsafe(32)
        now = self.app.now()
        with self.app.store.transaction() as tx:
            if tx.get_person(person_id) is None:
                raise NotFound("person", person_id, "บุคคล")
            AccountRows(tx).add_token(sha256_token(token), person_id, label, now)
        self.log.info("account.token_issued", person=person_id, token=sha256_token(token)[:16])
        return token

    def tokens(self, person_id: str | None = None, include_revoked: bool = False,
               asked_by: str = SYSTEM) -> list[dict]:
        """API tokens (label, issued, last used, revoked), never a secret or its hash; each with
        its ``id`` (the first 16 hex digits of the hash) to revoke it by. The local operator, an
        admin or an auditor sees everyone's; anyone else only their own."""
        now = self.app.now()
        with self.app.store.reading() as tx:
            if not self._oversees(tx, asked_by, ("admin", "auditor"), now):
                if person_id not in (None, asked_by):
                    raise TokensNotYours("list", "ดู", ("admin", "auditor"))
                person_id = asked_by
            elif person_id is not None and tx.get_person(person_id) is None:
                raise NotFound("person", person_id, "บุคคล")
            rows = AccountRows(tx).tokens(person_id, include_revoked)
        for row in rows:
            row["active"] = row["revoked_at"] is None
        return rows

    def revoke_token(self, token_id: str, by: str = SYSTEM) -> dict:
        """Revoke one token by its id: at once in this process, within AUTH_CACHE_SECONDS in
        any other. The local operator or an admin may revoke any token, a person their own;
        to anyone else another's token does not exist (NotFound)."""
        now = self.app.now()
        with self.app.store.transaction() as tx:
            rows = AccountRows(tx)
            found = rows.token(token_id or "")
            if found is None or (found["person_id"] != by and not self._oversees(tx, by, ("admin",), now)):
                raise NotFound("API token", token_id, "โทเค็น API")
            if found["revoked_at"] is not None:
                raise TokenAlreadyRevoked(found["revoked_at"])
            token_hash = rows.revoke_token(token_id, now, by)
        if token_hash is None:  # revoked by someone else between the read and the update
            raise TokenAlreadyRevoked(now)
        self._tokens.drop(token_hash)
        self.log.info("account.token_revoked", person=found["person_id"], token=token_id, by=by)
        return {"id": token_id, "person": found["person_id"], "label": found["label"],
                "created_at": found["created_at"], "revoked_at": now, "revoked_by": by}

    def revoke_tokens(self, person_id: str, by: str = SYSTEM) -> int:
        """Revoke every token of a person (the local operator or an admin); how many."""
        now = self.app.now()
        with self.app.store.transaction() as tx:
            if not self._oversees(tx, by, ("admin",), now):
                raise TokensNotYours("revoke", "ยกเลิก", ("admin",))
            if tx.get_person(person_id) is None:
                raise NotFound("person", person_id, "บุคคล")
            revoked = AccountRows(tx).revoke_tokens(person_id, now, by)
        self._tokens.drop_where(lambda _k, person: person == person_id)
        self.log.info("account.tokens_revoked", person=person_id, count=revoked, by=by)
        return revoked

    @staticmethod
    def _oversees(tx, person: str, roles: tuple[str, ...], now: dt.datetime) -> bool:
        """The local operator, or a person holding one of ``roles`` office-wide now."""
        return person == SYSTEM or acting_role(tx.assignments(person=person), person, roles, {None}, now) is not None

    # -- signing in -------------------------------------------------------------------------
    def authenticate(self, person_id: str, password: str) -> str:
        """The person id if the password is right; throttled per account."""
        now = self.app.now()
        account = (person_id or "").strip().lower()[:64]
        with self.app.store.reading() as tx:
            rows = AccountRows(tx)
            failures = rows.login_failures_since(account, now - FAILURE_WINDOW)
            stored = rows.password_hash(account)
        if failures >= MAX_FAILURES:
            raise TooManyAttempts(int(FAILURE_WINDOW.total_seconds() // 60))
        ok = self._verify(stored, password)
        with self.app.store.transaction() as tx:
            rows = AccountRows(tx)
            if not ok:
                rows.forget_login_failures_before(now - FAILURE_WINDOW)
                rows.add_login_failure(account, now)
            else:
                rows.clear_login_failures(account)
                if self.hasher.check_needs_rehash(stored):  # type: ignore[arg-type]
                    rows.set_password_hash(account, self.hasher.hash(password), now)
        if not ok:
            self.log.info("account.login_failed", person=account)
            raise LoginRefused()
        return account

    def refuse_sign_in(self, password: str) -> NoReturn:
        """Refuse a sign-in the way a wrong password is refused (LoginRefused), taking as long:
        for an office that does not exist, which must not be told apart from a wrong password."""
        self._verify(None, password)
        raise LoginRefused()

    def _office_mark(self) -> str:
        """What a token or session id of another office than the default starts with (``CODE.``):
        the web picks the office from it (``engine.web.offices``), then looks it up there."""
        code = self.app.store.record_office
        return "" if code is None else code + "."

    def open_session(self, person_id: str) -> tuple[str, str]:
        """(session id for the cookie, CSRF token for its forms)."""
        token, csrf = self._office_mark() + secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = self.app.now()
        with self.app.store.transaction() as tx:
            rows = AccountRows(tx)
            rows.purge_sessions(now)
            rows.add_session(sha256_token(token), person_id, csrf, now, now + SESSION_LIFETIME)
        self.log.info("account.signed_in", person=person_id)
        return token, csrf

    def session(self, token: str, cached_only: bool = False) -> dict | None:
        if not token:
            return None
        key, now = sha256_token(token), self.app.now()
        row = self._sessions.get(key)
        if row is None:
            if cached_only:
                raise CacheMiss
            with self.app.store.reading() as tx:
                row = AccountRows(tx).session(key, now)
            if row is None:
                return None
            self._sessions.put(key, row)
        if row["expires_at"] <= now:  # expiry is the clock's, on every request
            self._sessions.drop(key)
            return None
        return row

    def close_session(self, token: str) -> None:
        key = sha256_token(token)
        with self.app.store.transaction() as tx:
            AccountRows(tx).end_session(key)
        self._sessions.drop(key)

    def token_person(self, token: str, cached_only: bool = False) -> str | None:
        if not token or not token.startswith(TOKEN_PREFIX):
            return None
        key = sha256_token(token)
        person = self._tokens.get(key)
        if person is None:
            if cached_only:
                raise CacheMiss
            with self.app.store.reading() as tx:
                found = AccountRows(tx).token_owner(key)
            if found is None:  # unknown or revoked tokens are asked about every time
                return None
            person, last_used = found
            now = self.app.now()
            if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
                with self.app.store.transaction() as tx:
                    AccountRows(tx).token_used(key, now)
            self._tokens.put(key, person)
        return person

    # -- who is it --------------------------------------------------------------------------
    def viewer(self, person_id: str, cached_only: bool = False) -> Viewer | None:
        """``cached_only``: raise CacheMiss rather than read the database (the web's event loop)."""
        if person_id == SYSTEM:
            return None
        now = self.app.now()
        generation = self.app.roles_generation
        found = self._people.get(person_id)
        if found is None or found[0] != generation:  # a role changed through this process: ask again
            if cached_only:
                raise CacheMiss
            if "@" in person_id:  # a person of another office, with the roles this office granted them
                person = self._of_another_office(person_id)
                if person is None:
                    return None
                with self.app.store.reading() as tx:
                    found = (generation, person, tuple(tx.assignments(person=person_id)))
            else:
                with self.app.store.reading() as tx:
                    person = tx.get_person(person_id)
                    if person is None:
                        return None
                    found = (generation, person, tuple(tx.assignments(person=person_id)))
            self._people.put(person_id, found)
        _, person, assignments = found
        held = tuple(a for a in assignments if a.valid_at(now))  # validity is the clock's, every request
        return Viewer(person["id"], person["name"], person["position"], held)

    def _of_another_office(self, qualified: str) -> dict | None:
        """``person@CODE``'s row in their own office (their name and position), as ``qualified``."""
        from workflow.errors import NotFound as NoOffice

        person, _, code = qualified.partition("@")
        try:
            home = self.app.for_office(code)
        except NoOffice:
            return None
        with home.store.reading() as tx:
            row = tx.get_person(person)
        return None if row is None else {**row, "id": qualified}

    def admins(self) -> dict[str, bool]:
        """Who holds ``admin`` now, and whether each has a password (may sign in on the web)."""
        now = self.app.now()
        with self.app.store.reading() as tx:
            held = sorted({a.person for a in tx.assignments() if a.role == "admin" and a.valid_at(now)})
            rows = AccountRows(tx)
            return {person: rows.password_hash(person) is not None for person in held}

    def secret(self) -> bytes:
        """The service's signing key (for anonymous forms), made once and kept in the database."""
        with self.app.store.transaction() as tx:
            rows = AccountRows(tx)
            rows.put_setting_if_absent("signing_key", secrets.token_hex(32))
            return bytes.fromhex(rows.setting("signing_key") or "")
