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
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.app import SYSTEM, Ruam
from storage.accounts import AccountRows
from workflow.authority import Assignment
from workflow.definitions import Organization
from workflow.errors import NotFound, Refused, RuamError, UsageError

SESSION_LIFETIME = dt.timedelta(hours=12)
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES = 5            # per account within FAILURE_WINDOW, then the account waits
MIN_PASSWORD = 10
MAX_PASSWORD = 1024         # argon2 takes more, but nobody types it and hashing it is work
TOKEN_PREFIX = "ruam_"


class LoginRefused(RuamError):
    """Unknown person or wrong password: one message for both (no account probing)."""

    code = "login_refused"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("the person id or the password is wrong", "รหัสผู้ใช้หรือรหัสผ่านไม่ถูกต้อง")


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


class Accounts:
    def __init__(self, app: Ruam, hasher: PasswordHasher | None = None) -> None:
        self.app = app
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None  # verified against for unknown people, so timing tells nothing
        self.log = app.log

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
            ended = rows.end_sessions_of(person_id, keep=sha256_token(keep_session) if keep_session else None)
            rows.clear_login_failures(person_id)
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
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.app.now()
        with self.app.store.transaction() as tx:
            if tx.get_person(person_id) is None:
                raise NotFound("person", person_id, "บุคคล")
            AccountRows(tx).add_token(sha256_token(token), person_id, label, now)
        self.log.info("account.token_issued", person=person_id)
        return token

    def revoke_tokens(self, person_id: str) -> int:
        with self.app.store.transaction() as tx:
            return AccountRows(tx).revoke_tokens(person_id, self.app.now())

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

    def open_session(self, person_id: str) -> tuple[str, str]:
        """(session id for the cookie, CSRF token for its forms)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = self.app.now()
        with self.app.store.transaction() as tx:
            rows = AccountRows(tx)
            rows.purge_sessions(now)
            rows.add_session(sha256_token(token), person_id, csrf, now, now + SESSION_LIFETIME)
        self.log.info("account.signed_in", person=person_id)
        return token, csrf

    def session(self, token: str) -> dict | None:
        if not token:
            return None
        with self.app.store.reading() as tx:
            return AccountRows(tx).session(sha256_token(token), self.app.now())

    def close_session(self, token: str) -> None:
        with self.app.store.transaction() as tx:
            AccountRows(tx).end_session(sha256_token(token))

    def token_person(self, token: str) -> str | None:
        if not token or not token.startswith(TOKEN_PREFIX):
            return None
        with self.app.store.reading() as tx:
            return AccountRows(tx).token_owner(sha256_token(token))

    # -- who is it --------------------------------------------------------------------------
    def viewer(self, person_id: str) -> Viewer | None:
        if person_id == SYSTEM:
            return None
        now = self.app.now()
        with self.app.store.reading() as tx:
            person = tx.get_person(person_id)
            if person is None:
                return None
            held = tuple(a for a in tx.assignments(person=person_id) if a.valid_at(now))
        return Viewer(person["id"], person["name"], person["position"], held)

    def secret(self) -> bytes:
        """The service's signing key (for anonymous forms), made once and kept in the database."""
        with self.app.store.transaction() as tx:
            rows = AccountRows(tx)
            rows.put_setting_if_absent("signing_key", secrets.token_hex(32))
            return bytes.fromhex(rows.setting("signing_key") or "")
