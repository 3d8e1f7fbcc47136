"""One office, one chain: clients of a Ruam tree (this one, or an older commit's) in one database.

Run by ``bench/offices_bench.py`` with the tree to measure as the working directory, so that
the same script drives today's code and an earlier commit's (the single-chain Ruam before
offices) through the API both have: ``Store``, ``Ruam``, ``register_definitions``,
``add_person``, ``assign_role``, ``open_cycle``, ``advance``.

    python bench/one_chain_clients.py setup URL CLIENTS
    python bench/one_chain_clients.py client URL K

``setup``: a fresh schema, the bench organization with 11 tasks per client (one group, an
officer each), FY 2570 opened. ``client``: advances its 11 processes (tasks ``11K … 11K+10``)
through the whole procedure (66 steps, round-robin over the processes): it prints ``ready``
once warm (the same steps on its processes of the next fiscal year), starts when a line arrives on its input (so all clients start together), and
prints ``{"t0", "t1", "steps"}`` (``time.perf_counter``: one clock for every process here).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

FY = 2570
WARM_FY = 2571  # each client first runs its processes of this year: its connection warm, as a server's is


def setup(url: str, clients: int) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()

    from engine.app import Ruam
    from engine.logs import configure
    from storage.store import Store

    configure("WARNING")
    store = Store(url)
    store.migrate()
    populate(Ruam(store), 11 * clients)
    store.dispose()


def populate(app, tasks: int) -> None:
    """The shipped procedure, the bench organization with ``tasks`` tasks, their people, FY 2570
    and the warm-up year."""
    from bench.spine_bench import organization_yaml
    from definitions import shipped_texts

    app.register_definitions([t for t in shipped_texts() if "procedure" in t[0]]
                             + [("bench-organization.yaml", organization_yaml(tasks))])
    app.add_person("bench_director", "ผู้อำนวยการกลุ่ม (ตัวอย่าง)")
    app.assign_role("bench_director", "group_director", "group_bench")
    for t in range(tasks):
        app.add_person(f"officer_{t:05d}", f"ผู้รับผิดชอบ {t} (ตัวอย่าง)")
        app.assign_role(f"officer_{t:05d}", "responsible_officer", f"task_{t:05d}")
    app.open_cycle(FY)
    app.open_cycle(WARM_FY)


def plan(client: int, fy: int = FY) -> list[tuple[str, str, str, dict]]:
    from bench.spine_bench import path_for

    per_process = []
    for i in range(client * 11, (client + 1) * 11):
        pid, officer = f"{fy}/task_{i:05d}", f"officer_{i:05d}"
        number = i if fy == FY else 100_000 + i  # (an order number is unique in its calendar year)
        per_process.append([(pid, *step) for step in path_for(number, officer)])
    return [row for rnd in zip(*per_process) for row in rnd]


def client(url: str, k: int) -> None:
    from engine.app import Ruam
    from engine.logs import configure
    from storage.store import Store
    from workflow.machine import machine_for

    configure("WARNING")
    store = Store(url)
    app = Ruam(store)
    steps = plan(k)
    machine_for(app.active().procedure)  # warm, as a running server is
    for step in plan(k, WARM_FY):
        app.advance(*step)
    print("ready", flush=True)
    sys.stdin.readline()
    t0 = time.perf_counter()
    for pid, trigger, actor, evidence in steps:
        app.advance(pid, trigger, actor, evidence)
    t1 = time.perf_counter()
    store.dispose()
    print(json.dumps({"t0": t0, "t1": t1, "steps": len(steps)}))


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]))
