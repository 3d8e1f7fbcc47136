"""Limits on what anyone may send without being known: per-address rate limits
and public form tokens that are good for one opinion.

Both live in the database (``storage/throttle.py``), so every server process of
``ruam serve --workers N`` and a restarted one count the same hits and know the
same spent tokens.

- **Rate limits**: a sliding window estimated from two fixed windows (the
  previous window's hits weighted by how much of it still overlaps the sliding
  one, plus the current window's); one read and one upsert per request, and a
  hit that would pass the limit is refused without being counted. The address
  is stored only as a keyed hash (HMAC-SHA256 with the service's signing key),
  never as such, and the rows of a bucket are pruned after two windows.
- **Form tokens**: a token's id is recorded in the same transaction as the
  opinion sent with it, under a unique key: a second opinion with the same
  token is refused (``FormTokenUsed``) and nothing of it is written. Rows are
  pruned once their token has expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math

from engine.app import Ruam
from storage.store import Tx
from storage.throttle import ThrottleRows
from workflow.errors import Refused

PRUNE_EVERY_SECONDS = 60  # a process prunes old rows at most this often (a third statement, that request only)


class FormTokenUsed(Refused):
    """A public form's token came back a second time (a resubmit, a replay)."""

    code = "form_token_used"
    http_status = 409

    def __init__(self) -> None:
        super().__init__("this form was already sent; to send another opinion, use a new form "
                         "(reload the page, or ask the API for a new token)",
                         "แบบฟอร์มนี้ส่งไปแล้ว หากต้องการส่งความคิดเห็นอีก โปรดใช้แบบฟอร์มใหม่ (โหลดหน้าใหม่)")


def spend_form_token(tx: Tx, token_id: str, expires_at: dt.datetime) -> None:
    """Inside the command's transaction: the token is now used, or FormTokenUsed."""
    if not ThrottleRows(tx).use_once(token_id, expires_at):
        raise FormTokenUsed()


def wait_seconds(previous: int, current: int, elapsed: float, window: int, limit: int) -> int:
    """Seconds until one more hit fits under ``limit``, for the two-window estimate
    ``previous × (1 − elapsed/window) + current`` (``elapsed`` into the current window)."""
    if current + 1 <= limit:  # the previous window's weight has to fall far enough
        fraction = 1 - (limit - current - 1) / previous if previous else 0.0
        wait = (fraction * window) - elapsed
    else:  # the next window, where this window's hits weigh what is left of them
        fraction = 1 - (limit - 1) / current if current else 0.0
        wait = (window - elapsed) + fraction * window
    return max(1, math.ceil(wait))


class RateLimits:
    """Per-address limits of one database; ``hit`` counts or refuses one request."""

    def __init__(self, app: Ruam, key: bytes) -> None:
        self.app, self.key = app, key
        self._pruned: dict[str, float] = {}  # bucket -> when this process last pruned it (epoch seconds)

    def subject(self, address: str) -> str:
        return hmac.new(self.key, address.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]

    def hit(self, bucket: str, address: str, limit: int, window: int) -> int | None:
        """Count one request from ``address``; None if it is within ``limit`` per ``window``
        seconds, else the seconds to wait (nothing counted)."""
        now = self.app.now().timestamp()
        start = int(now // window) * window
        elapsed = now - start
        subject = self.subject(address)
        with self.app.store.transaction() as tx:
            rows = ThrottleRows(tx)
            found = rows.window_hits(bucket, subject, (start - window, start))
            previous, current = found.get(start - window, 0), found.get(start, 0)
            below = math.floor(limit - previous * (1 - elapsed / window) + 1e-9)
            counted = rows.add_hit(bucket, subject, start, below=below)
            if now - self._pruned.get(bucket, 0.0) >= PRUNE_EVERY_SECONDS:
                self._pruned[bucket] = now
                rows.forget_hits_before(bucket, start - window)
                rows.forget_used_before(self.app.now())
        if counted is None:
            # full: this window holds at least ``below`` hits (more if another process counted one meanwhile)
            return wait_seconds(previous, max(current, below), elapsed, window, limit)
        return None
