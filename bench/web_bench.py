"""Benchmarks of the web face on PostgreSQL (not a timed test).

1. advance over HTTP: ``ruam serve`` (``--workers``, default one process) with its
   defaults (``RUAM_WEB_THREADS``…), N concurrent clients each firing
   ``complete_analysis`` then ``cancel`` on its own processes with the expected
   version; requests/s and p50/p99 latency over every request. The clients run in
   their own process: asyncio, one HTTP/1.1 keep-alive connection each, a closed
   loop with no think time (like ``wrk -c N``); latency is from writing the
   request to reading the whole response. Also the server's, the clients' and
   PostgreSQL's CPU per request (Linux). The baseline, in the same run and on
   the same server: the same clients and number of requests on ``GET /healthz``
   (no database, no thread pool), this machine's HTTP floor at that moment.
   ``--rounds`` (3) rounds on fresh databases; the median is reported (this
   machine is shared: the same code measured 170-560 requests/s in one hour).
   The server logs at INFO with access lines, as ``ruam serve`` does
   (``--log-level WARNING`` leaves them out).
2. the dashboard: render time of ``/dashboard`` for an office-wide viewer when
   the database holds PROCESSES processes; p50/p99, steady and right after a
   ledger change.

    python bench/web_bench.py --db postgresql://postgres@127.0.0.1:5432/postgres \
        --clients 20 --processes 30000

It creates (and drops) its own database next to the one named; ``--keep-db`` /
``--reuse-db URL`` keep the dashboard's 30,000-process database for another run.
Results go to stdout and bench/out/web.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
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


WORKERS = 1
LOG_LEVEL = "INFO"


def serve(db: str, port: int) -> subprocess.Popen:
    """``ruam serve`` itself (``--workers`` when asked), as an operator runs it."""
    env = dict(os.environ, RUAM_LOG_LEVEL=LOG_LEVEL, PYTHONPATH=str(ROOT))
    workers = ["--workers", str(WORKERS)] if WORKERS > 1 else []
    # the server's log goes to a file: a pipe nobody reads would stop the server once full
    log = tempfile.TemporaryFile()  # noqa: SIM115 - written to for as long as the server runs
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--db", db, "--host", "127.0.0.1",
                             "--port", str(port), *workers], env=env, stdout=subprocess.DEVNULL, stderr=log)
    import httpx

    deadline = time.monotonic() + 300  # a 30,000-task organization is parsed at start
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    log.seek(0)
    raise SystemExit("the server did not start: " + log.read().decode()[-2000:])


def _cpu_of(wanted) -> float:
    """CPU time (user + system), now, of the processes ``wanted(pid, parent, name)``
    picks (Linux /proc; 0 elsewhere). Processes that exited are not counted."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        entries = [e for e in Path("/proc").iterdir() if e.name.isdigit()]
    except OSError:
        return 0.0
    for entry in entries:
        try:
            name, rest = (entry / "stat").read_text().split("(", 1)[1].rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = rest.split()  # fields[1]: the parent's pid; 11, 12: user and system ticks
        if wanted(int(entry.name), int(fields[1]), name):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def cpu_seconds(pid: int) -> float:
    """A process and its children: the server's cost per request, which the shared
    machine's noise does not inflate as much as latency."""
    return _cpu_of(lambda p, parent, _name: pid in (p, parent))


def postgres_cpu_seconds() -> float:
    """Every PostgreSQL server process on this machine: the database's share of a request."""
    return _cpu_of(lambda _p, _parent, name: name.startswith("postgres"))


def bench_advance(db: str, port: int, clients: int, years: int) -> dict:
    from steps import analysis

    from engine.accounts import Accounts
    from engine.app import Ruam
    from engine.logs import configure
    from storage.store import Store

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
    evidence = analysis()
    # one closed loop per client: its processes, each advanced then cancelled
    jobs = [[(f"/api/processes/{pid}/advance", tokens[pid.split("/")[1]],
              {"trigger": "complete_analysis", "evidence": evidence, "expected_version": 0}),
             (f"/api/processes/{pid}/cancel", director, {"reason": "bench", "expected_version": 1})]
            for pid in work]
    chunks = [[req for job in jobs[i::clients] for req in job] for i in range(clients)]
    # the baseline, in the same run on the same server: the same clients and number of
    # requests on GET /healthz (no database, no thread pool): this machine's HTTP floor now
    floor_chunks = [[("/healthz", "", None)] * len(chunk) for chunk in chunks]
    try:
        floor = run_clients(port, floor_chunks)
        cpu, db_cpu = cpu_seconds(server.pid), postgres_cpu_seconds()
        result = run_clients(port, chunks)
        cpu, db_cpu = cpu_seconds(server.pid) - cpu, postgres_cpu_seconds() - db_cpu
    finally:
        server.terminate()
        server.wait(10)
    latencies, errors, wall = result["latencies"], result["errors"], result["seconds"]
    if os.environ.get("RUAM_BENCH_TRACE"):
        Path(os.environ["RUAM_BENCH_TRACE"]).write_text(json.dumps([result["started"], latencies]))
    floor_rate = len(floor["latencies"]) / floor["seconds"]
    return {"requests": len(latencies), "errors": len(errors) + len(floor["errors"]),
            "first_errors": (errors + floor["errors"])[:3],
            "baseline_healthz_requests_per_s": round(floor_rate, 1),
            "baseline_healthz_p99_ms": round(pct(floor["latencies"], 99) * 1000, 1),
            "advance_share_of_baseline_rate": round(len(latencies) / wall / floor_rate, 3),
            "clients": clients, "seconds": round(wall, 2), "requests_per_s": round(len(latencies) / wall, 1),
            "p50_ms": round(pct(latencies, 50) * 1000, 1), "p99_ms": round(pct(latencies, 99) * 1000, 1),
            "server_cpu_ms_per_request": round(cpu / max(1, len(latencies)) * 1000, 2),
            "client_cpu_ms_per_request": round(result["client_cpu"] / max(1, len(latencies)) * 1000, 2),
            "database_cpu_ms_per_request": round(db_cpu / max(1, len(latencies)) * 1000, 2)}


def run_clients(port: int, chunks: list[list[tuple[str, str, dict]]]) -> dict:
    """Run the closed-loop clients in a separate process (so their CPU is not the
    server's, and no GIL is shared with the set-up code); returns its measurements."""
    job = Path(os.environ.get("TMPDIR", "/tmp")) / f"ruam-web-bench-{uuid.uuid4().hex[:8]}.json"
    job.write_text(json.dumps({"port": port, "chunks": chunks}, ensure_ascii=False))
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--client-job", str(job)],
                             check=False, capture_output=True, text=True)
    finally:
        job.unlink(missing_ok=True)
    if out.returncode != 0:
        raise SystemExit("the clients failed: " + out.stderr[-3000:])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    found = json.loads(out.stdout)
    found["client_cpu"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return found


def client_job(path: str) -> None:
    """The clients: one HTTP/1.1 keep-alive connection each, a closed loop with no
    think time (like ``wrk -c N``); latency is from writing the request to having
    read the whole response."""
    import asyncio

    spec = json.loads(Path(path).read_text())
    port, chunks = spec["port"], spec["chunks"]
    latencies: list[float] = []
    started: list[float] = []
    errors: list[str] = []

    async def client(chunk: list) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for target, token, body in chunk:
                if body is None:  # the baseline: a GET without credentials
                    payload, head = b"", f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
                else:
                    payload = json.dumps(body, ensure_ascii=False).encode()
                    head = (f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                            f"Content-Length: {len(payload)}\r\n\r\n").encode()
                t0 = time.perf_counter()
                writer.write(head + payload)
                status_line = await reader.readline()
                length = None
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length is None:
                    raise RuntimeError(f"no content-length in the response to {target}")
                text = await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                started.append(t0)
                status = int(status_line.split()[1])
                if status != 200:
                    errors.append(f"{status} {text[:200].decode(errors='replace')}")
        finally:
            writer.close()

    async def main() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(client(c) for c in chunks))
        return time.perf_counter() - start

    wall = asyncio.run(main())
    print(json.dumps({"latencies": latencies, "started": started, "errors": errors, "seconds": wall}))


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


def bench_dashboard(db: str, port: int, processes: int, renders: int, reuse: bool = False) -> dict:
    import httpx

    from engine.accounts import Accounts
    from engine.app import Ruam
    from engine.logs import configure
    from storage.store import Store

    configure("WARNING")
    app = Ruam(Store(db))
    t0 = time.perf_counter()
    if not reuse:  # --reuse-db: a database an earlier run kept (--keep-db), already set up
        app.store.migrate()
        from definitions import shipped_texts

        texts = [(n, t) for n, t in shipped_texts() if "organization" not in n]
        app.register_definitions(texts + [("organization.yaml", organization_with(processes))])
        app.add_person("auditor", "ผู้ตรวจสอบภายใน (ตัวอย่าง)", "ผู้ตรวจสอบ")
        app.assign_role("auditor", "auditor")
        app.open_cycle(2570)
        Accounts(app).set_password("auditor", PASSWORD)
    setup = time.perf_counter() - t0
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
    parser.add_argument("--rounds", type=int, default=3, help="advance rounds (the median is reported; the machine is shared)")
    parser.add_argument("--processes", type=int, default=30_000)
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--only", choices=("advance", "dashboard"))
    parser.add_argument("--workers", type=int, default=1, help="ruam serve --workers N (server processes)")
    parser.add_argument("--log-level", default="INFO", choices=("INFO", "WARNING"),
                        help="the server's log level (INFO, as `ruam serve` runs: a line per step and per request)")
    parser.add_argument("--keep-db", action="store_true", help="keep the dashboard's database (print its URL)")
    parser.add_argument("--reuse-db", help="run the dashboard bench on a database kept by --keep-db")
    parser.add_argument("--client-job", help=argparse.SUPPRESS)  # internal: run the clients of one bench
    args = parser.parse_args()
    if args.client_job:
        client_job(args.client_job)
        return
    out: dict = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    global WORKERS, LOG_LEVEL
    WORKERS = args.workers
    LOG_LEVEL = args.log_level
    out["workers"] = args.workers
    out["log_level"] = args.log_level
    if args.only in (None, "advance"):
        rounds = []
        for k in range(args.rounds):  # a fresh database each round: every process starts at version 0
            db = make_db(args.db)
            try:
                rounds.append(bench_advance(db, args.port, args.clients, args.years))
                print(f"advance round {k + 1}:", json.dumps(rounds[-1]), flush=True)
            finally:
                drop_db(db)
        out["advance_rounds"] = rounds
        keys = [k for k, v in rounds[0].items() if isinstance(v, (int, float)) and k != "clients"]
        out["advance"] = {k: sorted(r[k] for r in rounds)[len(rounds) // 2] for k in keys}
        out["advance"]["p99_ms_range"] = [min(r["p99_ms"] for r in rounds), max(r["p99_ms"] for r in rounds)]
        print("advance, median of rounds:", json.dumps(out["advance"]), flush=True)
    if args.only in (None, "dashboard"):
        db = args.reuse_db or make_db(args.db)
        try:
            out["dashboard"] = bench_dashboard(db, args.port, args.processes, args.renders, bool(args.reuse_db))
            print("dashboard:", json.dumps(out["dashboard"]), flush=True)
        finally:
            if args.keep_db or args.reuse_db:
                print("dashboard database kept:", db, flush=True)
            else:
                drop_db(db)
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "web.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
