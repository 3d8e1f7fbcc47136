"""What the service says about itself, read back from the database (``ruam status``).

The scheduler (``engine.service.scheduler``) writes its status row and heartbeat;
this reads them with the leader lock's holder and the outbox counts. A query of
the application, not part of the service: ``ruam status`` works while the
service is down.
"""

from __future__ import annotations

import datetime as dt
import json

from engine.app import Ruam
from storage.leader import pg_leader


def status(app: Ruam, poll_seconds: float = 10.0) -> dict:
    """Scheduler running?, leader, last tick, next wake-up, last error, outbox counts; and per office
    (``offices``) its calendar's last tick and its last wake-up's failure (``engine.offices.wakeups``)."""
    from engine.offices import wakeups

    now = app.now()
    with app.store.reading() as tx:
        row = tx.service_status() or {}
        cal = tx.calendar_state() or {}
        counts = tx.outbox_counts()
        holder = pg_leader(tx.conn) if app.store.dialect == "postgresql" else None
    heartbeat = row.get("heartbeat_at")
    fresh = heartbeat is not None and now - heartbeat < dt.timedelta(seconds=max(3 * poll_seconds, 60))
    running = bool(row.get("running")) and fresh
    if app.store.dialect == "postgresql":
        running = running and holder is not None
    summary = json.loads(row["last_tick_summary"]) if row.get("last_tick_summary") else None
    return {"running": running, "leader": (holder or {}).get("identity") or row.get("leader"),
            "leader_last_seen": (holder or {}).get("last_seen"),
            "leader_since": row.get("leader_since"), "heartbeat_at": heartbeat,
            "next_wakeup": row.get("next_wakeup") if running else None,
            "last_tick_at": cal.get("last_tick_at"), "last_scheduled_tick_at": row.get("last_tick_at"),
            "last_tick_summary": summary, "last_error": row.get("last_error"),
            "last_error_at": row.get("last_error_at"), "calendar_started_at": cal.get("started_at"),
            "outbox": counts, "database": app.store.dialect, "offices": wakeups(app)}
