"""Calendar, outbox and service-status tables: the repository methods.

Mixed into ``Tx`` so a command's calendar writes share its transaction (and its
ledger append). Differences between SQLite and PostgreSQL stay in this file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Connection

from storage import schema as s

# Key of the transaction-level advisory lock that serializes ticks on PostgreSQL.
TICK_LOCK_KEY = 0x5275616D01  # "Ruam" 01


def _row(r) -> dict:
    d = dict(r._mapping)
    d.pop("office_id", None)
    for key in ("responsible", "escalated_to"):
        if key in d and isinstance(d[key], str):
            d[key] = json.loads(d[key])
    return d


class CalendarTx:
    """Every query names the Tx's office: one office's calendar, outbox and tick lock."""

    conn: Connection
    dialect: str
    office_id: int

    # -- serialization ---------------------------------------------------------------------
    def lock_calendar(self) -> None:
        """Serialize ticks with each other (the leader's, a stale leader's, a cron
        ``ruam tick``) and with closing an item: without it a completion holding
        the item's row lock and a tick holding the chain head would deadlock.
        PostgreSQL: a transaction-level advisory lock, released at commit or
        rollback. SQLite: ``BEGIN IMMEDIATE`` already holds the write lock."""
        if self.dialect == "postgresql":
            # one lock per office: ticks of different offices do not wait for each other
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                              {"k": TICK_LOCK_KEY + (self.office_id << 40)})

    # -- calendar state ---------------------------------------------------------------------
    def calendar_state(self) -> dict | None:
        row = self.conn.execute(select(s.calendar_state).where(s.calendar_state.c.id == self.office_id)).first()
        if row is None:
            return None
        d = dict(row._mapping)
        d["id"] = 1  # the office's one row (its key is the office's id)
        return d

    def start_calendar(self, started_at: dt.datetime, fy: int) -> None:
        self.conn.execute(insert(s.calendar_state).values(id=self.office_id, started_at=started_at, started_fy=fy,
                                                          last_tick_at=started_at))

    def set_last_tick(self, at: dt.datetime) -> None:
        self.conn.execute(update(s.calendar_state).where(s.calendar_state.c.id == self.office_id)
                          .values(last_tick_at=at))

    # -- calendar items ----------------------------------------------------------------------
    def insert_calendar_item(self, **values: Any) -> None:
        for key in ("responsible", "escalated_to"):
            if key in values and not isinstance(values[key], (str, type(None))):
                values[key] = json.dumps(values[key], ensure_ascii=False)
        self.conn.execute(insert(s.calendar_items).values(office_id=self.office_id, **values))

    def calendar_items(self, *, fiscal_years: Sequence[int] | None = None, status: str | None = None,
                       item: str | None = None) -> list[dict]:
        c = s.calendar_items.c
        q = (select(s.calendar_items).where(c.office_id == self.office_id)
             .order_by(c.fiscal_year, c.due_on, c.item, c.round, c.subject))
        if fiscal_years is not None:
            q = q.where(c.fiscal_year.in_(list(fiscal_years)))
        if status is not None:
            q = q.where(c.status == status)
        if item is not None:
            q = q.where(c.item == item)
        return [_row(r) for r in self.conn.execute(q)]

    def calendar_item(self, item_id: str, *, for_update: bool = False) -> dict | None:
        c = s.calendar_items.c
        q = select(s.calendar_items).where(c.office_id == self.office_id, c.id == item_id)
        if for_update and self.dialect == "postgresql":
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return _row(row) if row else None

    def update_calendar_item(self, item_id: str, expected_status: str, **values: Any) -> bool:
        """Conditional update: False if someone else changed the item's status first."""
        if "escalated_to" in values and not isinstance(values["escalated_to"], (str, type(None))):
            values["escalated_to"] = json.dumps(values["escalated_to"], ensure_ascii=False)
        c = s.calendar_items.c
        result = self.conn.execute(update(s.calendar_items).where(c.office_id == self.office_id, c.id == item_id,
                                                                  c.status == expected_status)
                                   .values(**values))
        return result.rowcount == 1

    def count_extra_rounds(self, fy: int, item: str) -> int:
        c = s.calendar_items.c
        return self.conn.execute(select(func.count()).select_from(s.calendar_items).where(
            c.office_id == self.office_id, c.fiscal_year == fy, c.item == item,
            c.round.like("extra%"))).scalar_one()

    def reminders(self, item_ids: Sequence[str] | None = None) -> dict[str, set[int]]:
        c = s.calendar_reminders.c
        q = select(c.item_id, c.days_before).where(c.office_id == self.office_id)
        if item_ids is not None:
            q = q.where(c.item_id.in_(list(item_ids)))
        out: dict[str, set[int]] = {}
        for item_id, days in self.conn.execute(q):
            out.setdefault(item_id, set()).add(days)
        return out

    def add_reminder(self, item_id: str, days_before: int, status: str, at: dt.datetime) -> None:
        self.conn.execute(insert(s.calendar_reminders).values(office_id=self.office_id, item_id=item_id,
                                                              days_before=days_before,
                                                              status=status, recorded_at=at))

    # -- outbox ---------------------------------------------------------------------------------
    def queue_message(self, *, dedupe_key: str, seq: int, at: dt.datetime, person: str, email: str | None,
                      subject: str, body: str) -> bool:
        c = s.outbox.c
        if self.conn.execute(select(c.id).where(c.office_id == self.office_id, c.dedupe_key == dedupe_key)).first():
            return False
        self.conn.execute(insert(s.outbox).values(
            office_id=self.office_id, dedupe_key=dedupe_key, seq=seq, created_at=at, person=person, email=email, subject=subject,
            body=body, status="pending" if email else "no_address", attempts=0, next_attempt_at=at))
        return True

    def outbox(self, *, status: str | None = None, limit: int | None = None) -> list[dict]:
        c = s.outbox.c
        q = select(s.outbox).where(c.office_id == self.office_id).order_by(c.id.desc())
        if status is not None:
            q = q.where(c.status == status)
        if limit:
            q = q.limit(limit)
        return [_row(r) for r in self.conn.execute(q)]

    def outbox_counts(self) -> dict[str, int]:
        c = s.outbox.c
        return {st: n for st, n in self.conn.execute(select(c.status, func.count())
                                                     .where(c.office_id == self.office_id).group_by(c.status))}

    def claim_messages(self, now: dt.datetime, limit: int) -> list[dict]:
        """Claim due messages for delivery. On PostgreSQL ``FOR UPDATE SKIP LOCKED``:
        two senders never claim one row; each claimed row is marked ``sending``
        and committed before anything is sent, so a message is never sent twice."""
        c = s.outbox.c
        q = (select(s.outbox).where(c.office_id == self.office_id, c.status == "pending", c.next_attempt_at <= now)
             .order_by(c.next_attempt_at, c.id).limit(limit))
        if self.dialect == "postgresql":
            q = q.with_for_update(skip_locked=True)
        rows = [_row(r) for r in self.conn.execute(q)]
        for row in rows:
            self.conn.execute(update(s.outbox).where(c.office_id == self.office_id, c.id == row["id"])
                              .values(status="sending", claimed_at=now))
        return rows

    def message_sent(self, message_id: int, at: dt.datetime) -> None:
        c = s.outbox.c
        self.conn.execute(update(s.outbox).where(c.office_id == self.office_id, c.id == message_id,
                                                 c.status == "sending")
                          .values(status="sent", sent_at=at, attempts=c.attempts + 1, last_error=None))

    def message_failed(self, message_id: int, error: str, retry_at: dt.datetime | None) -> None:
        c = s.outbox.c
        values: dict[str, Any] = {"attempts": c.attempts + 1, "last_error": error[:1000]}
        if retry_at is None:
            values["status"] = "failed"
        else:
            values.update(status="pending", next_attempt_at=retry_at)
        self.conn.execute(update(s.outbox).where(c.office_id == self.office_id, c.id == message_id,
                                                 c.status == "sending").values(**values))

    # -- service status ----------------------------------------------------------------------------
    def service_status(self) -> dict | None:
        row = self.conn.execute(select(s.service_status).where(s.service_status.c.name == "scheduler")).first()
        return dict(row._mapping) if row else None

    def put_service_status(self, **values: Any) -> None:
        """Update the one status row (the migration creates it, so concurrent
        writers — the job thread and the leader loop — never race to insert it)."""
        c = s.service_status.c
        self.conn.execute(update(s.service_status).where(c.name == "scheduler").values(**values))

    # -- this office's wake-ups: one more status row per office, named ``office:<id>`` -------------
    def put_office_status(self, **values: Any) -> None:
        """Update this office's status row (made here on its first write, in one statement that a
        concurrent first write cannot fail): its last wake-up through ``engine.offices.tick_every_office``
        (``last_tick_at``, ``last_tick_summary``) and that wake-up's failure (``last_error``, ``last_error_at``)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as insert_or
        else:
            from sqlalchemy.dialects.sqlite import insert as insert_or
        c, name = s.service_status.c, office_status_name(self.office_id)
        self.conn.execute(insert_or(s.service_status).values(name=name, running=False)
                          .on_conflict_do_nothing(index_elements=["name"]))
        self.conn.execute(update(s.service_status).where(c.name == name).values(**values))

    def office_status(self) -> dict | None:
        row = self.conn.execute(select(s.service_status)
                                .where(s.service_status.c.name == office_status_name(self.office_id))).first()
        return dict(row._mapping) if row else None


def office_status_name(office_id: int) -> str:
    """The name of an office's row in ``service_status`` (the service's own row is ``scheduler``)."""
    return f"office:{office_id}"
