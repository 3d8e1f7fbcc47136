"""When the service seals on its own: the scheduler's wake-up (every tick) asks
``seal_if_due``. A seal is due when none was signed yet, when the cadence has passed
since the last one (``RUAM_SEAL_EVERY_HOURS``, default 24) and something was recorded
since, or when a quarter has ended since the last one (Bangkok time: 1 January,
1 April, 1 July, 1 October — the fiscal year's quarters), so each quarter's end has a
seal an auditor can start the next quarter from. Like the tick, it is idempotent:
what is due is computed from the checkpoints table, not from the scheduler's memory."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from engine.app import Ruam
from engine.audit.keys import Keys, default_key_dir, office_key_dir
from engine.audit.seals import Sealed, checkpoints, seal
from workflow.fiscal import to_bangkok

DEFAULT_EVERY = dt.timedelta(hours=24)


def quarter_start(moment: dt.datetime) -> dt.datetime:
    """The start (Bangkok midnight, as UTC) of the calendar quarter holding ``moment``."""
    local = to_bangkok(moment)
    first = local.replace(month=(local.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return first.astimezone(dt.UTC)


def seal_due(last_at: dt.datetime | None, now: dt.datetime, every: dt.timedelta, *, news: bool) -> str | None:
    """Why a seal is due now (``first`` | ``quarter`` | ``cadence``), or None."""
    if last_at is None:
        return "first"
    if quarter_start(now) > last_at:
        return "quarter"
    if news and now - last_at >= every:
        return "cadence"
    return None


def settings() -> tuple[Path | None, dt.timedelta]:
    """The service's seal settings, read once at its start (flag-less: the environment)."""
    given = os.environ.get("RUAM_KEY_DIR")
    hours = os.environ.get("RUAM_SEAL_EVERY_HOURS")
    every = dt.timedelta(hours=float(hours)) if hours else DEFAULT_EVERY
    return (Path(given) if given else None), every


def seal_if_due(app: Ruam, key_dir: Path | None = None, every: dt.timedelta = DEFAULT_EVERY) -> Sealed | None:
    from engine.audit.since import fold_snapshot

    now = app.clock()
    signed = checkpoints(app)
    last_at = signed[0]["signed_at"] if signed else None
    with app.store.reading() as tx:
        head = tx.head()[0]
    # the newest seal is record size+1 when nothing came between; anything more is news
    news = not signed or head > signed[0]["size"] + 1
    if seal_due(last_at, now, every, news=news) is None:
        return None
    keys = Keys(office_key_dir(key_dir or default_key_dir(app.store.url), app.store.office_code))
    return seal(app, keys, snapshot=fold_snapshot(app))
