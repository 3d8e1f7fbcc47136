"""What the Merkle tree costs an advance: the same procedure steps on two Ruam
databases in the same run, one keeping the tree (as shipped), one with the tree's
append hook switched off (``storage.merkle.grow`` a no-op for that database; on
PostgreSQL, where a single record's sealing statement grows the tree itself, that
statement without its tree part), in interleaved rounds so a noisy neighbour slows
both alike.

    python bench/merkle_bench.py --backend sqlite --processes 2000
    python bench/merkle_bench.py --backend postgresql --processes 2000 \
        --pg postgresql://postgres@127.0.0.1:5432/test

Target (issue #15): an advance with the tree at most ~10% slower.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.spine_bench import fresh_pg, setup_ruam  # the spine bench's set-up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--processes", type=int, default=2000)
    parser.add_argument("--pg", default=os.environ.get("RUAM_TEST_DATABASE_URL",
                                                       "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    from storage import merkle

    off: set = set()
    real = merkle.grow

    def grow(tx, *a, **kw):
        if tx.conn.engine in off:
            return None
        return real(tx, *a, **kw)

    merkle.grow = grow

    from storage import hotpath
    from storage.store import Tx

    real_statement = Tx._tree_statement

    def tree_statement(self, statement, args):
        if self.conn.engine in off:  # the same statement without the tree's CTEs and their two chain keys
            statement = statement.replace(hotpath._TREE, "")
            at = next(i for i in range(len(args) - 1) if args[i] == args[i + 1] == self.chain_key)
            args = (*args[:at], *args[at + 2:])
        return real_statement(self, statement, args)

    Tx._tree_statement = tree_statement
    n, drops = args.processes, []
    if args.backend == "sqlite":
        tmp = tempfile.TemporaryDirectory()
        drops.append(tmp.cleanup)
        urls = [os.path.join(tmp.name, "tree.db"), os.path.join(tmp.name, "plain.db")]
    else:
        base = args.pg.replace("postgresql+psycopg://", "postgresql://")
        urls = []
        for _ in range(2):
            url, drop = fresh_pg(base)
            urls.append(url)
            drops.append(drop)
    with_tree = setup_ruam(urls[0], n)
    without = setup_ruam(urls[1], n)
    off.add(without[1].__self__.engine)  # setup_ruam returns (drive, store.dispose)
    totals = {"tree": [0, 0.0], "plain": [0, 0.0]}
    ratios = []
    rounds = max(1, min(args.rounds, n))
    bounds = [n * r // rounds for r in range(rounds + 1)]
    try:
        for r in range(rounds):
            order = (("tree", with_tree), ("plain", without)) if r % 2 == 0 else (("plain", without), ("tree", with_tree))
            per = {}
            for name, (drive, _close) in order:
                start = time.perf_counter()
                done = drive(range(bounds[r], bounds[r + 1]))
                spent = time.perf_counter() - start
                totals[name][0] += done
                totals[name][1] += spent
                per[name] = spent / max(done, 1)
            ratios.append(per["tree"] / per["plain"])
    finally:
        with_tree[1]()
        without[1]()
        for drop in drops:
            drop()
    (t_n, t_s), (p_n, p_s) = totals["tree"], totals["plain"]
    print(f"{args.backend}: {n} processes, {t_n} transitions each side, one committed transaction each "
          f"({rounds} interleaved rounds)")
    print(f"  without the tree : {p_n / p_s:9.1f} transitions/s ({p_s / p_n * 1000:.3f} ms each)")
    print(f"  with the tree    : {t_n / t_s:9.1f} transitions/s ({t_s / t_n * 1000:.3f} ms each)")
    print(f"  cost             : {(t_s / t_n) / (p_s / p_n) - 1:+9.1%} per advance overall, "
          f"{statistics.median(ratios) - 1:+.1%} median of the rounds (target <= +10%)")


if __name__ == "__main__":
    main()
