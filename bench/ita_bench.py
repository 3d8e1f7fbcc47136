"""ITA benchmark: what the public site and the completeness check cost for a whole year.

    python bench/ita_bench.py                 # SQLite
    python bench/ita_bench.py --db postgresql://postgres@127.0.0.1:5432/bench_ita

Builds a fiscal year whose 11 tasks all ran the whole procedure (with a signed scan
each, marked public), then times, each N times:

- baseline: what the existing public page reads for the year — ``app.processes(fy)``
  and ``app.process(pid)`` for every task (one history read per task);
- elements: ``engine.ita.elements.task_elements`` (the same reads, the calendar, marks);
- check:    ``engine.ita.check.check`` (elements + the catalogue + every rule);
- page:     ``GET /public/{fy}/{task}`` through the web app (TestClient, in process).

It prints milliseconds per call and the ratio to the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RUAM_LOG_LEVEL", "ERROR")


def build(url: str):
    from engine.app import Ruam
    from engine.ita.publish import mark_public
    from engine.logs import configure
    from storage.store import Store
    from tests import steps

    configure("ERROR")
    store = Store(url)
    moment = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)
    app = Ruam(store, clock=lambda: moment)
    app.init(demo=True)
    app.open_cycle(2570)
    org = app.active().organization
    for n, group in enumerate(org.mission_groups):
        director = "director_" + group.units[0].removeprefix("group_")
        for i, task in enumerate(group.tasks):
            officer = "officer_" + task.id.removeprefix("task_")
            scan = app.store_attachment(f"%PDF-1.4 order {task.id}".encode(), "คำสั่ง.pdf")
            path = [("complete_analysis", officer, steps.analysis()),
                    ("issue_appointment", director, steps.appointment(number=f"{n * 10 + i + 1}/2569")
                     | {"attachments": [{"file": scan}]}),
                    ("send_notifications", officer, steps.notifications()),
                    ("record_meeting", officer, steps.meeting()),
                    ("send_report", officer, steps.report()),
                    ("close", director, steps.closing())]
            steps.run(app, path, process=f"2570/{task.id}")
            mark_public(app, f"2570/{task.id}", scan["sha256"], director)
    return app, store


def timed(fn, n: int) -> float:
    fn()  # warm caches once
    runs = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("-n", type=int, default=20)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{tmp.name}/ita.db"
    app, store = build(url)
    from fastapi.testclient import TestClient

    from engine.ita.check import check
    from engine.ita.elements import task_elements
    from engine.web.app import create_web

    def baseline():
        for row in app.processes(2570):
            app.process(row["id"])

    client = TestClient(create_web(app))
    results = {
        "baseline": timed(baseline, args.n),
        "elements": timed(lambda: task_elements(app, 2570), args.n),
        "check": timed(lambda: check(app, 2570), args.n),
        "page": timed(lambda: client.get("/public/2570/task_teacher_welfare"), args.n),
    }
    print(f"backend {store.engine.dialect.name}, 11 tasks complete, median of {args.n}")
    for name, ms in results.items():
        print(f"  {name:9} {ms:8.1f} ms   ×{ms / results['baseline']:.2f} of baseline")
    store.dispose()


if __name__ == "__main__":
    main()
