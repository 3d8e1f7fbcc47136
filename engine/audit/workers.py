"""A partitioned audit: the ledger's processes split across worker processes.

A step's legality, guards and authority depend on its own process's history and
on who held which role then — never on another process (document numbers
aside, settled after). So the processes are split into ranges of ids, and each
range is folded by one worker in its own OS process, with every people, role
and definition record folded beside it (silently: the coordinator judges
those). The coordinator (``engine.audit.live``) keeps the rest: the links of the
whole chain (it scans every row, reading bodies only of its own range, of
records without a process and of the kinds a fold extension owns, e.g.
``calendar.*`` whatever process they name), the seal, the calendar, people,
roles and definitions, and its own range.

Consistency: workers read only up to the last sequence number of the
coordinator's snapshot, and the ledger below it never changes (triggers refuse
UPDATE and DELETE). A worker whose own snapshot is newer compares the process
table only for processes with no record after that number; the others were
changed by later, hashed records and are counted as such.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from workflow.chain import Findings, checked_row
from workflow.errors import Finding
from workflow.replay import Fold

MAX_WORKERS = 8

Part = tuple[str | None, str | None]  # a half-open range of process ids; None = unbounded


def worker_count(requested: int | None, url: str) -> int:
    """How many processes fold the ledger (the coordinator counts as one).

    One unless asked: each worker is another interpreter with its own copy of
    the definitions and of its processes' state (at a million records two
    processes peak near 300 MB together against ~155 MB for one), so more
    speed for more memory is the operator's call (``--workers``).
    """
    if url.startswith("sqlite") and (url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url):
        return 1  # nobody else can open an in-memory database
    return max(1, min(requested or 1, MAX_WORKERS))


def ranges(bounds: list[str]) -> list[Part]:
    edges: list[str | None] = [None, *bounds, None]
    return [(edges[k], edges[k + 1]) for k in range(len(edges) - 1)]


@dataclass
class PartResult:
    part: Part
    records: int = 0
    processes: int = 0
    findings: list[Finding] = field(default_factory=list)
    total: int = 0
    by_kind: Counter = field(default_factory=Counter)
    unchecked: Counter = field(default_factory=Counter)
    documents: dict[str, str] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    changed_since: int = 0  # processes left out of the projection check: changed after the snapshot
    folded: int = 0  # of those, the ones stamped up to an as-of replay's moment
    states: list[Any] | None = None  # ProcessState, without the evidence history (replay only)
    error: str | None = None


def fold_part(url: str, upto: int, part: Part, until: dt.datetime | None, want_states: bool,
              theirs: tuple[str, ...] = (), counter: Any = None, office: str | None = None) -> PartResult:
    """One worker: fold the range's processes (with people/roles/definitions) and check its projection."""
    from engine.audit.checks import compare_processes, intact_definitions, snapshot
    from storage.store import Store

    result = PartResult(part)
    root = Store(url)
    store = root.for_office(office)  # the office whose chain is audited (None: the default office)
    try:
        findings = Findings()
        quiet = Findings(limit=0)
        with store.reading() as tx:
            snapshot(store, tx)
            fold = Fold(intact_definitions(tx), findings, until=until)
            fold.claims = {}
            owned = folded = 0
            apply = fold.apply
            for row in tx.stream_ledger(upto, part, owner=False, coordinator_kinds=theirs):
                mine = row[4] is not None
                sink = findings if mine else quiet  # the coordinator judges records without a process
                rec = checked_row(row, sink, store.record_office)
                if rec is None:
                    continue
                fold.findings = sink
                before = fold.folded
                apply(rec)
                if mine:
                    owned += 1
                    folded += fold.folded - before
                    if counter is not None and owned % 8192 == 0:
                        with counter.get_lock():
                            counter.value += 8192
            fold.findings = findings
            if counter is not None:
                with counter.get_lock():
                    counter.value += owned % 8192
            if until is None:
                changed = tx.processes_touched_after(upto) if tx.last_seq() > upto else set()
                result.changed_since = compare_processes(lambda: tx.stream_processes(part=part), fold, findings,
                                                         changed)
        result.records, result.folded = owned, folded
        result.processes = len(fold.processes)
        result.findings = list(findings)
        result.total, result.by_kind = findings.total, findings.by_kind
        result.unchecked = Counter({k: n for k, n in fold.unchecked.items()})
        result.documents = {k: fold.documents[k] for k in fold.claims}
        result.claims = fold.claims
        if want_states:
            result.states = [replace(p, history={}) for p in fold.processes.values()]
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        store.dispose()
    return result


class Workers:
    """Worker processes started before the coordinator's own scan, joined after it."""

    def __init__(self, url: str, upto: int, parts: list[Part], until: dt.datetime | None,
                 want_states: bool, theirs: tuple[str, ...] = (), office: str | None = None) -> None:
        ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
        self.counter = ctx.Value("q", 0)
        self.pool = ProcessPoolExecutor(max_workers=len(parts), mp_context=ctx,
                                        initializer=_init_counter, initargs=(self.counter,))
        self.futures: list[Future] = [self.pool.submit(_fold_part_in_worker, url, upto, part, until, want_states,
                                                       theirs, office) for part in parts]

    def done_records(self) -> int:
        return int(self.counter.value)

    def results(self, progress: Callable[[], None] | None = None) -> list[PartResult]:
        try:
            out = []
            for future in self.futures:
                while True:
                    try:
                        out.append(future.result(timeout=0.25))
                        break
                    except TimeoutError:
                        if progress is not None:
                            progress()
            return out
        finally:
            self.pool.shutdown(cancel_futures=True)

    def cancel(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


_COUNTER: Any = None


def _init_counter(counter: Any) -> None:
    global _COUNTER
    _COUNTER = counter


def _fold_part_in_worker(url: str, upto: int, part: Part, until: dt.datetime | None,
                         want_states: bool, theirs: tuple[str, ...], office: str | None = None) -> PartResult:
    return fold_part(url, upto, part, until, want_states, theirs, _COUNTER, office)
