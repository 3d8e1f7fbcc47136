"""The database clock's row (revision 0005): present only on a database marked as a
simulation (``ruam init --demo``); ``engine.clock`` decides what it means."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select, update

from storage import schema as s

__all__ = ["clock_row", "mark_simulated", "move_clock"]


def clock_row(tx: Any) -> dict | None:
    row = tx.conn.execute(select(s.database_clock).where(s.database_clock.c.id == 1)).first()
    return dict(row._mapping) if row else None


def mark_simulated(tx: Any, at: dt.datetime) -> bool:
    """Mark the database as a simulation (idempotent); True if it was not one before."""
    if clock_row(tx) is not None:
        return False
    tx.conn.execute(insert(s.database_clock).values(id=1, offset_us=0, marked_at=at))
    return True


def move_clock(tx: Any, offset_us: int, real: dt.datetime, simulated: dt.datetime) -> None:
    tx.conn.execute(update(s.database_clock).where(s.database_clock.c.id == 1)
                    .values(offset_us=offset_us, moved_at=real, moved_to=simulated))
