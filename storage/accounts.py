"""Rows behind web accounts: credentials, API tokens, sessions, login failures,
settings. Used inside a ``Tx`` (``AccountRows(tx)``), so a command's writes
still commit together. Only hashes of secrets reach these tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, insert, select, update

from storage import schema as s
from storage.store import Tx


class AccountRows:
    """One office's accounts: a session or token of another office is not found here."""

    def __init__(self, tx: Tx) -> None:
        self.conn = tx.conn
        self.office = tx.office_id

    # -- passwords ---------------------------------------------------------------------
    def password_hash(self, person_id: str) -> str | None:
        c = s.credentials.c
        return self.conn.execute(select(c.password_hash).where(c.office_id == self.office,
                                                               c.person_id == person_id)).scalar()

    def set_password_hash(self, person_id: str, password_hash: str, at: dt.datetime) -> None:
        c = s.credentials.c
        done = self.conn.execute(update(s.credentials).where(c.office_id == self.office, c.person_id == person_id)
                                 .values(password_hash=password_hash, updated_at=at)).rowcount
        if not done:
            self.conn.execute(insert(s.credentials).values(office_id=self.office, person_id=person_id,
                                                           password_hash=password_hash, updated_at=at))

    # -- API tokens ------------------------------------------------------------------------
    def add_token(self, token_hash: str, person_id: str, label: str, at: dt.datetime) -> None:
        self.conn.execute(insert(s.api_tokens).values(token_hash=token_hash, id=token_hash[:16],
                                                      office_id=self.office, person_id=person_id, label=label, created_at=at))

    def token_owner(self, token_hash: str) -> tuple[str, dt.datetime | None] | None:
        """(person, last used) of a token not revoked."""
        c = s.api_tokens.c
        row = self.conn.execute(select(c.person_id, c.last_used_at).where(c.office_id == self.office,
                                                                          c.token_hash == token_hash,
                                                                          c.revoked_at.is_(None))).first()
        return (row.person_id, row.last_used_at) if row else None

    def token_used(self, token_hash: str, at: dt.datetime) -> None:
        c = s.api_tokens.c
        self.conn.execute(update(s.api_tokens).where(c.office_id == self.office, c.token_hash == token_hash)
                          .values(last_used_at=at))

    def tokens(self, person_id: str | None = None, include_revoked: bool = False) -> list[dict]:
        """Tokens with their holder's name, oldest first; never the hash."""
        c, holder = s.api_tokens.c, s.people.c
        q = (select(c.id, c.person_id.label("person"), holder.name.label("person_name"), c.label, c.created_at,
                    c.last_used_at, c.revoked_at, c.revoked_by)
             .join(s.people, (holder.office_id == c.office_id) & (holder.id == c.person_id))
             .where(c.office_id == self.office)
             .order_by(c.created_at, c.id))
        if person_id is not None:
            q = q.where(c.person_id == person_id)
        if not include_revoked:
            q = q.where(c.revoked_at.is_(None))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def token(self, token_id: str) -> dict | None:
        c = s.api_tokens.c
        row = self.conn.execute(select(c.id, c.person_id, c.label, c.created_at, c.revoked_at)
                                .where(c.office_id == self.office, c.id == token_id)).first()
        return dict(row._mapping) if row else None

    def revoke_token(self, token_id: str, at: dt.datetime, by: str) -> str | None:
        """Revoke one token if still valid; its hash (for the caches), else None."""
        c = s.api_tokens.c
        return self.conn.execute(update(s.api_tokens).where(c.office_id == self.office, c.id == token_id,
                                                            c.revoked_at.is_(None))
                                 .values(revoked_at=at, revoked_by=by).returning(c.token_hash)).scalar()

    def revoke_tokens(self, person_id: str, at: dt.datetime, by: str | None = None) -> int:
        c = s.api_tokens.c
        return self.conn.execute(update(s.api_tokens).where(c.office_id == self.office, c.person_id == person_id,
                                                            c.revoked_at.is_(None))
                                 .values(revoked_at=at, revoked_by=by)).rowcount

    # -- sessions ----------------------------------------------------------------------------
    def add_session(self, session_hash: str, person_id: str, csrf: str, at: dt.datetime,
                    expires_at: dt.datetime) -> None:
        self.conn.execute(insert(s.web_sessions).values(session_hash=session_hash, office_id=self.office,
                                                        person_id=person_id,
                                                        csrf=csrf, created_at=at, expires_at=expires_at))

    def session(self, session_hash: str, now: dt.datetime) -> dict | None:
        c = s.web_sessions.c
        row = self.conn.execute(select(c.person_id, c.csrf, c.expires_at)
                                .where(c.office_id == self.office, c.session_hash == session_hash,
                                       c.expires_at > now)).first()
        return dict(row._mapping) if row else None

    def end_session(self, session_hash: str) -> None:
        c = s.web_sessions.c
        self.conn.execute(delete(s.web_sessions).where(c.office_id == self.office, c.session_hash == session_hash))

    def end_sessions_of(self, person_id: str, keep: str | None = None) -> int:
        """End a person's sessions (but the one whose hash is ``keep``); how many ended."""
        c = s.web_sessions.c
        q = delete(s.web_sessions).where(c.office_id == self.office, c.person_id == person_id)
        if keep is not None:
            q = q.where(c.session_hash != keep)
        return self.conn.execute(q).rowcount

    def purge_sessions(self, now: dt.datetime) -> None:
        c = s.web_sessions.c
        self.conn.execute(delete(s.web_sessions).where(c.office_id == self.office, c.expires_at <= now))

    # -- login throttling ----------------------------------------------------------------------
    def add_login_failure(self, account: str, at: dt.datetime) -> None:
        self.conn.execute(insert(s.login_failures).values(office_id=self.office, account=account, at=at))

    def login_failures_since(self, account: str, since: dt.datetime) -> int:
        c = s.login_failures.c
        return self.conn.execute(select(func.count()).select_from(s.login_failures)
                                 .where(c.office_id == self.office, c.account == account,
                                        c.at > since)).scalar_one()

    def forget_login_failures_before(self, moment: dt.datetime) -> None:
        c = s.login_failures.c
        self.conn.execute(delete(s.login_failures).where(c.office_id == self.office, c.at < moment))

    def clear_login_failures(self, account: str) -> None:
        c = s.login_failures.c
        self.conn.execute(delete(s.login_failures).where(c.office_id == self.office, c.account == account))

    # -- settings ----------------------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        return self.conn.execute(select(s.web_settings.c.value).where(s.web_settings.c.key == key)).scalar()

    def put_setting_if_absent(self, key: str, value: str) -> None:
        """Insert unless the key is there — in one statement: two server processes
        starting on a new database both make the key, and the second must not fail."""
        if self.conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as insert_or
        else:
            from sqlalchemy.dialects.sqlite import insert as insert_or
        self.conn.execute(insert_or(s.web_settings).values(key=key, value=value)
                          .on_conflict_do_nothing(index_elements=["key"]))
