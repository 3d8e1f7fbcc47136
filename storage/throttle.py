"""Rows behind the limits on anonymous requests: per-address hit counts and the
public form tokens already used. Used inside a ``Tx`` (``ThrottleRows(tx)``).

Both are upserts keyed by a unique key, so two server processes (``--workers``)
counting or spending at once see one another: on PostgreSQL the second waits for
the first's row and then sees its count; SQLite has one writer at a time.
The statements are the same on both backends (``INSERT … ON CONFLICT``, both
with ``RETURNING``), built by each dialect's own ``insert``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from storage import schema as s
from storage.store import Tx


class ThrottleRows:
    def __init__(self, tx: Tx) -> None:
        self.conn = tx.conn
        self.insert = postgresql.insert if tx.dialect == "postgresql" else sqlite.insert

    # -- per-address limits ------------------------------------------------------------
    def window_hits(self, bucket: str, subject: str, starts: tuple[int, ...]) -> dict[int, int]:
        """Hits counted in the windows starting at ``starts`` (epoch seconds)."""
        c = s.rate_hits.c
        rows = self.conn.execute(select(c.window_start, c.hits)
                                 .where(c.bucket == bucket, c.subject == subject, c.window_start.in_(starts)))
        return {start: hits for start, hits in rows}

    def add_hit(self, bucket: str, subject: str, window_start: int, below: int) -> int | None:
        """Count one hit in the window if it holds fewer than ``below`` hits; its new count, or
        None when it was full (checked on the row as stored, so concurrent hits cannot pass it)."""
        if below < 1:
            return None
        c = s.rate_hits.c
        q = self.insert(s.rate_hits).values(bucket=bucket, subject=subject, window_start=window_start, hits=1)
        q = q.on_conflict_do_update(index_elements=[c.bucket, c.subject, c.window_start],
                                    set_={"hits": c.hits + 1}, where=c.hits < below)
        return self.conn.execute(q.returning(c.hits)).scalar()

    def forget_hits_before(self, bucket: str, window_start: int) -> None:
        c = s.rate_hits.c
        self.conn.execute(delete(s.rate_hits).where(c.bucket == bucket, c.window_start < window_start))

    # -- form tokens used once -------------------------------------------------------------
    def use_once(self, token_id: str, expires_at: dt.datetime) -> bool:
        """Mark a form token used; False if it already was (then nothing changes)."""
        c = s.form_tokens_used.c
        q = (self.insert(s.form_tokens_used).values(token_id=token_id, expires_at=expires_at)
             .on_conflict_do_nothing(index_elements=[c.token_id]).returning(c.token_id))
        return self.conn.execute(q).first() is not None

    def forget_used_before(self, moment: dt.datetime) -> None:
        self.conn.execute(delete(s.form_tokens_used).where(s.form_tokens_used.c.expires_at < moment))
