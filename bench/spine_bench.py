"""Spine benchmark: drive N processes through the whole procedure, each
transition its own committed transaction, and compare with a raw baseline that
does the same writes with the plain driver in the same run.

    python bench/spine_bench.py --backend sqlite --processes 10000
    python bench/spine_bench.py --backend postgresql --processes 10000 \
        --pg postgresql://postgres@127.0.0.1:5432/test
    python bench/spine_bench.py --cold-start

The baseline writes with the plain driver into Ruam's own schema (the same
tables, indexes and triggers): the chain head read, the ledger row with its
sha256, the process state, the chain head, one commit per transition.

Target: Ruam's transitions/s at least 40% of the raw baseline's on each backend;
``ruam --help`` cold start under 10× ``python3 -c pass``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import steps  # noqa: E402 - the same evidence the tests use

TASKS_PER_YEAR = 10_000  # every process in FY 2570: the evidence is dated for it (a later year's guards refuse it)


def organization_yaml(tasks: int) -> str:
    lines = ["kind: organization", "id: bench_office", "title: {th: สำนักงานทดสอบ, en: Bench office}", "roles:"]
    for role, scope in (("esa_director", "office"), ("group_director", "unit"), ("responsible_officer", "task"),
                        ("admin", "office")):
        lines.append(f"  - {{id: {role}, scope: {scope}, title: {{th: {role}, en: {role}}}}}")
    lines += ["units:", "  - {id: group_bench, title: {th: กลุ่มทดสอบ, en: Bench group}}", "mission_groups:",
              "  - id: mission_bench", "    title: {th: ภารกิจทดสอบ, en: Bench mission}",
              "    units: [group_bench]", "    tasks:"]
    lines += [f"      - {{id: task_{i:05d}, title: {{th: งาน {i}, en: Task {i}}}}}" for i in range(tasks)]
    return "\n".join(lines) + "\n"


def path_for(i: int, officer: str) -> list[tuple[str, str, dict]]:
    director = "bench_director"
    return [("complete_analysis", officer, steps.analysis()),
            ("issue_appointment", director, steps.appointment(number=f"{i}/2569")),
            ("send_notifications", officer, steps.notifications()),
            ("record_meeting", officer, steps.meeting()),
            ("send_report", officer, steps.report()),
            ("close", director, steps.closing())]


def setup_ruam(url: str, processes: int):
    from definitions import shipped_texts
    from engine.app import Ruam
    from engine.logs import configure
    from storage.store import Store

    configure("WARNING")
    now = [dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)]
    app = Ruam(Store(url), clock=lambda: now[0])
    app.store.migrate()
    texts = [t for t in shipped_texts() if "procedure" in t[0]]
    tasks = min(TASKS_PER_YEAR, processes)
    app.register_definitions(texts + [("bench-organization.yaml", organization_yaml(tasks))])
    app.add_person("bench_director", "ผู้อำนวยการกลุ่ม (ตัวอย่าง)")
    app.assign_role("bench_director", "group_director", "group_bench")
    for t in range(tasks):
        app.add_person(f"officer_{t:05d}", f"ผู้รับผิดชอบ {t} (ตัวอย่าง)")
        app.assign_role(f"officer_{t:05d}", "responsible_officer", f"task_{t:05d}")
    opened = []
    fy = 2570
    while len(opened) < processes:
        opened += app.open_cycle(fy)
        fy += 1
    opened = opened[:processes]

    def drive(indexes: range) -> int:
        count = 0
        for i in indexes:
            pid = opened[i]
            task = pid.split("/")[1]
            for trigger, actor, evidence in path_for(i, "officer_" + task.removeprefix("task_")):
                app.advance(pid, trigger, actor, evidence)
                count += 1
        return count

    return drive, app.store.dispose


def _body(seq: int, prev: str, pid: str, trigger: str, evidence: dict) -> str:
    body = {"seq": seq, "prev_hash": prev, "kind": "process.transitioned", "at": "2026-11-20T03:00:00.000000Z",
            "actor": "x", "role": "responsible_officer", "responsible": "x", "process": pid,
            "data": {"trigger": trigger, "evidence": evidence}}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _raw_schema(url: str, processes: int) -> None:
    """The baseline writes into Ruam's own schema (same tables, indexes, triggers)."""
    from storage.store import Store

    store = Store(url)
    store.migrate()
    store.dispose()


def _raw_writer(conn, mark: str, begin, commit, head_sql: str, moment, processes: int):
    """Per transition, what a step must write: chain head read, ledger row with its
    sha256, process state, chain head — one committed transaction each."""
    m = ", ".join([mark] * 8)
    cur = conn.cursor()
    version = "0" * 64
    begin()
    cur.execute(f"INSERT INTO definitions (version, kind, name, content, registered_at) "
                f"VALUES ({mark}, 'procedure', 'raw', '{{}}', {mark})", (version, moment))
    cur.executemany(f"INSERT INTO processes (id, fiscal_year, task_id, procedure_version, organization_version, "
                    f"state, version, opened_at, updated_at) VALUES ({mark}, 2570, {mark}, {mark}, {mark}, "
                    f"'analyzing_regulations', 0, {mark}, {mark})",
                    [(f"p{i}", f"t{i}", version, version, moment, moment) for i in range(processes)])
    commit()

    def drive(indexes: range) -> int:
        count = 0
        for i in indexes:
            pid = f"p{i}"
            for trigger, _actor, evidence in path_for(i, "x"):
                begin()
                cur.execute(head_sql)
                seq, prev = cur.fetchone()
                body = _body(seq + 1, prev, pid, trigger, evidence)
                digest = hashlib.sha256(body.encode()).hexdigest()
                cur.execute(f"INSERT INTO ledger (seq, prev_hash, hash, kind, process_id, actor, recorded_at, body) "
                            f"VALUES ({m})", (seq + 1, prev, digest, "process.transitioned", pid, "x", moment, body))
                cur.execute(f"UPDATE processes SET state = {mark}, version = version + 1, updated_at = {mark} "
                            f"WHERE office_id = 1 AND id = {mark}", (trigger, moment, pid))  # (its key begins with the office)
                cur.execute(f"UPDATE chain_head SET seq = {mark}, hash = {mark} WHERE id = 1", (seq + 1, digest))
                commit()
                count += 1
        return count

    return drive


def setup_raw_sqlite(path: str, processes: int):
    import sqlite3

    _raw_schema(path, processes)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    drive = _raw_writer(conn, "?", lambda: conn.execute("BEGIN IMMEDIATE"), lambda: conn.execute("COMMIT"),
                        "SELECT seq, hash FROM chain_head WHERE id = 1", "2026-11-20 03:00:00.000000", processes)
    return drive, conn.close


def setup_raw_postgres(url: str, processes: int):
    import psycopg

    _raw_schema(url, processes)
    conn = psycopg.connect(url)
    moment = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)
    drive = _raw_writer(conn, "%s", lambda: None, conn.commit,
                        "SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE", moment, processes)
    return drive, conn.close


def fresh_pg(base: str) -> tuple[str, callable]:
    import psycopg

    name = f"ruam_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return base.rsplit("/", 1)[0] + "/" + name, drop


def cold_start(runs: int = 15) -> None:
    def median(cmd: list[str]) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    ruam = str(Path(sys.executable).with_name("ruam"))
    base = median([sys.executable, "-c", "pass"])
    cli = median([ruam, "--help"])
    print(f"cold start: python3 -c pass {base * 1000:.1f} ms; ruam --help {cli * 1000:.1f} ms; "
          f"ratio {cli / base:.1f}x (target < 10x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--processes", type=int, default=10_000)
    parser.add_argument("--pg", default=os.environ.get("RUAM_TEST_DATABASE_URL",
                                                       "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--rounds", type=int, default=10, help="interleaved raw/ruam rounds")
    parser.add_argument("--cold-start", action="store_true", help="only measure CLI cold start")
    args = parser.parse_args()
    if args.cold_start:
        cold_start()
        return
    n = args.processes
    drops = []
    if args.backend == "sqlite":
        tmp = tempfile.TemporaryDirectory()
        drops.append(tmp.cleanup)
        raw = setup_raw_sqlite(os.path.join(tmp.name, "raw.db"), n)
        ruam = setup_ruam(os.path.join(tmp.name, "ruam.db"), n)
    else:
        base = args.pg.replace("postgresql+psycopg://", "postgresql://")
        raw_url, drop_raw = fresh_pg(base)
        ruam_url, drop_ruam = fresh_pg(base)
        drops += [drop_raw, drop_ruam]
        raw = setup_raw_postgres(raw_url, n)
        ruam = setup_ruam(ruam_url, n)
    # Interleave the two in rounds so a noisy neighbour slows both alike.
    totals = {"raw": [0, 0.0], "ruam": [0, 0.0]}
    rounds = max(1, min(args.rounds, n))
    bounds = [n * r // rounds for r in range(rounds + 1)]
    try:
        for r in range(rounds):
            for name, (drive, _close) in (("raw", raw), ("ruam", ruam)):
                start = time.perf_counter()
                totals[name][0] += drive(range(bounds[r], bounds[r + 1]))
                totals[name][1] += time.perf_counter() - start
    finally:
        raw[1]()
        ruam[1]()
        for drop in drops:
            drop()
    (raw_n, raw_s), (ruam_n, ruam_s) = totals["raw"], totals["ruam"]
    raw_rate, ruam_rate = raw_n / raw_s, ruam_n / ruam_s
    print(f"{args.backend}: {n} processes, {ruam_n} transitions, each its own committed transaction "
          f"({rounds} interleaved rounds)")
    print(f"  raw driver baseline : {raw_rate:9.1f} transitions/s ({raw_s:.1f} s)")
    print(f"  ruam engine         : {ruam_rate:9.1f} transitions/s ({ruam_s:.1f} s)")
    print(f"  ratio               : {ruam_rate / raw_rate:9.1%} (target >= 40%)")


if __name__ == "__main__":
    main()
