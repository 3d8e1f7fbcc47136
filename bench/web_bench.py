"""Benchmarks of the web face on PostgreSQL (not a timed test).

1. advance over HTTP: a real uvicorn server (one process), N concurrent clients
   each firing ``complete_analysis`` then ``cancel`` on its own processes with
   the expected version; requests/s and p50/p99 latency.
2. the dashboard: render time of ``/dashboard`` for an office-wide viewer when
   the database holds PROCESSES processes; p50/p99.

    python bench/web_bench.py --db postgresql://postgres@127.0.0.1:5432/postgres \
        --clients 20 --processes 30000

It creates (and drops) its own database next to the one named. Results go to
stdout and bench/out/web.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PASSWORD = "bench password 1234"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def make_db(base: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"ruam_bench_{uuid.uuid4().hex[:8]}"
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_db(db: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(db)
    eng = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    eng.dispose()


def make_web():
    """The app factory for uvicorn (``--workers`` needs an import string)."""
    from engine.service import open_app
    from engine.web import create_web

    return create_web(open_app(os.environ["RUAM_BENCH_DB"]))


WORKERS = 1


def serve(db: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, RUAM_LOG_LEVEL="WARNING", RUAM_BENCH_DB=db,
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "bench")]))
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "web_bench:make_web", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(WORKERS), "--no-access-log", "--log-level",
                             "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx

    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start: " + proc.stderr.read().decode()[-2000:])


def bench_advance(db: str, port: int, clients: int, years: int) -> dict:
    import httpx
    from steps import analysis

    from engine.accounts import Accounts
    from engine.app import Ruam
    from engine.logs import configure
    from storage import Store

    configure("WARNING")
    app = Ruam(Store(db))
    app.init(demo=True)
    first = 2571
    for fy in range(first, first + years):
        app.open_cycle(fy)
    accounts = Accounts(app)
    org = app.active().organization
    tokens = {t.id: accounts.new_token(f"officer_{t.id.removeprefix('task_')}") for t in org.tasks}
    director = accounts.new_token("esa_director")
    work = [f"{fy}/{t.id}" for fy in range(first, first + years) for t in org.tasks]
    app.store.dispose()
    server = serve(db, port)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    evidence = analysis()

    def client(chunk: list[str]) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for pid in chunk:
                task = pid.split("/")[1]
                for token, path, body in (
                        (tokens[task], "advance", {"trigger": "complete_analysis", "evidence": evidence,
                                                   "expected_version": 0}),
                        (director, "cancel", {"reason": "bench", "expected_version": 1})):
                    t0 = time.perf_counter()
                    r = http.post(f"/api/processes/{pid}/{path}", json=body,
                                  headers={"Authorization": f"Bearer {token}"})
                    elapsed = time.perf_counter() - t0
                    with lock:
                        latencies.append(elapsed)
                        if r.status_code != 200:
                            errors.append(f"{r.status_code} {r.text[:200]}")

    chunks = [work[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    server.terminate()
    server.wait(10)
    return {"requests": len(latencies), "errors": len(errors), "first_errors": errors[:3],
            "clients": clients, "seconds": round(wall, 2), "requests_per_s": round(len(latencies) / wall, 1),
            "p50_ms": round(pct(latencies, 50) * 1000, 1), "p99_ms": round(pct(latencies, 99) * 1000, 1)}


def organization_with(tasks: int) -> str:
    """The shipped organization, with enough extra tasks (schools) to reach ``tasks``."""
    import yaml

    from definitions import shipped_texts

    text = dict(shipped_texts())
    name = next(n for n in text if "organization" in n)
    data = yaml.safe_load(text[name])
    extra = tasks - sum(len(g["tasks"]) for g in data["mission_groups"])
    per_group = 200
    g = 0
    while extra > 0:
        n = min(per_group, extra)
        data["units"].append({"id": f"group_area_{g}", "title": {"th": f"เขตพื้นที่ {g}", "en": f"Area {g}"}})
        data["mission_groups"].append({
            "id": f"mission_area_{g}", "title": {"th": f"เขตพื้นที่ {g}", "en": f"Area {g}"},
            "units": [f"group_area_{g}"],
            "tasks": [{"id": f"task_area_{g}_school_{i}", "title": {"th": f"โรงเรียน {g}-{i}", "en": f"School {g}-{i}"}}
                      for i in range(n)]})
        extra -= n
        g += 1
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def bench_dashboard(db: str, port: int, processes: int, renders: int) -> dict:
    import httpx

    from engine.accounts import Accounts
    from engine.app import Ruam
    from engine.logs import configure
    from storage import Store

    configure("WARNING")
    app = Ruam(Store(db))
    app.store.migrate()
    t0 = time.perf_counter()
    from definitions import shipped_texts

    texts = [(n, t) for n, t in shipped_texts() if "organization" not in n]
    app.register_definitions(texts + [("organization.yaml", organization_with(processes))])
    app.add_person("auditor", "ผู้ตรวจสอบภายใน (ตัวอย่าง)", "ผู้ตรวจสอบ")
    app.assign_role("auditor", "auditor")
    app.open_cycle(2570)
    setup = time.perf_counter() - t0
    accounts = Accounts(app)
    accounts.set_password("auditor", PASSWORD)
    server = serve(db, port)
    times, changed = [], []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
        page = http.get("/login").text
        token = page.split('name="token" value="')[1].split('"')[0]
        http.post("/login", data={"person": "auditor", "password": PASSWORD, "token": token, "next": "/"})
        t = time.perf_counter()
        http.get("/dashboard?fiscal_year=2570")
        cold = time.perf_counter() - t
        for _ in range(renders):
            t = time.perf_counter()
            r = http.get("/dashboard?fiscal_year=2570")
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, r.status_code
        size = len(r.content)
        from engine.feedback import receive_feedback

        for i in range(renders):  # after every change of the ledger: the board is computed afresh
            receive_feedback(app, "2570/task_teacher_welfare", f"ความเห็นที่ {i}")
            t = time.perf_counter()
            r = http.get("/dashboard?fiscal_year=2570")
            changed.append(time.perf_counter() - t)
    server.terminate()
    server.wait(10)
    app.store.dispose()
    return {"processes": processes, "setup_s": round(setup, 1), "renders": renders, "bytes": size,
            "first_render_ms": round(cold * 1000, 1),
            "p50_ms": round(pct(times, 50) * 1000, 1), "p99_ms": round(pct(times, 99) * 1000, 1),
            "after_change_p50_ms": round(pct(changed, 50) * 1000, 1),
            "after_change_p99_ms": round(pct(changed, 99) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("RUAM_BENCH_DATABASE_URL",
                                                       "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--port", type=int, default=8581)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--years", type=int, default=40, help="fiscal years of 11 processes to advance")
    parser.add_argument("--processes", type=int, default=30_000)
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--only", choices=("advance", "dashboard"))
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    out: dict = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    global WORKERS
    WORKERS = args.workers
    out["workers"] = args.workers
    if args.only in (None, "advance"):
        db = make_db(args.db)
        try:
            out["advance"] = bench_advance(db, args.port, args.clients, args.years)
            print("advance:", json.dumps(out["advance"]), flush=True)
        finally:
            drop_db(db)
    if args.only in (None, "dashboard"):
        db = make_db(args.db)
        try:
            out["dashboard"] = bench_dashboard(db, args.port, args.processes, args.renders)
            print("dashboard:", json.dumps(out["dashboard"]), flush=True)
        finally:
            drop_db(db)
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "web.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
