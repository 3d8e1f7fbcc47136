"""Invariants 1 and 2: the ledger refuses changes, and any change made around
that refusal (as someone with database rights could) is detected and located."""

import json
import subprocess
import sys

import pytest
from sqlalchemy import text

from engine.audit.live import verify
from tests import steps
from workflow.canonical import canonical_text, sha256_hex


@pytest.fixture
def ledger(opened):
    steps.run(opened, steps.HAPPY_PATH[:3])
    return opened


def _sql(app, *statements, **params):
    with app.store.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), params)


def _unguard(app):
    if app.store.dialect == "sqlite":
        _sql(app, "DROP TRIGGER ledger_no_update", "DROP TRIGGER ledger_no_delete")
    else:
        _sql(app, "ALTER TABLE ledger DISABLE TRIGGER USER")


def _row(app, seq):
    with app.store.engine.connect() as conn:
        return conn.execute(text("SELECT seq, prev_hash, hash, body FROM ledger WHERE seq = :s"), {"s": seq}).one()


def test_the_database_refuses_update_and_delete(ledger):
    from sqlalchemy.exc import DBAPIError

    for statement in ("UPDATE ledger SET actor = 'x' WHERE seq = 1", "DELETE FROM ledger WHERE seq = 1"):
        with pytest.raises(DBAPIError, match="append-only"):
            _sql(ledger, statement)
    assert verify(ledger).ok


def _last_seq(app):
    return len(app.log_records())


def _first_finding_seq(app):
    report = verify(app)
    assert not report.ok
    return report.findings[0].seq


def test_changed_body_is_located(ledger):
    _unguard(ledger)
    seq = _last_seq(ledger) - 1
    body = json.loads(_row(ledger, seq).body)
    body["actor"] = "esa_director"
    _sql(ledger, "UPDATE ledger SET body = :b WHERE seq = :s", b=canonical_text(body), s=seq)
    assert _first_finding_seq(ledger) == seq


def test_rehashed_record_breaks_the_next_link(ledger):
    _unguard(ledger)
    seq = _last_seq(ledger) - 2
    body = json.loads(_row(ledger, seq).body)
    body["data"]["evidence"] = {"summary": "แก้ไขย้อนหลัง"}
    new = canonical_text(body)
    _sql(ledger, "UPDATE ledger SET body = :b, hash = :h WHERE seq = :s", b=new, h=sha256_hex(new), s=seq)
    report = verify(ledger)
    assert {f.seq for f in report.findings if f.kind == "chain"} == {seq + 1}


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_deleted_record_is_located(ledger, where):
    _unguard(ledger)
    last = _last_seq(ledger)
    seq = {"first": 1, "middle": last // 2, "last": last}[where]
    _sql(ledger, "DELETE FROM ledger WHERE seq = :s", s=seq)
    report = verify(ledger)
    assert not report.ok
    located = {f.seq for f in report.findings}
    assert (seq + 1 in located) if where != "last" else (last in located)


def test_inserted_record_is_located(ledger):
    _unguard(ledger)
    last = _last_seq(ledger)
    row = _row(ledger, last)
    body = json.loads(row.body)
    body.update(seq=last + 1, prev_hash=row.hash)
    forged = canonical_text(body)
    _sql(ledger, "INSERT INTO ledger (seq, prev_hash, hash, kind, process_id, actor, recorded_at, body) "
                 "SELECT :s, :p, :h, kind, process_id, actor, recorded_at, :b FROM ledger WHERE seq = :o",
         s=last + 1, p=row.hash, h=sha256_hex(forged), b=forged, o=last)
    report = verify(ledger)
    assert not report.ok
    assert last + 1 in {f.seq for f in report.findings}


def test_swapped_records_are_located(ledger):
    _unguard(ledger)
    a, b = _last_seq(ledger) - 1, _last_seq(ledger)
    ra, rb = _row(ledger, a), _row(ledger, b)
    _sql(ledger, "DELETE FROM ledger WHERE seq IN (:a, :b)", a=a, b=b)
    for seq, row in ((a, rb), (b, ra)):
        _sql(ledger, "INSERT INTO ledger (seq, prev_hash, hash, kind, process_id, actor, recorded_at, body) "
                     "VALUES (:s, :p, :h, 'process.transitioned', '2570/task_teacher_welfare', 'x', "
                     "CURRENT_TIMESTAMP, :b)", s=seq, p=row.prev_hash, h=row.hash, b=row.body)
    assert _first_finding_seq(ledger) == a


def test_projection_changed_behind_the_ledgers_back(ledger):
    _sql(ledger, "UPDATE processes SET state = 'closed' WHERE id = '2570/task_teacher_welfare'")
    report = verify(ledger)
    assert [f.kind for f in report.findings] == ["projection"]
    assert "closed" in report.findings[0].message


def test_missing_triggers_are_reported(ledger):
    _unguard(ledger)
    assert any(f.kind == "storage" for f in verify(ledger).findings)


def test_ruam_verify_exits_1_naming_the_record(ledger, db_url):
    _unguard(ledger)
    seq = 5
    body = json.loads(_row(ledger, seq).body)
    body["role"] = "esa_director"
    _sql(ledger, "UPDATE ledger SET body = :b WHERE seq = :s", b=canonical_text(body), s=seq)
    done = subprocess.run([sys.executable, "-m", "engine.cli", "verify", "--db", db_url, "--lang", "en"],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "first at #5" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
