"""A step decided on what the server read at its previous step (engine.steps): whatever
another server process changed meanwhile — the process moved, a role ended or granted —
is seen, exactly as if nothing had been remembered. On both backends (PostgreSQL checks
what it remembered in the writing statement, SQLite before deciding, under its write lock)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from engine.app import Ruam
from engine.audit.live import verify
from storage.store import Store
from tests import steps
from tests.steps import DIRECTOR, OFFICER, PROCESS, TASK
from workflow.errors import Conflict, InvalidTransition, NotAllowed


@pytest.fixture
def other(opened, db_url):
    """The same database opened by another server process (its own store and memory)."""
    store = Store(db_url)
    yield Ruam(store, clock=opened.clock)
    store.dispose()


def _remembers(app) -> bool:
    return app.step_reads.get(PROCESS) is not None


def test_a_step_remembers_what_it_read_and_wrote(opened):
    steps.run(opened, steps.HAPPY_PATH[:1])  # (the very first, when the server knew nothing of the task)
    assert _remembers(opened)
    proc, _held, extra = opened.step_reads.get(PROCESS)
    assert (proc["state"], proc["version"], len(extra["history"])) == ("appointing", 1, 2)


def test_steps_taken_by_another_server_are_seen(opened, other):
    steps.run(opened, steps.HAPPY_PATH[:2])
    steps.run(other, steps.HAPPY_PATH[2:3])          # the letters, sent through the other server
    with pytest.raises(InvalidTransition):           # this server cannot send them again on what it remembers
        steps.run(opened, steps.HAPPY_PATH[2:3])
    steps.run(opened, steps.HAPPY_PATH[3:])          # and goes on from where the process really is
    info = opened.process(PROCESS)
    assert info["state"] == "closed" and info["version"] == 6
    moves = [h for h in info["history"] if h["kind"] == "process.transitioned"]
    assert [m["data"]["trigger"] for m in moves] == [t for t, _, _ in steps.HAPPY_PATH]
    assert verify(opened).ok


def test_a_version_pinned_step_is_refused_once_another_server_moved_the_process(opened, other):
    steps.run(opened, steps.HAPPY_PATH[:2])
    seen = opened.process(PROCESS)["version"]
    steps.run(other, steps.HAPPY_PATH[2:3])
    trigger, actor, evidence = steps.HAPPY_PATH[3]
    with pytest.raises(Conflict):
        opened.advance(PROCESS, trigger, actor, evidence, expected_version=seen)
    assert opened.process(PROCESS)["version"] == seen + 1  # nothing of the refused step stored


def test_a_role_ended_by_another_server_is_refused_at_the_next_step(opened, other, clock):
    steps.run(opened, steps.HAPPY_PATH[:2])
    clock.advance(seconds=1)
    [held] = [a["id"] for p in other.people() if p["id"] == DIRECTOR
              for a in p["assignments"] if a["role"] == "group_director" and a["active"]]
    other.end_assignment(held)
    trigger, _, evidence = steps.HAPPY_PATH[2]  # the letters, sent by the director who no longer directs
    with pytest.raises(NotAllowed):
        opened.advance(PROCESS, trigger, DIRECTOR, evidence)
    assert opened.process(PROCESS)["version"] == 2
    assert opened.advance(PROCESS, trigger, OFFICER, evidence).data["to"] == "meeting"


def test_a_role_granted_by_another_server_counts_at_the_next_step(opened, other):
    steps.run(opened, steps.HAPPY_PATH[:2])
    other.add_person("officer_new", "ผู้รับผิดชอบคนใหม่ (ตัวอย่าง)")
    trigger, _, evidence = steps.HAPPY_PATH[2]
    with pytest.raises(NotAllowed):  # no role yet
        opened.advance(PROCESS, trigger, "officer_new", evidence)
    other.assign_role("officer_new", "responsible_officer", TASK)
    assert opened.advance(PROCESS, trigger, "officer_new", evidence).data["to"] == "meeting"


def test_every_change_of_a_role_moves_the_office_epoch(opened, clock):
    def epoch() -> int:
        with opened.store.engine.connect() as conn:
            return conn.execute(text("SELECT roles_epoch FROM offices WHERE id = 1")).scalar()

    before = epoch()
    rec = opened.assign_role(OFFICER, "ktpn_member")
    clock.advance(seconds=1)
    granted = epoch()
    opened.end_assignment(rec.data["assignment"])
    assert before < granted < epoch()
