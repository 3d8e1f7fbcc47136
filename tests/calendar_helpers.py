"""Helpers for the calendar tests: Bangkok wall-clock instants and ledger counts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

BKK = ZoneInfo("Asia/Bangkok")


def bkk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Bangkok wall-clock moment as a UTC instant."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=BKK).astimezone(dt.timezone.utc)


def calendar_records(app) -> list:
    return [r for r in app.log_records() if r.kind.startswith("calendar.")]


def per_item_counts(app) -> Counter:
    """(kind, item_id[, days_before]) → how many ledger records."""
    counts: Counter = Counter()
    for r in calendar_records(app):
        if "item_id" in r.data:
            key = (r.kind, r.data["item_id"]) + ((r.data["days_before"],) if "days_before" in r.data else ())
            counts[key] += 1
    return counts
