"""The figures of the measure's yearly and semiannual report, from folded facts: pure, no clock, no I/O.

``engine.reports.data`` reads the ledger and the calendar and hands this module
plain values; everything the report counts is computed here, so a test can
check a figure from a few constructed records.

- **Periods**: the fiscal year (1 Oct – 30 Sep), its first half (1 Oct – 31 Mar)
  and its second half (1 Apr – 30 Sep); the report is told "as of" the end of the
  period, or now if the period has not ended.
- **Progress**: the procedure's main path (the initial state to its final
  non-cancelled state by forward steps); a process's steps done are the position
  of its state on that path as of the moment (a cancelled process keeps the
  position it was cancelled from, and its steps are not counted as done).
- **Time in each step**: days between a process entering a state and leaving it,
  from the records' times, for the stays that ended inside the period; a stay
  still running is counted apart (``ongoing``), never as a duration.
- **Rounds** (semiannual reports, checkpoints): on time / late / missing (past due,
  not done) / pending (not yet due at the moment) / not applicable (the calendar
  started after the due day).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from workflow.definitions import Procedure
from workflow.fiscal import BANGKOK, fiscal_year_bounds

__all__ = ["Period", "ProcessFacts", "Stay", "duration_stats", "main_path", "period_of", "percentile",
           "round_outcome", "stays", "state_at", "steps_done", "ROUND_OUTCOMES"]

ROUND_OUTCOMES = ("on_time", "late", "missing", "pending", "not_applicable")


@dataclass(frozen=True)
class Period:
    """A fiscal year or one of its halves: first and last day (Bangkok), and the instants bounding them."""

    fiscal_year: int
    half: int | None
    first: dt.date
    last: dt.date

    @property
    def starts(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(0), BANGKOK).astimezone(dt.UTC)

    @property
    def ends(self) -> dt.datetime:
        """The first instant after the period (00:00 Bangkok of the next day)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), BANGKOK).astimezone(dt.UTC)

    def holds_day(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def holds(self, moment: dt.datetime) -> bool:
        return self.starts <= moment < self.ends

    def as_of(self, now: dt.datetime) -> dt.datetime:
        """The moment the report is told at: the period's end, or now while it runs."""
        return min(now, self.ends)


def period_of(fiscal_year: int, half: int | None = None) -> Period:
    """FY 2570 = 1 Oct 2026 – 30 Sep 2027; half 1 = 1 Oct – 31 Mar, half 2 = 1 Apr – 30 Sep."""
    first, last = fiscal_year_bounds(fiscal_year)
    if half is None:
        return Period(fiscal_year, None, first, last)
    if half == 1:
        return Period(fiscal_year, 1, first, dt.date(last.year, 3, 31))
    if half == 2:
        return Period(fiscal_year, 2, dt.date(last.year, 4, 1), last)
    raise ValueError(f"half must be 1 or 2, not {half}")


# ---------------------------------------------------------------------------- the procedure's path

def main_path(procedure: Procedure) -> tuple[str, ...]:
    """The states from the initial one to the final non-cancelled one by forward steps (no step back,
    no cancel, no return to a state already on the path): what "all steps done" means."""
    path = [procedure.initial]
    while True:
        here = path[-1]
        onward = [t for t in procedure.transitions if t.kind == "advance" and here in t.sources
                  and t.dest not in path]
        if not onward:
            return tuple(path)
        path.append(onward[0].dest)  # the definition's order decides between forward steps


@dataclass(frozen=True)
class Move:
    at: dt.datetime
    source: str | None
    dest: str
    kind: str = "advance"   # opened | advance | send_back | cancel


@dataclass
class ProcessFacts:
    """One process's moves in time order (the opening first), folded from its records."""

    process: str
    task: str
    moves: list[Move] = field(default_factory=list)


def state_at(facts: ProcessFacts, moment: dt.datetime) -> str | None:
    """The state after the last move before ``moment`` (None: not opened yet)."""
    state = None
    for m in facts.moves:
        if m.at >= moment:
            break
        state = m.dest
    return state


def steps_done(facts: ProcessFacts, path: Sequence[str], moment: dt.datetime) -> tuple[int, bool]:
    """(steps of the main path done as of ``moment``, cancelled?). A state off the path counts 0."""
    state, before = None, None
    for m in facts.moves:
        if m.at >= moment:
            break
        before, state = state, m.dest
        if m.kind == "cancel":
            return (path.index(before) if before in path else 0), True
    return (path.index(state) if state in path else 0), False


@dataclass(frozen=True)
class Stay:
    state: str
    entered: dt.datetime
    left: dt.datetime | None  # None: still there at the moment

    @property
    def days(self) -> float | None:
        return None if self.left is None else (self.left - self.entered).total_seconds() / 86400


def stays(facts: ProcessFacts, moment: dt.datetime, finals: Iterable[str] = ()) -> list[Stay]:
    """Each stay in a non-final state up to ``moment``: when it was entered and when left."""
    finals = set(finals)
    out: list[Stay] = []
    current: tuple[str, dt.datetime] | None = None
    for m in facts.moves:
        if m.at >= moment:
            break
        if current is not None:
            out.append(Stay(current[0], current[1], m.at))
        current = (m.dest, m.at) if m.dest not in finals else None
    if current is not None:
        out.append(Stay(current[0], current[1], None))
    return out


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def duration_stats(days: Sequence[float]) -> dict:
    """n, median, 25th, 75th and 90th percentile and the longest, in days (one decimal)."""
    def r(x):
        return None if x is None else round(x, 1)

    return {"n": len(days), "median": r(percentile(days, 50)), "p25": r(percentile(days, 25)),
            "p75": r(percentile(days, 75)), "p90": r(percentile(days, 90)), "max": r(max(days) if days else None)}


# ---------------------------------------------------------------------------- calendar rounds

def round_outcome(status: str, completed_at: dt.datetime | None, due_at: dt.datetime, moment: dt.datetime,
                  late: bool = False) -> str:
    """A stored round as of ``moment``: on_time, late, missing, pending or not_applicable.

    ``status`` is the stored one (open, done, not_applicable); a round done after ``moment``
    is judged as it stood then (missing if past due, else pending)."""
    if status == "not_applicable":
        return "not_applicable"
    if status == "done" and completed_at is not None and completed_at < moment:
        return "late" if late or completed_at >= due_at else "on_time"
    return "missing" if moment >= due_at else "pending"
