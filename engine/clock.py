"""The database's clock: what ``now`` is for the records a command writes.

A record is stamped when it is written, and the audit judges it by that stamp
(a report is closed no earlier than its window opened, an item is flagged
overdue no earlier than its due day ended). So nothing may write records dated
ahead of the clock that later records are stamped with: a tick dated ahead
(``ruam tick --now`` in the future) would open next March's report today, the
officer would submit it today, and the ledger would hold a report closed before
its window — a finding no later command can remove.

* **A real office's database**: its clock is the real clock. ``tick`` refuses a
  moment ahead of it (exit 1, in Thai); a moment in the past is still allowed
  (the first tick may be dated back to the office's announcement).
* **A demonstration database** (``ruam init --demo`` marks it): its clock is
  simulated. A tick dated ahead moves the database's clock forward to that
  moment, and from then on it runs on from there with the real clock: every
  command (steps, reports, checkpoints, ticks, the pages) is stamped with the
  simulated time, so a report submitted after ``ruam tick --now 2570-03-17`` is
  dated after that tick, inside its window, and the ledger verifies. It never
  moves back.

The offset lives in the ``database_clock`` row (only on a demonstration
database). A command reads it when it starts (``load``); a tick and a report or
checkpoint read it again inside their own transaction, after the calendar
lock, so they are exact even in a long-running server that another process's
tick moved on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage.clock import clock_row, mark_simulated, move_clock
from workflow.errors import Refused
from workflow.fiscal import format_datetime_be

__all__ = ["TickAhead", "database_now", "load", "mark_demo", "simulated", "tick_moment"]


class TickAhead(Refused):
    """A tick dated ahead of a real database's clock."""

    code = "tick_ahead"

    def __init__(self, at: dt.datetime, now: dt.datetime) -> None:
        self.at, self.now = at, now
        super().__init__(
            f"cannot tick at {format_datetime_be(at)}: that is ahead of this database's clock "
            f"({format_datetime_be(now)}). Records dated ahead would let a report or checkpoint be closed "
            "before its window by the real clock, and the ledger would never verify again. Tick at a moment "
            "that has passed, or use a demonstration database (ruam init --demo), whose clock a tick moves forward",
            f"ตรวจปฏิทินล่วงหน้าไม่ได้: เวลา {format_datetime_be(at)} อยู่หลังเวลาปัจจุบันของฐานข้อมูลนี้ "
            f"({format_datetime_be(now)}) บันทึกที่ลงเวลาล่วงหน้าจะทำให้รายงานหรือการกำกับติดตามถูกปิด"
            "ก่อนเปิดรอบตามเวลาจริง และบันทึกจะตรวจสอบไม่ผ่านอีกเลย โปรดระบุเวลาที่ผ่านมาแล้ว "
            "หรือใช้ฐานข้อมูลสาธิต (ruam init --demo) ซึ่งการตรวจปฏิทินล่วงหน้าจะเลื่อนนาฬิกาจำลองไปข้างหน้า")


def _offset(row: dict | None) -> dt.timedelta:
    return dt.timedelta(microseconds=int(row["offset_us"])) if row else dt.timedelta(0)


def sync(app: Any, tx: Any) -> dict | None:
    """Read the database clock inside ``tx`` into the application; the row, if a simulation."""
    row = clock_row(tx)
    app.clock_offset = _offset(row)
    return row


def load(app: Any) -> None:
    """At a command's start: the database clock, for every record the command writes."""
    with app.store.reading() as tx:
        sync(app, tx)


def database_now(app: Any, tx: Any) -> dt.datetime:
    """The database's clock, read inside ``tx`` (exact even if another process moved it)."""
    sync(app, tx)
    return app.now()


def simulated(app: Any) -> dict | None:
    """The clock of a demonstration database (``offset`` as a timedelta), or None for a real one."""
    with app.store.reading() as tx:
        row = clock_row(tx)
    return None if row is None else row | {"offset": _offset(row)}


def mark_demo(app: Any) -> bool:
    """Mark the database as a demonstration (its clock becomes a simulated one); idempotent."""
    with app.store.transaction() as tx:
        return mark_simulated(tx, app.clock().astimezone(dt.timezone.utc))


def tick_moment(app: Any, tx: Any, asked: dt.datetime | None) -> dt.datetime:
    """The moment a tick runs at, inside its transaction (after the calendar lock).

    No moment asked: the database's clock. A moment not ahead of it: that moment.
    Ahead of it: on a demonstration database the clock moves forward to it (in
    this transaction); on a real one ``TickAhead``.
    """
    row = sync(app, tx)
    now = app.now()
    if asked is None:
        return now
    at = asked.astimezone(dt.timezone.utc)
    if at <= now:
        return at
    if row is None:
        raise TickAhead(at, now)
    real = app.clock().astimezone(dt.timezone.utc)
    offset = at - real
    move_clock(tx, offset // dt.timedelta(microseconds=1), real, at)
    app.clock_offset = offset
    return at
