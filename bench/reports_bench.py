"""The measure's report: how long each part takes for one office's fiscal year, on SQLite and PostgreSQL.

    python bench/reports_bench.py                   # SQLite, and PostgreSQL if RUAM_TEST_DATABASE_URL is set
    python bench/reports_bench.py --runs 5

The year is the tests' constructed one (tests/report_scenario.py: 11 tasks, two started, reports and
checkpoints on time, late and missing). Each figure is the median of ``--runs`` runs, printed beside
a baseline measured in the same run: ``calendar_view`` of the same year (the calendar page's read,
the nearest thing the office already waits for).

- data:   ``engine.reports.data.measure_report`` (every figure, one read snapshot)
- charts: the four charts as SVG (vl-convert; the first call also starts its engine, timed apart)
- page:   the page's whole body (data + charts + tables, HTML), the charts drawn afresh and from the
          cache (the same figures are drawn once)
- xlsx, docx: the files (the DOCX draws the four charts as PNG)
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


def _timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def _pg_database(url: str):
    """A database of its own beside ``url``'s (created, then dropped): nobody else's data is touched."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url).set(drivername="postgresql+psycopg")
    name = f"ruam_bench_reports_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, base.set(database=name).render_as_string(hide_password=False)


def bench(url: str, label: str, runs: int) -> None:
    from engine.app import Ruam
    from engine.calendar_items import calendar_view
    from engine.logs import configure
    from engine.reports import files, html
    from engine.reports import charts
    from engine.reports.charts import chart_specs, chart_svg
    from engine.reports.data import measure_report
    from storage.store import Store
    from tests import report_scenario
    from tests.conftest import Clock

    configure("WARNING")
    clock = Clock(dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC))
    store = Store(url)
    app = Ruam(store, clock=clock)
    app.init(demo=True)
    app.open_cycle(2570)
    report_scenario.build(app, clock)
    report = measure_report(app, 2570)
    specs = chart_specs(report)
    t = time.perf_counter()
    chart_svg(specs["progress"], "x", "x")
    first = (time.perf_counter() - t) * 1000
    figures = {
        "baseline (calendar_view)": _timed(lambda: calendar_view(app, 2570), runs),
        "data": _timed(lambda: measure_report(app, 2570), runs),
        "charts (4 SVG, drawn)": _timed(lambda: (charts._svg.cache_clear(),
                                                 [chart_svg(s, "x", "x") for s in specs.values()]), runs),
        "page body (charts drawn)": _timed(lambda: (charts._svg.cache_clear(),
                                                    html.body(measure_report(app, 2570))), runs),
        "page body (charts cached)": _timed(lambda: html.body(measure_report(app, 2570)), runs),
        "xlsx": _timed(lambda: files.xlsx_bytes(report), runs),
        "docx (4 PNG)": _timed(lambda: files.docx_bytes(report), runs),
    }
    base = figures["baseline (calendar_view)"]
    print(f"\n{label}: {app.ledger_head()[0]} ledger records; the chart engine's first call {first:.0f} ms")
    for name, ms in figures.items():
        print(f"  {name:26} {ms:8.1f} ms   {ms / base:6.1f}× baseline")
    store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{os.path.join(tmp, 'bench.db')}", "SQLite", args.runs)
    pg = os.environ.get("RUAM_TEST_DATABASE_URL")
    if pg:
        from sqlalchemy import text

        admin, name, url = _pg_database(pg)
        try:
            bench(url, "PostgreSQL", args.runs)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
