"""The partitioned audit (worker processes split by process id) finds what one process finds.

Both backends. Three parts over the eleven processes of 2570, split by id:
task_annual_action_plan (first) is folded by the coordinator,
task_quality_assurance by one worker, task_teacher_welfare by the other.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from tests.audit_helpers import attack, forge_transition, row, set_body
from tests.steps import HAPPY_PATH, PROCESS, analysis, run
from workflow.ledger import Entry

OTHER = "2570/task_annual_action_plan"
OTHER_OFFICER = "officer_annual_action_plan"
OTHER_DIRECTOR = "director_policy_planning"


@pytest.fixture
def ledger(opened, clock):
    steps = run(opened, HAPPY_PATH[:3])
    clock.advance(hours=1)
    other = opened.advance(OTHER, "complete_analysis", OTHER_OFFICER, analysis())
    clock.advance(hours=1)
    return opened, steps, other


def _verify(app, workers):
    from engine.audit.live import verify

    return verify(app, workers=workers)


def _located(report) -> list[tuple[str, int | None]]:
    return sorted(((f.kind, f.seq) for f in report.findings), key=lambda k: (k[1] is None, k[1] or 0, k[0]))


def test_the_parts_together_equal_one_process(ledger):
    app, steps, other = ledger
    one, parts = _verify(app, 1), _verify(app, 3)
    assert one.ok and parts.ok, (list(one.findings), list(parts.findings))
    assert parts.checks["workers"] == "3" and "workers" not in one.checks
    for name in ("records", "processes", "people", "assignments", "last_seq", "last_hash", "head_seq"):
        assert getattr(parts, name) == getattr(one, name), name
    assert parts.records == other.seq


def test_the_parts_find_and_locate_what_one_process_finds(ledger, db_url, clock):
    app, steps, other = ledger
    appointed = steps[1]
    with attack(db_url) as conn:
        # 1. a changed record in one part
        body = row(conn, steps[2].seq)["body"]
        set_body(conn, steps[2].seq, body.replace("ศธ", "ศร", 1))
        # 2. the other part's process reuses the first one's appointment order number (correct hash)
        forged = forge_transition(conn, Entry(
            kind="process.transitioned", at=clock.advance(hours=1), actor=OTHER_DIRECTOR, role="group_director",
            responsible=OTHER_OFFICER, process=OTHER,
            data={"trigger": "issue_appointment", "kind": "advance", "from": "appointing", "to": "notifying",
                  "evidence": appointed.data["evidence"], "procedure": other.data["procedure"], "version": 2}))
        # 3. a process table row edited behind the ledger
        conn.execute(text("UPDATE processes SET state = 'closed' WHERE id = '2570/task_quality_assurance'"))
    one, parts = _verify(app, 1), _verify(app, 3)
    assert not one.ok
    assert _located(parts) == _located(one)
    assert ("chain", steps[2].seq) in _located(one)
    assert ("legality", forged.seq) in _located(one)
    conflict = next(f for f in parts.findings if f.seq == forged.seq)
    assert "already used" in conflict.message and PROCESS in conflict.message
    assert any(f.kind == "projection" and "task_quality_assurance" in f.message for f in parts.findings)
    assert parts.findings.total == one.findings.total
    assert dict(parts.findings.by_kind) == dict(one.findings.by_kind)


def test_a_partitioned_replay_as_of_equals_one_process(ledger, clock):
    from engine.audit.live import replay_as_of

    app, steps, other = ledger
    moment = dt.datetime.fromisoformat(steps[-1].at.replace("Z", "+00:00")) + dt.timedelta(seconds=1)
    one, parts = replay_as_of(app, moment, workers=1), replay_as_of(app, moment, workers=3)
    assert parts["processes"] == one["processes"]
    assert parts["records_folded"] == one["records_folded"]
    mine = next(p for p in parts["processes"] if p["id"] == PROCESS)
    assert mine["state"] == "meeting" and mine["version"] == 3  # the other process moved an hour later
    assert next(p for p in parts["processes"] if p["id"] == OTHER)["state"] == "analyzing_regulations"


def test_a_partitioned_replay_counts_only_what_it_folded(ledger, clock):
    from engine.audit.live import replay_as_of

    app, steps, other = ledger
    trigger, actor, evidence = HAPPY_PATH[3]
    moment = clock.now + dt.timedelta(seconds=1)
    clock.advance(hours=1)
    later = app.advance(PROCESS, trigger, actor, evidence)  # a worker's record after the moment
    one, parts = replay_as_of(app, moment, workers=1), replay_as_of(app, moment, workers=3)
    assert parts["records_folded"] == one["records_folded"] == other.seq == later.seq - 1
    assert parts["processes"] == one["processes"]
