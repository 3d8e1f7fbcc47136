"""Invariant 5: two concurrent commands on one process — exactly one wins, the
other is refused, nothing partial is stored. And a writer killed mid-run."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from engine.app import Ruam
from engine.audit.live import verify
from tests import steps
from tests.steps import PROCESS
from workflow.errors import Conflict, InvalidTransition, StorageError


def _race(app, trigger, actor, evidence, n=8, expected_version=None):
    barrier = threading.Barrier(n)
    results = []

    def worker():
        mine = Ruam(app.store, clock=app.clock)
        barrier.wait()
        try:
            mine.advance(PROCESS, trigger, actor, evidence, expected_version=expected_version)
            results.append("ok")
        except (Conflict, InvalidTransition) as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_threads_racing_on_every_step(opened):
    for i, (trigger, actor, evidence) in enumerate(steps.HAPPY_PATH):
        version = opened.process(PROCESS)["version"]
        results = _race(opened, trigger, actor, evidence, expected_version=version if i % 2 else None)
        assert results.count("ok") == 1, results
        assert len(results) == 8
    info = opened.process(PROCESS)
    assert info["state"] == "closed" and info["version"] == 6
    assert len([h for h in info["history"] if h["kind"] == "process.transitioned"]) == 6
    report = verify(opened)
    assert report.ok, report.findings


def test_processes_racing_for_one_order_number_leave_it_to_exactly_one(opened):
    """Several processes issue their order with the same number at once: one takes it, every
    other is refused (the number taken), and nothing of theirs is stored."""
    from workflow.errors import Duplicate, EvidenceInvalid

    group = next(g for g in opened.active().organization.mission_groups if len(g.tasks) >= 3)
    tasks = [t.id for t in group.tasks][:3]
    director = f"director_{group.units[0].removeprefix('group_')}"
    for task in tasks:
        opened.advance(f"2570/{task}", "complete_analysis", "officer_" + task.removeprefix("task_"), steps.analysis())
    barrier, results = threading.Barrier(len(tasks)), []

    def worker(task):
        mine = Ruam(opened.store, clock=opened.clock)
        barrier.wait()
        try:
            mine.advance(f"2570/{task}", "issue_appointment", director, steps.appointment(number="๗๗/๒๕๖๙"))
            results.append("ok")
        except (Duplicate, EvidenceInvalid) as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=worker, args=(t,)) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1 and len(results) == len(tasks), results
    states = [opened.process(f"2570/{t}")["state"] for t in tasks]
    assert sorted(states) == ["appointing"] * (len(tasks) - 1) + ["notifying"], states
    report = verify(opened)
    assert report.ok, report.findings


def test_threads_on_different_processes_all_win_and_the_chain_stays_linear(opened):
    tasks = [t.id for t in opened.active().organization.tasks]
    errors = []
    barrier = threading.Barrier(len(tasks))

    def worker(task):
        barrier.wait()
        try:
            Ruam(opened.store, clock=opened.clock).advance(
                f"2570/{task}", "complete_analysis", "officer_" + task.removeprefix("task_"), steps.analysis())
        except StorageError as exc:  # pragma: no cover - would be a failure below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(p["state"] == "appointing" for p in opened.processes(fiscal_year=2570))
    assert verify(opened).ok


@pytest.mark.slow
def test_sigkill_in_a_run_of_advances_leaves_nothing_partial(app, db_url):
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    proc = subprocess.Popen([sys.executable, "-m", "tests.driver", db_url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True)
    seen = 0
    try:
        deadline = time.monotonic() + 60
        while seen < 25 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen = int(line)
        time.sleep(0.05)  # let it get into the middle of another transaction
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    errors = proc.stderr.read()
    proc.stderr.close()
    assert seen >= 25, errors
    report = verify(app)
    assert report.ok, report.findings
    steps_done = sum(p["version"] for p in app.processes())
    transitions = [r for r in app.log_records() if r.kind == "process.transitioned"]
    assert steps_done == len(transitions) >= seen
