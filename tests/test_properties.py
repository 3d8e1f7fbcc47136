"""Property tests where the domain has laws (SQLite; the contract suites run on both).

- whatever sequence of commands officers try, replay(ledger) == projection and
  the chain verifies;
- any single-record change is detected at that record;
- canonical encoding: equal text for NFC-equal input.
"""

import datetime as dt
import json
import shutil
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from engine.app import Ruam
from engine.audit.live import verify
from storage.store import Store
from tests import steps
from tests.conftest import Clock
from workflow.canonical import canonical_text, sha256_hex
from workflow.errors import RuamError

TASKS = ["task_teacher_welfare", "task_cooperation_network", "task_annual_action_plan"]
ACTORS = ["officer_teacher_welfare", "officer_cooperation_network", "officer_annual_action_plan",
          "director_administration", "director_policy_planning", "auditor"]
EVIDENCE = {
    "complete_analysis": steps.analysis(), "issue_appointment": None, "send_notifications": steps.notifications(),
    "record_meeting": steps.meeting(), "send_report": steps.report(), "next_round": {"decisions": steps.decisions()},
    "close": steps.closing(), "send_back": {"reason": "แก้ไข"}, "cancel": {"reason": "ยกเลิก"},
}
TRIGGERS = list(EVIDENCE)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "ruam.db"
    store = Store(f"sqlite:///{path}")
    app = Ruam(store, clock=Clock(dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)))
    app.init(demo=True)
    app.open_cycle(2570)
    store.dispose()
    return path


def _fresh(template, tmp_path, name):
    path = tmp_path / name
    shutil.copy(template, path)
    store = Store(f"sqlite:///{path}")
    return Ruam(store, clock=Clock(dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc))), store


commands = st.lists(st.tuples(st.sampled_from(TASKS), st.sampled_from(TRIGGERS), st.sampled_from(ACTORS)),
                    min_size=1, max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands)
def test_replay_equals_projection_whatever_is_tried(template, tmp_path, script):
    app, store = _fresh(template, tmp_path, "prop.db")
    try:
        accepted = 0
        for n, (task, trigger, actor) in enumerate(script):
            evidence = EVIDENCE[trigger] or steps.appointment(number=f"{n}/{task[:4]}/2569".replace("/", "", 1))
            app.clock.advance(minutes=1)
            try:
                app.advance(f"2570/{task}", trigger, actor, evidence)
                accepted += 1
            except RuamError:
                pass
        report = verify(app)
        assert report.ok, report.findings
        assert sum(p["version"] for p in app.processes()) == accepted
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def walked(template, tmp_path_factory):
    path = tmp_path_factory.mktemp("walked") / "ruam.db"
    shutil.copy(template, path)
    store = Store(f"sqlite:///{path}")
    app = Ruam(store, clock=Clock(dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)))
    steps.run(app, steps.HAPPY_PATH)
    with store.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER ledger_no_update"))
        count = conn.execute(text("SELECT count(*) FROM ledger")).scalar()
    store.dispose()
    return path, count


FIELDS = ["kind", "at", "actor", "role", "responsible", "process", "data"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_single_record_change_is_detected_at_that_record(walked, tmp_path, data):
    path, count = walked
    seq = data.draw(st.integers(1, count), label="seq")
    field = data.draw(st.sampled_from(FIELDS), label="field")
    target = tmp_path / "tampered.db"
    shutil.copy(path, target)
    store = Store(f"sqlite:///{target}")
    try:
        with store.engine.begin() as conn:
            body = json.loads(conn.execute(text("SELECT body FROM ledger WHERE seq = :s"), {"s": seq}).scalar())
            body[field] = {"forged": True} if field == "data" else f"{body[field]}-x"
            conn.execute(text("UPDATE ledger SET body = :b WHERE seq = :s"), {"b": canonical_text(body), "s": seq})
        app = Ruam(store)
        report = verify(app)
        assert not report.ok
        assert min(f.seq for f in report.findings if f.kind == "chain") == seq
    finally:
        store.dispose()


@given(st.text(max_size=30))
def test_canonical_text_is_the_same_for_nfc_equal_input(s):
    decomposed, composed = unicodedata.normalize("NFD", s), unicodedata.normalize("NFC", s)
    a = canonical_text({"k": decomposed, "list": [decomposed]})
    b = canonical_text({"list": [composed], "k": composed})
    assert a == b and sha256_hex(a) == sha256_hex(b)
