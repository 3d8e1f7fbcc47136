"""Offices benchmark (PostgreSQL): many offices on one database, each its own chain.

    python bench/offices_bench.py --pg postgresql://postgres@127.0.0.1:5432/offices_bench
    python bench/offices_bench.py --pg … --offices 245 --clients 1,8,16

(a database of its own: the bench drops its schema first). Set-up: ``--offices`` offices, each with the shipped definitions, its demo people,
FY 2570 open (11 processes) and ticked once (its calendar). Then, for each client
count, that many client processes (spawned, one database connection each) each
advance the 11 processes of a *different* office through the whole procedure (66
steps), all started together; steps/s = all steps / the wall time from the first
start to the last finish. Beside it, in the same run:

- **raw**: the plain driver (psycopg) doing a per-office chain by hand — per step
  one transaction: the office's head row ``FOR UPDATE``, the record's sha256 in
  Python, INSERT the record, UPDATE the head, UPDATE the process, COMMIT;
- **one chain**: Ruam with every client in the *same* office (each on its own fiscal
  year's processes), i.e. what a database with one chain does (today's single
  office, whose appenders all queue on one head row).
- **before offices** (``--before REV``, default the last commit before offices): that
  commit's Ruam — one global chain — checked out into a temporary directory and driven
  by ``bench/one_chain_clients.py`` in a database of its own (``…_before``): the same
  bench organization, each client its own 11 processes, all in the one chain. This is
  "today's single-chain Ruam" of issue #14, measured on the same machine in the same run.

And a cross-office viewer (granted the auditor role by every office) asking for the
overview of all offices (``engine.offices.overview``, what ``/api/offices`` answers):
its p50/p99 over ``--overview-calls`` calls.

Each figure is the median of ``--rounds`` runs (default 5; every run on offices and
processes of its own, the columns' runs interleaved), each run's figures printed beside.
``raw/before`` is the ceiling of ``same/before`` on this machine: what the plain driver, with
nothing of Ruam's work, gains over the single-chain Ruam.

Targets (issue #14): at 8 clients, Ruam ≥ 60% of raw and ≥ 2.5× the single-chain Ruam
before offices; overview p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import steps  # noqa: E402 - the same evidence the tests use

FY = 2570
WARM_FY = 2571  # each client first runs the same steps on this year's processes (warm, as a server is)
HERE = Path(__file__).resolve().parents[1]
BEFORE_OFFICES = "1a0e4b4"  # the last commit with one global chain (before issue #14's work)


def _reset(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _plan(app, fy: int, tag: str) -> list[tuple[str, str, str, dict]]:
    """(process, trigger, actor, evidence) for every step of every process of ``fy``, round-robin
    over the processes (so consecutive steps of one client touch different processes)."""
    org = app.active().organization
    per_process = []
    for k, task in enumerate(org.tasks):
        group = next(g for g in org.mission_groups if g.id == task.mission_group)
        officer = f"officer_{task.id.removeprefix('task_')}"
        director = f"director_{group.units[0].removeprefix('group_')}"
        pid = f"{fy}/{task.id}"
        per_process.append([
            (pid, "complete_analysis", officer, steps.analysis()),
            (pid, "issue_appointment", director, steps.appointment(number=f"{tag}{k:02d}/2569")),
            (pid, "send_notifications", officer, steps.notifications()),
            (pid, "record_meeting", officer, steps.meeting()),
            (pid, "send_report", officer, steps.report()),
            (pid, "close", director, steps.closing()),
        ])
    return [row for rnd in zip(*per_process) for row in rnd]


def analyze(url: str) -> None:
    """Table statistics, as a database with autovacuum on (PostgreSQL's default) has them after a
    bulk load; a server run with autovacuum off (as this machine's is) plans on none."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def setup(url: str, offices: int, single_years: list[int], rounds: int = 1) -> None:
    from engine.app import Ruam
    from engine.calendar import tick
    from engine.logs import configure
    from engine.offices import add_office
    from storage.store import Store

    configure("WARNING")
    _reset(url)
    store = Store(url)
    app = Ruam(store)
    app.init(demo=True)
    app.open_cycle(FY)
    app.open_cycle(WARM_FY)
    tick(app)
    started = time.perf_counter()
    for i in range(1, offices):
        code = f"o{i:03d}"
        add_office(app, code, f"สำนักงานเขตทดสอบ {i}")
        office = app.for_office(code)
        office.load_demo()
        office.open_cycle(FY)
        office.open_cycle(WARM_FY)
        tick(office)
        office.assign_role("auditor@default", "auditor")  # the cross-office viewer's grant
        if i % 50 == 0:
            print(f"  … {i} offices ({time.perf_counter() - started:.0f} s)", flush=True)
    from bench.one_chain_clients import populate

    def bench_office(code: str, tasks: int) -> None:
        add_office(app, code, f"สำนักงานทดสอบ {code}", load_shipped=False)
        populate(app.for_office(code), tasks)

    for r in range(rounds):
        for n in single_years:
            # the one-chain emulation: one office, 11 tasks of the bench organization per client, one chain
            bench_office(f"single{n}r{r}", 11 * n)
            # the same organization and steps, each client in an office of its own (a chain each)
            for k in range(n):
                bench_office(f"multi{n}-{k}r{r}", 11)
    store.dispose()
    analyze(url)


def _single_plan(client: int, fy: int = FY) -> list[tuple[str, str, str, dict]]:
    """The one-chain office's client ``client``: its 11 tasks of the bench organization."""
    from bench.one_chain_clients import plan

    return plan(client, fy)


def ruam_client(url: str, office: str, client: int, barrier, out) -> None:
    from engine.app import Ruam
    from engine.logs import configure
    from storage.store import Store

    configure("WARNING")  # as a server logs: not a line per step
    store = Store(url)
    app = Ruam(store).for_office(office)
    bench_org = office.startswith(("single", "multi"))
    plan = _single_plan(client) if bench_org else _plan(app, FY, "1")
    from workflow.machine import machine_for

    machine_for(app.active().procedure)  # warm, as a running server is: its connection too
    for step in _single_plan(client, WARM_FY) if bench_org else _plan(app, WARM_FY, "9"):
        app.advance(*step)
    barrier.wait()
    t0 = time.perf_counter()
    for pid, trigger, actor, evidence in plan:
        app.advance(pid, trigger, actor, evidence)
    out.put((t0, time.perf_counter(), len(plan)))
    store.dispose()


RAW_BODY = json.dumps({"kind": "process.transitioned", "data": steps.analysis()}, ensure_ascii=False)


def raw_setup(url: str, offices: int) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_ledger, raw_head, raw_process")
        conn.execute("CREATE TABLE raw_ledger (office int, seq bigint, prev_hash text NOT NULL, hash text NOT NULL, "
                     "process_id text, body text NOT NULL, PRIMARY KEY (office, seq), UNIQUE (office, prev_hash))")
        conn.execute("CREATE TABLE raw_head (office int PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL)")
        conn.execute("CREATE TABLE raw_process (office int, id text, state text, version int, "
                     "PRIMARY KEY (office, id))")
        for o in range(2 * offices):  # (the second half: the clients' warm-up chains)
            conn.execute("INSERT INTO raw_head VALUES (%s, 0, %s)", (o, "0" * 64))
            for k in range(11):
                conn.execute("INSERT INTO raw_process VALUES (%s, %s, 'start', 0)", (o, f"{FY}/t{k}"))
    analyze(url)


def raw_client(url: str, office: int, n: int, warm_office: int, barrier, out) -> None:
    import psycopg

    conn = psycopg.connect(url)
    _raw_steps(conn, warm_office, n)  # the same steps on a chain of its own first (warm, as Ruam's clients are)
    barrier.wait()
    t0 = time.perf_counter()
    _raw_steps(conn, office, n)
    out.put((t0, time.perf_counter(), n))
    conn.close()


def _raw_steps(conn, office: int, n: int) -> None:
    for i in range(n):
        pid = f"{FY}/t{i % 11}"
        with conn.cursor() as cur:
            cur.execute("SELECT seq, hash FROM raw_head WHERE office = %s FOR UPDATE", (office,))
            seq, prev = cur.fetchone()
            body = f'{{"office":{office},"prev_hash":"{prev}","seq":{seq + 1},"x":{RAW_BODY}}}'
            digest = hashlib.sha256(body.encode()).hexdigest()
            cur.execute("UPDATE raw_process SET state = %s, version = version + 1 WHERE office = %s AND id = %s",
                        (f"s{i}", office, pid))
            cur.execute("INSERT INTO raw_ledger VALUES (%s, %s, %s, %s, %s, %s)",
                        (office, seq + 1, prev, digest, pid, body))
            cur.execute("UPDATE raw_head SET seq = %s, hash = %s WHERE office = %s", (seq + 1, digest, office))
        conn.commit()


def _run(target, arglists) -> float:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(len(arglists)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, out)) for args in arglists]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"a client failed (exit {p.exitcode})")
    start, end = min(r[0] for r in results), max(r[1] for r in results)
    return sum(r[2] for r in results) / (end - start)


def tree_at(rev: str, prefix: str = "ruam-before-") -> tempfile.TemporaryDirectory:
    """A git revision of this repository extracted into a temporary directory (its ``.name``)."""
    tmp = tempfile.TemporaryDirectory(prefix=prefix)
    archive = subprocess.run(["git", "-C", str(HERE), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", tmp.name], input=archive, check=True)
    return tmp


class Before:
    """An earlier commit's Ruam in a temporary directory, with a database of its own."""

    def __init__(self, rev: str, url: str, clients: int) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        self.tmp = tree_at(rev)
        self.tree = self.tmp.name
        base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
        self.name = f"{base.database}_before"
        self.admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = base.set(drivername="postgresql", database=self.name).render_as_string(hide_password=False)
        self._script = str(HERE / "bench" / "one_chain_clients.py")
        subprocess.run([sys.executable, self._script, "setup", self.url, str(clients)], cwd=self.tree, check=True)
        analyze(self.url)
        self.next_client = 0

    def run(self, n: int) -> float:
        procs = [subprocess.Popen([sys.executable, self._script, "client", self.url, str(self.next_client + k)],
                                  cwd=self.tree, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for k in range(n)]
        self.next_client += n
        for p in procs:
            if p.stdout.readline().strip() != "ready":
                raise SystemExit("a client of the earlier commit failed to start")
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
        if any(p.returncode for p in procs):
            raise SystemExit("a client of the earlier commit failed")
        start, end = min(r["t0"] for r in results), max(r["t1"] for r in results)
        return sum(r["steps"] for r in results) / (end - start)

    def close(self) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()
        self.tmp.cleanup()


def overview_times(url: str, calls: int) -> list[float]:
    from engine.app import Ruam
    from engine.offices import overview
    from storage.store import Store

    store = Store(url)
    app = Ruam(store)
    rows = overview(app, "auditor")
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        overview(app, "auditor")
        times.append((time.perf_counter() - t0) * 1000)
    store.dispose()
    print(f"  the viewer's overview lists {len(rows)} offices")
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/offices_bench")
    ap.add_argument("--offices", type=int, default=245)
    ap.add_argument("--clients", default="1,8,16")
    ap.add_argument("--rounds", type=int, default=5, help="runs of each figure (its median is printed)")
    ap.add_argument("--overview-calls", type=int, default=200)
    ap.add_argument("--skip-setup", action="store_true")
    ap.add_argument("--before", default=BEFORE_OFFICES, metavar="REV",
                    help="the single-chain Ruam to compare with (a git revision; '' to skip)")
    args = ap.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    if sum(counts) * args.rounds >= args.offices:
        raise SystemExit("--offices must exceed the clients of all runs together (each runs on a fresh office)")
    if not args.skip_setup:
        t0 = time.perf_counter()
        setup(args.pg, args.offices, counts, args.rounds)
        print(f"set-up: {args.offices} offices in {time.perf_counter() - t0:.0f} s")
    raw_setup(args.pg, args.offices)
    before = Before(args.before, args.pg, sum(counts) * args.rounds) if args.before else None
    print("ruam: the shipped organization, an office per client; raw: psycopg, a chain per client;")
    print("same org: the bench organization (one group), an office per client; one chain: the same in ONE office;")
    print(f"before: the same in the one global chain of the Ruam before offices ({args.before or 'skipped'})")
    print(f"medians of {args.rounds} runs (each run's figure in brackets under the line)")
    print(f"{'clients':>7} {'ruam':>7} {'raw':>7} {'ruam/raw':>9} {'same org':>9} {'one chain':>10} "
          f"{'same/one':>9} {'before':>7} {'same/before':>12} {'raw/before':>11}  (steps/s)")
    next_office, next_raw = 1, 0
    for n in counts:
        runs: dict[str, list[float]] = {k: [] for k in ("ruam", "raw", "same", "one", "before")}
        for r in range(args.rounds):
            offices = [f"o{next_office + k:03d}" for k in range(n)]
            next_office += n
            runs["ruam"].append(_run(ruam_client, [(args.pg, code, 0) for code in offices]))
            runs["raw"].append(_run(raw_client, [(args.pg, next_raw + k, 66, args.offices + next_raw + k)
                                                 for k in range(n)]))
            next_raw += n
            runs["same"].append(_run(ruam_client, [(args.pg, f"multi{n}-{c}r{r}", 0) for c in range(n)]))
            runs["one"].append(_run(ruam_client, [(args.pg, f"single{n}r{r}", c) for c in range(n)]))
            runs["before"].append(before.run(n) if before else float("nan"))
        m = {k: statistics.median(v) for k, v in runs.items()}
        print(f"{n:>7} {m['ruam']:>7.0f} {m['raw']:>7.0f} {m['ruam'] / m['raw']:>8.0%} {m['same']:>9.0f} "
              f"{m['one']:>10.0f} {m['same'] / m['one']:>8.1f}x {m['before']:>7.0f} {m['same'] / m['before']:>11.1f}x"
              f" {m['raw'] / m['before']:>10.1f}x", flush=True)
        print("        " + "  ".join(f"{k} [{' '.join(f'{x:.0f}' for x in v)}]" for k, v in runs.items()), flush=True)
    if before:
        before.close()
    times = overview_times(args.pg, args.overview_calls)
    times.sort()
    p50, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
    print(f"cross-office overview of {args.offices - 1} offices: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target < 100)")


if __name__ == "__main__":
    main()
