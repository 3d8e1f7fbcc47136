"""The service seals on its own: first, then daily when something was recorded, and at
each quarter's end (Bangkok) whatever the cadence; each wake-up of the scheduler asks."""

from __future__ import annotations

import datetime as dt

from engine.audit.seal_schedule import quarter_start, seal_due, seal_if_due
from engine.service.scheduler import Runner
from tests import steps

BKK = dt.timezone(dt.timedelta(hours=7))
DAY = dt.timedelta(days=1)


def test_quarter_starts_are_bangkok_midnights():
    assert quarter_start(dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC)) == dt.datetime(2026, 10, 1, tzinfo=BKK)
    assert quarter_start(dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)) == dt.datetime(2027, 1, 1, tzinfo=BKK)


def test_when_a_seal_is_due():
    now = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)
    assert seal_due(None, now, DAY, news=False) == "first"
    assert seal_due(now - dt.timedelta(hours=2), now, DAY, news=True) is None
    assert seal_due(now - dt.timedelta(hours=25), now, DAY, news=True) == "cadence"
    assert seal_due(now - dt.timedelta(hours=25), now, DAY, news=False) is None  # nothing new: no seal
    new_year = dt.datetime(2026, 12, 31, 17, 0, 5, tzinfo=dt.UTC)  # 00:00:05 on 1 January, Bangkok
    assert seal_due(new_year - dt.timedelta(minutes=10), new_year, dt.timedelta(days=7), news=False) == "quarter"


def test_the_scheduler_wake_up_seals_when_due(opened, clock):
    runner = Runner(opened)
    runner.run()
    first = opened.log_records()[-1]
    assert first.kind == "audit.sealed"
    runner.run()  # nothing due an instant later
    assert opened.log_records()[-1].seq == first.seq
    steps.run(opened, steps.HAPPY_PATH[:1])
    clock.advance(hours=25)
    assert seal_if_due(opened) is not None
    assert opened.log_records()[-1].kind == "audit.sealed"
