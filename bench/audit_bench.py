"""Audit benchmark: verify and replay N ledger records on SQLite and PostgreSQL.

    python bench/audit_bench.py                      # 1,000,000 records, both backends
    python bench/audit_bench.py --records 100000 --backend sqlite

For each backend it builds a database: definitions (the shipped procedure and
calendar, and an organization with many tasks), people and roles through the
engine, then N records of processes that run the whole procedure (opened + six
steps each, with realistic Thai evidence, ~1 KB a record) inserted in bulk as
correctly chained rows, with their state projection. Then, each in a fresh
child process (so peak RSS is its own):

- baseline: the same rows read with plain sqlite3 / psycopg and their sha256
  recomputed and compared (the floor any verification must pay);
- floor:    the baseline plus a JSON parse of each body (orjson) in one process:
            the least any audit written in Python pays before checking anything;
- chain:    the audit's own chain check alone (rows through storage, sha256,
  links, one JSON parse per record, columns against the hashed text) — where
  the time goes, for comparison;
- verify:   ``engine.audit.live.verify`` (chain, legality, guards, authority, projection),
            in one process (the default);
- verify-w2: the same with ``workers=2`` (the coordinator and one spawned worker;
            the peak RSS printed is the coordinator's plus the worker's);
- replay:   ``engine.audit.live.replay_as_of``'s fold up to the last record, with a
  count of processes by state (the listing of every process is left out).

It prints records/s, the ratio to the baseline measured in the same run, and
peak RSS. Target: at least 50% of the baseline's rate; peak RSS under 200 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)
STEPS = 6  # transitions per process (the happy path), plus process.opened


# --------------------------------------------------------------------------- building the database


def _organization_text(tasks: int) -> str:
    from definitions import shipped_texts
    from workflow.reader import load_definition

    org = next(load_definition(t, n) for n, t in shipped_texts() if n.endswith("organization.yaml"))
    content = json.loads(json.dumps(org.content))
    groups = content["mission_groups"]
    for k in range(tasks):
        groups[k % len(groups)]["tasks"].append({"id": f"task_b{k}", "title": {"th": f"งานทดสอบที่ {k}",
                                                                                "en": f"Bench task {k}"}})
    return json.dumps(content, ensure_ascii=False)


def _templates() -> dict[str, dict]:
    """Normalized evidence of each step of the happy path (as the engine records it)."""
    from definitions import shipped_texts
    from tests.steps import HAPPY_PATH
    from workflow.evidence import validate_evidence
    from workflow.reader import load_definition

    proc = next(load_definition(t, n) for n, t in shipped_texts() if n.endswith("procedure.yaml"))
    out, state = {}, proc.initial
    for trigger, _actor, evidence in HAPPY_PATH:
        spec = proc.transition(trigger, state)
        out[trigger] = {"spec": spec, "evidence": validate_evidence(trigger, spec.evidence, evidence),
                        "from": state, "to": spec.dest}
        state = spec.dest
    return out


def build(url: str, records: int) -> dict:
    from definitions import shipped_texts
    from engine.app import Ruam
    from storage.store import Store
    from tests.steps import HAPPY_PATH
    from workflow.ledger import Entry, Record

    per_process = STEPS + 1
    processes = max(1, records // per_process)
    tasks = max(11, min(2000, processes))
    t0 = time.perf_counter()
    clock_now = [START]
    store = Store(url)
    app = Ruam(store, clock=lambda: clock_now[0])
    texts = [t for t in shipped_texts() if not t[0].endswith("organization.yaml")]
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    app.init([("organization.json", _organization_text(tasks - 11))] + texts, demo=True)
    defs = app.active()
    with store.reading() as tx:
        head_seq, head_hash = tx.head()
    setup = head_seq
    org = defs.organization
    task_ids = [t.id for t in org.tasks]
    directors = {}
    for g in org.mission_groups:
        for t in g.tasks:
            directors[t.id] = f"director_{g.units[0].removeprefix('group_')}"
    templates = _templates()
    roles = {"complete_analysis": "responsible_officer", "issue_appointment": "group_director",
             "send_notifications": "responsible_officer", "record_meeting": "responsible_officer",
             "send_report": "responsible_officer", "close": "group_director"}
    t_setup = time.perf_counter() - t0

    def generate():
        seq, prev = head_seq, head_hash
        moment = START + dt.timedelta(hours=1)
        tick = dt.timedelta(milliseconds=1)
        n = 0
        for i in range(processes):
            task = task_ids[i % len(task_ids)]
            year = 2500 + i // len(task_ids)
            pid = f"{year}/{task}"
            officer = f"officer_{task.removeprefix('task_')}"
            times = [moment + tick * k for k in range(per_process)]
            moment = times[-1] + tick
            entries = [Entry(kind="process.opened", at=times[0], actor="system", role="system", responsible=officer,
                             process=pid, data={"fiscal_year": year, "task": task, "procedure": defs.procedure.version,
                                                "organization": org.version, "state": defs.procedure.initial})]
            for version, (trigger, actor, _e) in enumerate(HAPPY_PATH, start=1):
                tpl = templates[trigger]
                evidence = tpl["evidence"]
                if trigger == "issue_appointment":
                    evidence = dict(evidence, number=f"{i + 1}/2569")
                who = officer if actor.startswith("officer_") else directors[task]
                entries.append(Entry(kind="process.transitioned", at=times[version], actor=who, role=roles[trigger],
                                     responsible=officer, process=pid,
                                     data={"trigger": trigger, "kind": tpl["spec"].kind, "from": tpl["from"],
                                           "to": tpl["to"], "evidence": evidence,
                                           "procedure": defs.procedure.version, "version": version}))
            for entry in entries:
                seq += 1
                rec = Record.seal(entry, seq, prev)
                body = rec.canonical()
                digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
                yield (seq, prev, digest, rec.kind, pid, rec.actor, entry.at, body)
                prev = digest
                n += 1
            yield ("process", pid, year, task, defs.procedure.version, org.version, times[-1])

    t1 = time.perf_counter()
    if store.dialect == "sqlite":
        count, last = _bulk_sqlite(store.url.split("///", 1)[1], generate())
    else:
        count, last = _bulk_pg(url, generate())
    store.dispose()
    return {"setup_records": setup, "bulk_records": count, "records": setup + count, "processes": processes,
            "tasks": len(task_ids), "setup_s": t_setup, "bulk_s": time.perf_counter() - t1, "head": last}


def _bulk_sqlite(path: str, rows) -> tuple[int, tuple[int, str]]:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN IMMEDIATE")
    ledger, procs, count, last = [], [], 0, (0, "")

    def flush():
        conn.executemany("INSERT INTO ledger (seq, prev_hash, hash, kind, process_id, actor, recorded_at, body) "
                         "VALUES (?,?,?,?,?,?,?,?)", ledger)
        conn.executemany("INSERT INTO processes (id, fiscal_year, task_id, procedure_version, organization_version,"
                         " state, version, opened_at, updated_at) VALUES (?,?,?,?,?,'closed',6,?,?)", procs)
        ledger.clear()
        procs.clear()

    for r in rows:
        if r[0] == "process":
            at = r[6].strftime("%Y-%m-%d %H:%M:%S.%f")
            procs.append((r[1], r[2], r[3], r[4], r[5], at, at))
            continue
        ledger.append(r[:6] + (r[6].astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"), r[7]))
        count += 1
        last = (r[0], r[2])
        if len(ledger) >= 20_000:
            flush()
    flush()
    conn.execute("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1", last)
    conn.execute("COMMIT")
    conn.close()
    return count, last


def _bulk_pg(url: str, rows) -> tuple[int, tuple[int, str]]:
    import psycopg

    count, last = 0, (0, "")
    with psycopg.connect(_plain_pg(url)) as conn:
        with conn.cursor() as cur:
            procs = []
            with cur.copy("COPY ledger (seq, prev_hash, hash, kind, process_id, actor, recorded_at, body) "
                          "FROM STDIN") as copy:
                for r in rows:
                    if r[0] == "process":
                        procs.append((r[1], r[2], r[3], r[4], r[5], "closed", 6, r[6], r[6]))
                        continue
                    copy.write_row(r)
                    count += 1
                    last = (r[0], r[2])
            with cur.copy("COPY processes (id, fiscal_year, task_id, procedure_version, organization_version, "
                          "state, version, opened_at, updated_at) FROM STDIN") as copy:
                for p in procs:
                    copy.write_row(p)
            cur.execute("UPDATE chain_head SET seq = %s, hash = %s WHERE id = 1", last)
            cur.execute("ANALYZE")
    return count, last


def _plain_pg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# --------------------------------------------------------------------------- measurements (child processes)


def child(phase: str, url: str) -> dict:
    t0 = time.perf_counter()
    out: dict = {}
    if phase == "baseline":
        n = bad = 0
        if url.startswith("sqlite"):
            import sqlite3

            conn = sqlite3.connect(url.split("///", 1)[1])
            # the bodies' UTF-8 bytes as stored (no decode), as the audit itself reads them
            cur = conn.execute("SELECT seq, prev_hash, hash, CAST(body AS BLOB) FROM ledger ORDER BY seq")
            for _seq, _prev, digest, body in cur:
                n += 1
                if hashlib.sha256(body).hexdigest() != digest:
                    bad += 1
            conn.close()
        else:
            import psycopg

            with psycopg.connect(_plain_pg(url)) as conn, conn.cursor(name="baseline") as cur:
                cur.itersize = 2000
                cur.execute("SELECT seq, prev_hash, hash, body FROM ledger ORDER BY seq")
                for _seq, _prev, digest, body in cur:
                    n += 1
                    if hashlib.sha256(body.encode("utf-8")).hexdigest() != digest:
                        bad += 1
        out = {"records": n, "bad": bad}
    elif phase == "floor":
        # the least any Python audit must do besides the baseline: parse each record (orjson)
        import sqlite3

        import orjson

        n = bad = 0
        if url.startswith("sqlite"):
            conn = sqlite3.connect(url.split("///", 1)[1])
            rows = conn.execute("SELECT seq, prev_hash, hash, CAST(body AS BLOB) FROM ledger ORDER BY seq")
        else:
            import psycopg

            conn = psycopg.connect(_plain_pg(url))
            rows = conn.cursor(name="floor")
            rows.itersize = 2000
            rows.execute("SELECT seq, prev_hash, hash, body FROM ledger ORDER BY seq")
        for _seq, _prev, digest, body in rows:
            raw = body if type(body) is bytes else body.encode("utf-8")
            n += 1
            if hashlib.sha256(raw).hexdigest() != digest or type(orjson.loads(raw)) is not dict:
                bad += 1
        conn.close()
        out = {"records": n, "bad": bad, "ok": not bad, "workers": 1}
    else:
        from engine.app import Ruam
        from engine.audit.live import replay_as_of_fold, verify
        from storage.store import Store

        store = Store(url)
        app = Ruam(store)
        if phase == "chain":
            from workflow.chain import Findings, check_chain

            findings, n = Findings(), 0
            with store.reading() as tx:
                for _rec in check_chain(tx.stream_ledger(), findings):
                    n += 1
            out = {"records": n, "ok": not findings.total, "workers": 1}
        elif phase == "since":
            from engine.audit.keys import Keys
            from engine.audit.since import verify_since

            keys_dir = Path(os.environ["RUAM_BENCH_KEYS"])
            old_note, trusted = (keys_dir / "old.checkpoint").read_text(encoding="utf-8"), Keys(keys_dir).verifiers()
            t_call = time.perf_counter()
            report = verify_since(app, old_note, trusted)
            out = {"records": report.records_read, "ok": report.ok, "hashes": report.hashes_read,
                   "tree_size": report.new_size, "workers": 1, "call_s": time.perf_counter() - t_call}
        elif phase in ("verify", "verify-w2"):
            report = verify(app, workers=2 if phase == "verify-w2" else 1)
            out = {"records": report.records, "ok": report.ok, "findings": report.findings.total,
                   "first": None if report.ok else str(report.findings[0]),
                   "workers": int(report.checks.get("workers", 1))}
        else:
            fold, report = replay_as_of_fold(app, dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc))
            states: dict[str, int] = {}
            for p in fold.processes.values():
                states[p.state] = states.get(p.state, 0) + 1
            out = {"records": fold.folded, "ok": report.ok, "states": states,
                   "workers": int(report.checks.get("workers", 1))}
        store.dispose()
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss_mb"] = peak_rss_mb()
    workers = out.get("workers", 1)
    if workers > 1:  # the spawned workers' peaks count too: the largest one's, times their number (a bound)
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        out["peak_rss_mb"] += children * (workers - 1)
        out["coordinator_rss_mb"], out["worker_rss_mb"] = peak_rss_mb(), children
    return out


SINCE_LAST = 1000  # verify --since: the records after the old checkpoint


def prepare_seals(url: str, where: str, last: int) -> dict:
    """The tree of the bulk-built ledger (built as the migration builds it), a seal at ``head - last``
    (its fold snapshot folds from record 1), then a seal at the head (folding only from there): the
    old checkpoint an auditor kept, and the newest one. Keys in ``where``; $RUAM_BENCH_KEYS for the child."""
    from engine.app import Ruam
    from engine.audit.keys import Keys
    from engine.audit.seals import seal
    from engine.audit.since import fold_snapshot
    from storage import merkle
    from storage.store import Store

    store = Store(url)
    with store.engine.begin() as conn:
        merkle.build_existing(conn, merkle.DEFAULT_CHAIN)
    app = Ruam(store)
    keys_dir = Path(where) / "keys"
    keys = Keys(keys_dir)
    with store.reading() as tx:
        head = tx.head()[0]
    old = seal(app, keys, snapshot=fold_snapshot(app), size=max(0, head - last))
    new = seal(app, keys, snapshot=fold_snapshot(app))
    (keys_dir / "old.checkpoint").write_text(old.note, encoding="utf-8")
    os.environ["RUAM_BENCH_KEYS"] = str(keys_dir)
    store.dispose()
    return {"old_size": old.checkpoint.size, "new_size": new.checkpoint.size}


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss it does not carry the parent's over exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(phase: str, url: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", phase, "--db", url], capture_output=True,
                          text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{phase} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def bench_backend(name: str, records: int, pg_admin: str, keep: bool) -> list[dict]:
    tmpdir = None
    dbname = None
    if name == "sqlite":
        tmpdir = tempfile.mkdtemp(prefix="ruam-bench-")
        url = f"sqlite:///{tmpdir}/bench.db"
    else:
        import psycopg

        dbname = f"ruam_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(pg_admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        base = pg_admin.rsplit("/", 1)[0]
        url = f"{base}/{dbname}"
    try:
        print(f"[{name}] building {records:,} records …", flush=True)
        info = build(url, records)
        print(f"[{name}] built {info['records']:,} records ({info['processes']:,} processes, {info['tasks']:,} tasks)"
              f" in {info['setup_s'] + info['bulk_s']:.1f} s", flush=True)
        t = time.perf_counter()
        seals = prepare_seals(url, tempfile.mkdtemp(prefix="ruam-bench-keys-"), SINCE_LAST)
        print(f"[{name}] tree built and sealed at {seals['old_size']:,} and {seals['new_size']:,} records "
              f"in {time.perf_counter() - t:.1f} s", flush=True)
        return measure(name, url)
    finally:
        if not keep:
            if tmpdir:
                for f in Path(tmpdir).iterdir():
                    f.unlink()
                os.rmdir(tmpdir)
            if dbname:
                import psycopg

                with psycopg.connect(pg_admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        else:
            print(f"[{name}] kept: {url}")


def measure(name: str, url: str) -> list[dict]:
    """Each phase in its own child process (its own peak RSS), the baseline first and last."""
    results = []
    for phase in ("baseline", "floor", "chain", "verify", "verify-w2", "replay", "since", "baseline"):
        r = run_child(phase, url)
        r["phase"], r["backend"] = phase, name
        results.append(r)
        print(f"[{name}] {phase:<9} {r['records']:>10,} records {r['seconds']:8.2f} s "
              f"{r['records'] / r['seconds']:>10,.0f} rec/s  peak RSS {r['peak_rss_mb']:6.1f} MB"
              + ("" if phase == "baseline" else f"  ok={r['ok']}  workers={r.get('workers', 1)}"), flush=True)
    since = next((r for r in results if r["phase"] == "since"), None)
    full = next((r for r in results if r["phase"] == "verify"), None)
    if since and full:
        print(f"[{name}] verify --since the checkpoint {since['tree_size'] - since['records']:,}: read "
              f"{since['records']:,} records and {since['hashes']} tree hashes in {since['call_s']:.3f} s "
              f"({since['seconds']:.2f} s with the child process's start and imports), beside a full verify of {full['records']:,} records in "
              f"{full['seconds']:.1f} s (target < 1 s)", flush=True)
    return results


def summary(results: list[dict]) -> str:
    out = io.StringIO()
    out.write("\nbackend     phase      records      rec/s   baseline rec/s   ratio   peak RSS (all)  workers\n")
    for backend in dict.fromkeys(r["backend"] for r in results):
        rows = [r for r in results if r["backend"] == backend]
        base = max(r["records"] / r["seconds"] for r in rows if r["phase"] == "baseline")
        for r in rows:
            if r["phase"] == "baseline":
                continue
            rate = r["records"] / r["seconds"]
            out.write(f"{backend:<11} {r['phase']:<9} {r['records']:>9,} {rate:>10,.0f} {base:>16,.0f} "
                      f"{rate / base:>7.0%} {r['peak_rss_mb']:>7.0f} MB {r.get('workers', 1):>9}\n")
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=os.environ.get("RUAM_BENCH_DATABASE_URL",
                                                       "postgresql://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL URL whose user may create databases")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    parser.add_argument("--reuse", metavar="URL", help="measure a database kept by an earlier --keep run "
                                                       "(no build)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.db)))
        return 0
    if args.reuse:
        print(summary(measure("sqlite" if args.reuse.startswith("sqlite") else "postgresql", args.reuse)))
        return 0
    results = []
    for name in (("sqlite", "postgresql") if args.backend == "both" else (args.backend,)):
        results += bench_backend(name, args.records, args.pg, args.keep)
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
