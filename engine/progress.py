"""Progress of a long audit: a bar on a terminal, plain lines otherwise.

``Progress(label)`` is called with the number of records done; ``set_total``
gives the expected count when it is known. On a terminal it redraws one line
(at most five times a second); elsewhere (logs, CI, a pipe) it prints a plain
line at every tenth of the work (runs of 100,000 records or more), or every
100,000 records if the total is unknown.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    QUIET_BELOW = 100_000

    def __init__(self, label: str, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total: int | None = None
        self.start = time.monotonic()
        self._last_draw = 0.0
        self._next_line = 0
        self._drawn = False

    def set_total(self, total: int) -> None:
        self.total = total if total > 0 else None

    def _rate(self, done: int) -> float:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        return done / elapsed

    def __call__(self, done: int) -> None:
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.2 and (self.total is None or done < self.total):
                return
            self._last_draw = now
            if self.total:
                frac = min(done / self.total, 1.0)
                bar = "#" * int(frac * 30)
                text = f"\r{self.label} [{bar:<30}] {frac:6.1%} {done:,}/{self.total:,} {self._rate(done):,.0f}/s"
            else:
                text = f"\r{self.label} {done:,} {self._rate(done):,.0f}/s"
            self.stream.write(text)
            self.stream.flush()
            self._drawn = True
            return
        if self.total is not None and self.total < self.QUIET_BELOW:
            return  # a short run needs no progress lines in a log
        step = max(self.total // 10, 1) if self.total else 100_000
        if not self._next_line:
            self._next_line = step
        if done >= self._next_line:
            pct = f" ({done / self.total:.0%})" if self.total else ""
            self.stream.write(f"{self.label}: {done:,} records{pct}, {self._rate(done):,.0f}/s\n")
            self.stream.flush()
            self._next_line = (done // step + 1) * step

    def close(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
