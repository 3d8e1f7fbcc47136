"""The audit on both backends: a tamper matrix, forged records, as-of replay, two procedure versions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from tests.audit_helpers import at_seq, attack, edit_body, forge_transition, insert_row, row, rows, set_body
from tests.steps import DIRECTOR, HAPPY_PATH, OFFICER, PROCESS, TASK, run
from workflow.ledger import Entry, Record

BODY_FIELDS = ("seq", "prev_hash", "kind", "at", "actor", "role", "responsible", "process", "data")


@pytest.fixture
def ledger(opened, clock):
    """A ledger with definitions, people, roles, a cycle and three steps; returns (app, step records)."""
    steps = []
    for trigger, actor, evidence in HAPPY_PATH[:3]:
        clock.advance(hours=1)
        steps.append(opened.advance(PROCESS, trigger, actor, evidence))
    return opened, steps


def _normalized(app, trigger: str, state: str, evidence: dict) -> dict:
    """Evidence as the engine would have recorded it (a careful forger copies that form)."""
    from workflow.evidence import validate_evidence

    spec = app.active().procedure.transition(trigger, state)
    return validate_evidence(trigger, spec.evidence, evidence)


def _verify(app, **kw):
    from engine.audit.live import verify

    return verify(app, **kw)


def test_untouched_ledger_verifies(ledger):
    app, steps = ledger
    report = _verify(app)
    assert report.ok, list(report.findings)
    assert report.records == steps[-1].seq == report.head_seq
    assert report.processes == 11 and report.assignments > 0
    assert {d["kind"] for d in report.definitions} == {"procedure", "organization", "calendar", "documents"}


def test_every_body_field_changed_is_located(ledger, db_url):
    app, steps = ledger
    last = steps[-1].seq
    targets = {name: last - 10 - 2 * i for i, name in enumerate(BODY_FIELDS)}
    with attack(db_url) as conn:
        for name, seq in targets.items():
            body = row(conn, seq)["body"]
            value = {"seq": 999, "prev_hash": "f" * 64, "kind": "person.forged", "at": "2020-01-01T00:00:00.000000Z",
                     "actor": "mallory", "role": "admin", "responsible": "mallory", "process": "2570/task_x",
                     "data": {"forged": True}}[name]
            set_body(conn, seq, edit_body(body, **{name: value}))
    report = _verify(app)
    assert not report.ok
    for name, seq in targets.items():
        located = at_seq(report.findings, seq, "chain")
        assert any("content changed" in f.message for f in located), (name, seq, located)


@pytest.mark.parametrize("column", ["hash", "prev_hash", "kind", "process_id", "actor", "recorded_at", "body"])
def test_every_column_changed_is_located(ledger, db_url, column):
    app, steps = ledger
    seq = steps[1].seq
    value = {"hash": "e" * 64, "prev_hash": "d" * 64, "kind": "process.opened", "process_id": "2570/task_other",
             "actor": "mallory", "recorded_at": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
             "body": "{}"}[column]
    with attack(db_url) as conn:
        if column == "recorded_at" and conn.dialect.name == "sqlite":
            value = "2020-01-01 00:00:00.000000"
        conn.execute(text(f"UPDATE ledger SET {column} = :v WHERE seq = :s"), {"v": value, "s": seq})
    report = _verify(app)
    assert not report.ok
    first = report.first("chain")
    assert first is not None and first.seq == seq, list(report.findings)


def test_seq_column_changed_is_located(ledger, db_url):
    app, steps = ledger
    seq = steps[1].seq
    with attack(db_url) as conn:
        conn.execute(text("UPDATE ledger SET seq = 100000 WHERE seq = :s"), {"s": seq})
    report = _verify(app)
    first = report.first("chain")
    assert first.seq == seq + 1 and "missing record" in first.message
    assert any("columns differ" in f.message and "seq" in f.message for f in at_seq(report.findings, 100000))


def test_changed_and_rehashed_record_breaks_the_next_link(ledger, db_url):
    app, steps = ledger
    seq = steps[0].seq
    with attack(db_url) as conn:
        rec = Record.from_text(row(conn, seq)["body"])
        forged = Record(**(rec.body() | {"data": rec.data | {"note": "แก้ไขภายหลัง"}}))
        set_body(conn, seq, forged.canonical(), forged.hash)
    report = _verify(app)
    first = report.first("chain")
    assert first.seq == seq + 1 and f"record {seq}" in first.message


def test_deleting_the_first_record_is_located(ledger, db_url):
    app, _ = ledger
    with attack(db_url) as conn:
        conn.execute(text("DELETE FROM ledger WHERE seq = 1"))
    report = _verify(app)
    first = report.first()
    assert first.kind == "chain" and first.seq == 2
    assert {"missing record", "genesis"} <= {w for f in at_seq(report.findings, 2, "chain")
                                             for w in ("missing record", "genesis") if w in f.message}


def test_deleting_a_middle_record_is_located(ledger, db_url):
    app, steps = ledger
    seq = steps[1].seq
    with attack(db_url) as conn:
        conn.execute(text("DELETE FROM ledger WHERE seq = :s"), {"s": seq})
    report = _verify(app)
    first = report.first("chain")
    assert first.seq == seq + 1 and f"expected sequence {seq}" in first.message


def test_deleting_the_last_record_is_located(ledger, db_url):
    app, steps = ledger
    seq = steps[-1].seq
    with attack(db_url) as conn:
        conn.execute(text("DELETE FROM ledger WHERE seq = :s"), {"s": seq})
    report = _verify(app)
    located = at_seq(report.findings, seq, "chain")
    assert located and "removed or added" in located[0].message
    # the live state still shows the deleted step
    assert any(f.kind == "projection" and PROCESS in f.message for f in report.findings)


def test_deleting_the_last_record_and_moving_the_head_needs_the_seal(ledger, db_url):
    from workflow.seal import Seal

    app, steps = ledger
    sealed = _verify(app)
    seal = Seal(head_hash=sealed.head_hash, head_seq=sealed.head_seq)
    last = steps[-1]
    with attack(db_url) as conn:
        conn.execute(text("DELETE FROM ledger WHERE seq = :s"), {"s": last.seq})
        conn.execute(text("UPDATE chain_head SET seq = :s, hash = :h"), {"s": last.seq - 1, "h": last.prev_hash})
        conn.execute(text("UPDATE processes SET state = 'notifying', version = 2 WHERE id = :p"), {"p": PROCESS})
    assert _verify(app).ok  # a perfect cover-up is invisible from inside the database …
    report = _verify(app, seal=seal)  # … but not against the seal taken before
    assert [(f.kind, f.seq) for f in report.findings] == [("seal", last.seq)]
    assert "truncated" in report.findings[0].message


def test_rehashing_the_whole_tail_is_caught_by_the_seal(ledger, db_url):
    from workflow.seal import Seal

    app, steps = ledger
    sealed = _verify(app)
    seal = Seal(head_hash=sealed.head_hash, head_seq=sealed.head_seq)
    seq = steps[0].seq
    with attack(db_url) as conn:
        prev = row(conn, seq - 1)["hash"]
        for r in [r for r in rows(conn) if r["seq"] >= seq]:
            rec = Record.from_text(r["body"])
            body = rec.body() | {"prev_hash": prev}
            if r["seq"] == seq:
                body["data"] = body["data"] | {"note": "แก้ไขภายหลัง"}
            new = Record(**body)
            conn.execute(text("UPDATE ledger SET body = :b, hash = :h, prev_hash = :p WHERE seq = :s"),
                         {"b": new.canonical(), "h": new.hash, "p": prev, "s": r["seq"]})
            prev = new.hash
        conn.execute(text("UPDATE chain_head SET hash = :h"), {"h": prev})
    assert _verify(app).ok
    report = _verify(app, seal=seal)
    assert [(f.kind, f.seq) for f in report.findings] == [("seal", sealed.head_seq)]
    assert "rewritten" in report.findings[0].message


def test_an_inserted_record_is_located(ledger, db_url):
    app, steps = ledger
    seq = steps[0].seq  # insert a record right after this one
    with attack(db_url) as conn:
        tail = [r["seq"] for r in rows(conn) if r["seq"] > seq]
        for s in reversed(tail):
            conn.execute(text("UPDATE ledger SET seq = :n WHERE seq = :s"), {"n": s + 1, "s": s})
        prev = row(conn, seq)["hash"]
        forged = Record.seal(Entry(kind="person.added", at=steps[0].moment, actor="system", role="system",
                                   data={"person": "ghost", "name": "ผี", "position": "", "email": None}),
                             seq + 1, prev)
        # UNIQUE(prev_hash) is a safety net: the forger moves the next row's prev_hash column out of the way
        conn.execute(text("UPDATE ledger SET prev_hash = :h WHERE seq = :s"), {"h": forged.hash, "s": seq + 2})
        insert_row(conn, forged)
    report = _verify(app)
    first = report.first("chain")
    assert first.seq == seq + 2 and "columns differ from the hashed text: seq, prev_hash" in first.message


def test_two_swapped_records_are_located(ledger, db_url):
    app, steps = ledger
    a, b = steps[0].seq, steps[1].seq
    with attack(db_url) as conn:
        ra, rb = row(conn, a), row(conn, b)
        conn.execute(text("UPDATE ledger SET seq = -1 WHERE seq = :s"), {"s": a})
        conn.execute(text("UPDATE ledger SET seq = :n WHERE seq = :s"), {"n": a, "s": b})
        conn.execute(text("UPDATE ledger SET seq = :n WHERE seq = -1"), {"n": b})
        assert row(conn, a)["hash"] == rb["hash"] and row(conn, b)["hash"] == ra["hash"]
    report = _verify(app)
    first = report.first()
    assert first.kind == "chain" and first.seq == a


def test_an_altered_definition_is_located(ledger, db_url):
    app, _ = ledger
    procedure = app.active().procedure.version
    with attack(db_url) as conn:
        reg = next(r["seq"] for r in rows(conn) if r["kind"] == "definition.registered" and procedure in r["body"])
        content = conn.execute(text("SELECT content FROM definitions WHERE version = :v"), {"v": procedure}).scalar()
        conn.execute(text("UPDATE definitions SET content = :c WHERE version = :v"),
                     {"c": content.replace('"group_director"', '"responsible_officer"', 1), "v": procedure})
    from engine.app import Ruam

    report = _verify(Ruam(app.store, clock=app.clock))  # a fresh process: no cached definitions
    located = at_seq(report.findings, reg, "definition")
    assert located and "does not hash" in located[0].message
    assert report.findings.by_kind["chain"] == 0


def test_a_transition_forged_by_someone_without_the_role_is_an_authority_violation(ledger, db_url, clock):
    app, steps = ledger
    last = steps[-1]
    trigger, _, evidence = HAPPY_PATH[3]
    procedure = last.data["procedure"]
    with attack(db_url) as conn:
        forged = forge_transition(conn, Entry(
            kind="process.transitioned", at=clock.advance(hours=1), actor="officer_annual_action_plan",
            role="responsible_officer", responsible=OFFICER, process=PROCESS,
            data={"trigger": trigger, "kind": "advance", "from": "meeting", "to": "reporting",
                  "evidence": _normalized(app, trigger, "meeting", evidence), "procedure": procedure,
                  "version": last.data["version"] + 1}))
    report = _verify(app)
    assert [(f.kind, f.seq) for f in report.findings] == [("authority", forged.seq)]
    assert "officer_annual_action_plan" in report.findings[0].message


def test_a_forged_record_naming_the_wrong_responsible_officer_is_reported(ledger, db_url, clock):
    app, steps = ledger
    last = steps[-1]
    trigger, actor, evidence = HAPPY_PATH[3]
    with attack(db_url) as conn:
        forged = forge_transition(conn, Entry(
            kind="process.transitioned", at=clock.advance(hours=1), actor=actor, role="responsible_officer",
            responsible="director_policy_planning", process=PROCESS,
            data={"trigger": trigger, "kind": "advance", "from": "meeting", "to": "reporting",
                  "evidence": _normalized(app, trigger, "meeting", evidence), "procedure": last.data["procedure"],
                  "version": last.data["version"] + 1}))
    report = _verify(app)
    assert [(f.kind, f.seq) for f in report.findings] == [("authority", forged.seq)]
    assert "responsible officer" in report.findings[0].message


def test_an_illegal_jump_with_a_correct_hash_is_reported_as_illegal(ledger, db_url, clock):
    app, steps = ledger
    last = steps[-1]
    from tests.steps import closing

    with attack(db_url) as conn:
        forged = forge_transition(conn, Entry(
            kind="process.transitioned", at=clock.advance(hours=1), actor=DIRECTOR, role="group_director",
            responsible=OFFICER, process=PROCESS,
            data={"trigger": "close", "kind": "advance", "from": "meeting", "to": "closed",
                  "evidence": _normalized(app, "close", "reviewing_feedback", closing()),
                  "procedure": last.data["procedure"], "version": last.data["version"] + 1}))
    report = _verify(app)
    assert [(f.kind, f.seq) for f in report.findings] == [("legality", forged.seq)]
    assert "'close' from 'meeting'" in report.findings[0].message


def test_forged_evidence_that_fails_a_guard_is_reported(ledger, db_url, clock):
    app, steps = ledger
    last = steps[-1]
    from tests.steps import meeting

    evidence = meeting()
    evidence["attendees"] = [a for a in evidence["attendees"] if not a["external"]]
    with attack(db_url) as conn:
        forged = forge_transition(conn, Entry(
            kind="process.transitioned", at=clock.advance(hours=1), actor=OFFICER, role="responsible_officer",
            responsible=OFFICER, process=PROCESS,
            data={"trigger": "record_meeting", "kind": "advance", "from": "meeting", "to": "reporting",
                  "evidence": _normalized(app, "record_meeting", "meeting", evidence),
                  "procedure": last.data["procedure"], "version": last.data["version"] + 1}))
    report = _verify(app)
    assert [(f.kind, f.seq) for f in report.findings] == [("legality", forged.seq)]
    assert "guards fail" in report.findings[0].message


def test_a_projection_changed_behind_the_ledger_is_reported(ledger, db_url):
    app, _ = ledger
    with attack(db_url) as conn:
        conn.execute(text("UPDATE processes SET state = 'closed' WHERE id = :p"), {"p": PROCESS})
    report = _verify(app)
    assert [f.kind for f in report.findings] == ["projection"]
    assert PROCESS in report.findings[0].message


def test_missing_ledger_triggers_are_reported(ledger, db_url):
    app, _ = ledger
    from sqlalchemy import create_engine

    from storage.db import normalize_url

    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER ledger_no_update" + ("" if conn.dialect.name == "sqlite" else " ON ledger"))
    engine.dispose()
    report = _verify(app)
    assert [f.kind for f in report.findings] == ["storage"]


# --------------------------------------------------------------------------- replay as of, history


def test_replay_as_of_equals_the_state_captured_at_that_moment(opened, clock):
    from engine.audit.live import replay_as_of

    opened_at = clock.now
    before = clock.now - dt.timedelta(minutes=1)
    captured = []
    for trigger, actor, evidence in HAPPY_PATH:
        clock.advance(days=2)
        opened.advance(PROCESS, trigger, actor, evidence)
        captured.append((clock.now, {p["id"]: (p["state"], p["version"]) for p in opened.processes()}))
        clock.advance(hours=5)
    for moment, expected in captured:
        state = replay_as_of(opened, moment)
        assert {p["id"]: (p["state"], p["version"]) for p in state["processes"]} == expected
        assert state["ledger_ok"]
    # and between two steps (nothing happened in those five hours)
    mid = captured[2][0] + dt.timedelta(hours=3)
    state = replay_as_of(opened, mid)
    assert {p["id"]: (p["state"], p["version"]) for p in state["processes"]} == captured[2][1]
    assert replay_as_of(opened, before)["processes"] == []  # the cycle opened a minute later
    assert {p["state"] for p in replay_as_of(opened, opened_at)["processes"]} == {"analyzing_regulations"}


def test_replay_as_of_shows_who_was_responsible_then(opened, clock):
    from engine.audit.live import replay_as_of

    first = clock.now
    clock.advance(days=1)
    opened.add_person("new_officer", "เจ้าหน้าที่ใหม่")
    rec = opened.assign_role("new_officer", "responsible_officer", TASK)
    then = [p for p in replay_as_of(opened, first)["processes"] if p["id"] == PROCESS][0]
    now = [p for p in replay_as_of(opened, clock.now)["processes"] if p["id"] == PROCESS][0]
    assert then["responsible"] == OFFICER and now["responsible"] == "new_officer"
    assert any(a["id"] == rec.data["assignment"] for a in replay_as_of(opened, clock.now)["assignments"])


def test_history_is_the_timeline_of_one_process(ledger):
    from engine.audit.live import history

    app, steps = ledger
    h = history(app, PROCESS)
    assert h["intact"] and h["state"] == "meeting"
    assert [e["kind"] for e in h["entries"]] == ["process.opened"] + ["process.transitioned"] * 3
    step = h["entries"][1]
    assert (step["trigger"], step["actor"], step["role"], step["responsible"]) == (
        "complete_analysis", OFFICER, "responsible_officer", OFFICER)
    assert step["evidence"]["legal_bases"] and step["at_be"].endswith("น.")


# --------------------------------------------------------------------------- two versions of the procedure


def _procedure_v2() -> tuple[str, str]:
    from definitions import shipped_texts

    name, text_ = next(t for t in shipped_texts() if t[0].endswith("procedure.yaml"))
    old = "  - trigger: close\n    from: reviewing_feedback\n"
    assert old in text_
    return name, text_.replace(old, "  - trigger: close\n    from: [reporting, reviewing_feedback]\n")


def _numbered(number: str, actors: dict[str, str] | None = None) -> list:
    """The happy path with its own order number (unique within the year) and, if given, other actors."""
    from tests.steps import appointment

    return [(t, (actors or {}).get(a, a), appointment(number=number) if t == "issue_appointment" else e)
            for t, a, e in HAPPY_PATH]


def test_a_ledger_spanning_two_procedure_versions_replays_correctly(opened, clock, db_url):
    from tests.steps import closing

    v1 = opened.active().procedure.version
    clock.advance(days=1)
    opened.register_definitions([_procedure_v2()])
    v2 = opened.active().procedure.version
    assert v1 != v2
    opened.open_cycle(2571)
    clock.advance(days=1)
    run(opened, HAPPY_PATH)  # 2570 runs under v1 to the end
    p2 = f"2571/{TASK}"
    run(opened, _numbered("๒๐๐/๒๕๖๙")[:4], p2)
    shortcut = opened.advance(p2, "close", DIRECTOR, closing())  # legal only under v2
    assert shortcut.data["from"] == "reporting" and shortcut.data["procedure"] == v2
    report = _verify(opened)
    assert report.ok, list(report.findings)
    assert sum(d["kind"] == "procedure" for d in report.definitions) == 2

    # the same shortcut forged on a process that runs under v1 is illegal there
    p1 = "2570/task_annual_action_plan"
    run(opened, _numbered("๓๐๐/๒๕๖๙", {OFFICER: "officer_annual_action_plan",
                                       DIRECTOR: "director_policy_planning"})[:4], p1)
    proc = opened.process(p1)
    with attack(db_url) as conn:
        forged = forge_transition(conn, Entry(
            kind="process.transitioned", at=clock.advance(hours=1), actor="director_policy_planning",
            role="group_director", responsible="officer_annual_action_plan", process=p1,
            data={"trigger": "close", "kind": "advance", "from": "reporting", "to": "closed",
                  "evidence": _normalized(opened, "close", "reviewing_feedback", closing()),
                  "procedure": v1, "version": proc["version"] + 1}))
    report = _verify(opened)
    assert [(f.kind, f.seq) for f in report.findings] == [("legality", forged.seq)]
    assert v1[:12] in report.findings[0].message


def test_a_replaced_attachment_is_reported(ledger, db_url):
    app, _ = ledger
    sha = app.store_attachment(b"%PDF-1.4 order", "คำสั่ง.pdf", "application/pdf")["sha256"]
    assert _verify(app).ok
    with attack(db_url) as conn:
        conn.execute(text("UPDATE attachments SET content = :c WHERE sha256 = :s"), {"c": b"%PDF-1.4 forged", "s": sha})
    report = _verify(app)
    assert [(f.kind, f.seq) for f in report.findings] == [("attachment", None)]
    assert sha[:12] in report.findings[0].message and "ไฟล์แนบ" in report.findings[0].text("th")
