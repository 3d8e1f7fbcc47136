"""SQLite with offices against the Ruam before them (issue #14: "SQLite unchanged within noise").

    python bench/sqlite_offices_bench.py
    python bench/sqlite_offices_bench.py --processes 1500 --rounds 5 --before 1a0e4b4,d556768

Each tree — this one and each ``--before`` revision (checked out with ``git archive`` into a
temporary directory) — drives the spine bench's workload in a process of its own with that
tree as its working directory: a fresh SQLite file, ``--processes`` processes of the bench
organization through the whole procedure, each transition its own committed transaction
(``bench/spine_bench.setup_ruam``, an API every tree here has). The trees run interleaved,
round after round, so that a noisy neighbour slows them alike; each figure is the median of
``--rounds``, every run printed under it. CPU per step is the child's own (``process_time``).

The default revisions: ``1a0e4b4``, the last commit with one global chain and no Merkle tree;
``d556768``, main just before offices landed (one global chain, with the seals' Merkle tree,
which a step grows in its transaction). What offices themselves cost SQLite is this tree
against ``d556768``; against ``1a0e4b4`` it is offices and the tree together.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from bench.offices_bench import tree_at  # noqa: E402 - one way to check out an earlier tree

BEFORE = "1a0e4b4,d556768"

CHILD = """
import json, sys, tempfile, time
sys.path.insert(0, '.')
from bench.spine_bench import setup_ruam
folder = tempfile.mkdtemp()
drive, close = setup_ruam(folder + '/ruam.db', {n})
drive(range(0, {warm}))  # warm: the definitions read, the statements prepared
w0, c0 = time.perf_counter(), time.process_time()
done = drive(range({warm}, {n}))
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
close()
print(json.dumps({{"rate": done / wall, "cpu_us": cpu / done * 1e6}}))
"""


def run(tree: str, processes: int) -> dict:
    warm = min(100, processes // 10)
    out = subprocess.run([sys.executable, "-c", CHILD.format(n=processes, warm=warm)], cwd=tree,
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"the run in {tree} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--processes", type=int, default=1500)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--before", default=BEFORE, help="comma-separated git revisions to compare with")
    args = ap.parse_args()
    trees: dict[str, str] = {}
    temps = []
    for rev in [r for r in args.before.split(",") if r]:
        tmp = tree_at(rev, prefix=f"ruam-{rev}-")
        temps.append(tmp)
        trees[rev] = tmp.name
    trees["this tree"] = str(HERE)
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            runs[name].append(run(tree, args.processes))
    transitions = (args.processes - min(100, args.processes // 10)) * 6
    print(f"sqlite: {transitions:,} transitions per run, each its own committed transaction; "
          f"medians of {args.rounds} runs, interleaved")
    now = statistics.median(r["rate"] for r in runs["this tree"])
    for name, got in runs.items():
        rate = statistics.median(r["rate"] for r in got)
        cpu = statistics.median(r["cpu_us"] for r in got)
        against = "" if name == "this tree" else f"   this tree {now / rate - 1:+.1%}"
        print(f"  {name:<10} {rate:8.0f} transitions/s   {cpu:5.0f} µs CPU/step{against}")
        each = " ".join(f"{r['rate']:.0f}" for r in got)
        print(f"             [{each}]")
    for tmp in temps:
        tmp.cleanup()


if __name__ == "__main__":
    main()
