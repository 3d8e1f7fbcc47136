"""Every office's ledger verified on its own, offices in parallel (``ruam audit verify --all-offices``).

Each office's chain is independent (its own head, its own seq from 1), so its
verdict is its own: a tamper in one office is found and located in that office,
and leaves every other office's verdict as it was. Offices are handed to N worker
processes (spawned, as ``engine.audit.workers`` does); each opens the database
for one office at a time and runs the whole audit of ``engine.audit.live``.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from engine.app import Ruam


@dataclass(frozen=True)
class OfficeVerdict:
    code: str
    name_th: str
    name_en: str
    ok: bool
    report: dict[str, Any]   # ``AuditReport.as_dict()``


def verify_office(url: str, code: str) -> dict[str, Any]:
    """One office's audit, in this process: its report as a dict."""
    from engine.audit.live import verify
    from storage.store import Store

    store = Store(url)
    try:
        app = Ruam(store).for_office(code)
        report = verify(app)
        return {"ok": report.ok, "report": report.as_dict()}
    finally:
        store.dispose()


def verify_all(app: Ruam, workers: int = 1) -> list[OfficeVerdict]:
    """Every office of ``app``'s database, ``workers`` at a time; in the offices' order."""
    from engine.offices import list_offices

    offices = list_offices(app)
    url = app.store.url
    if workers <= 1 or len(offices) <= 1:
        results = [verify_office(url, o["code"]) for o in offices]
    else:
        ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
        with ProcessPoolExecutor(max_workers=min(workers, len(offices)), mp_context=ctx) as pool:
            results = list(pool.map(verify_office, [url] * len(offices), [o["code"] for o in offices]))
    return [OfficeVerdict(o["code"], o["name_th"], o["name_en"], r["ok"], r["report"])
            for o, r in zip(offices, results)]
