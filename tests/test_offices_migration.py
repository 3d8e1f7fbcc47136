"""A database made before offices (revision 0006) becomes the default office with its
chain intact: it verifies before and after the migration, on both backends, every
record keeps its hash, and the office goes on appending (and a second office with it)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from engine.app import Ruam
from engine.audit.live import verify
from engine.calendar import tick
from engine.offices import add_office
from storage.migrate import upgrade
from storage.store import Store
from tests.steps import HAPPY_PATH, run
from workflow.chain import check_chain

# the tables of revision 0006 (and their columns then: today's less office_id)
OLD_TABLES = ["definitions", "active_definitions", "people", "role_assignments", "processes", "document_numbers",
              "attachments", "feedback", "calendar_state", "calendar_items", "calendar_reminders", "outbox",
              "chain_head", "ledger", "credentials"]
ROW = "SELECT seq, prev_hash, hash, kind, process_id, body, actor, recorded_at FROM ledger ORDER BY seq"


def _single_office_records(tmp_path, clock) -> Store:
    """Records as a single-office Ruam writes them: people, roles, definitions, a cycle, steps, a tick."""
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    app = Ruam(source, clock=clock)
    app.init(demo=True)
    app.open_cycle(2570)
    run(app, HAPPY_PATH[:3])
    tick(app)
    return source


def _copy_to_0006(source: Store, target_url: str) -> None:
    """The target made with the migrations up to 0006 and filled with the source's rows."""
    engine = create_engine(target_url)
    try:
        upgrade(engine, "0006")
        with source.engine.connect() as src, engine.begin() as dst:
            dst.execute(text("DELETE FROM chain_head"))
            for table in OLD_TABLES:
                cols = [c[1] for c in src.execute(text(f"PRAGMA table_info({table})")) if c[1] != "office_id"]
                if table == "definitions":
                    cols = [c for c in cols]
                rows = [dict(r._mapping) for r in src.execute(text(f"SELECT {', '.join(cols)} FROM {table}"))]
                if rows:
                    marks = ", ".join(f":{c}" for c in cols)
                    dst.execute(text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"), rows)
    finally:
        engine.dispose()


def _raw_chain(url: str) -> tuple[list[tuple], list]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(text(ROW))]
    finally:
        engine.dispose()
    findings: list = []
    list(check_chain(rows, findings))
    return rows, findings


def test_a_single_office_database_becomes_the_default_office_with_its_chain_intact(db_url, tmp_path, clock):
    source = _single_office_records(tmp_path, clock)
    try:
        _copy_to_0006(source, db_url)
    finally:
        source.dispose()
    before, findings = _raw_chain(db_url)
    assert len(before) > 50 and findings == []  # the old chain verifies at 0006

    store = Store(db_url)
    try:
        store.migrate()
        app = Ruam(store, clock=clock)
        report = verify(app)
        assert report.ok, [f.message for f in report.findings]
        assert report.records == len(before)
        after, findings = _raw_chain(db_url)
        assert findings == [] and [(r[0], r[2]) for r in after] == [(r[0], r[2]) for r in before]
        assert app.ledger_head() == (before[-1][0], before[-1][2])
        # the default office goes on where it was, ids and commands unchanged
        run(app, HAPPY_PATH[3:])
        assert app.process("2570/task_teacher_welfare")["state"] == "closed"
        # a second office added beside it: its own chain from genesis; the first untouched
        add_office(app, "second", "สำนักงานที่สอง")
        other = app.for_office("second")
        other.open_cycle(2570)
        assert other.ledger_head()[0] < app.ledger_head()[0]
        assert verify(app).ok and verify(other).ok
        with store.engine.connect() as conn:
            offices = conn.execute(text("SELECT code FROM offices ORDER BY id")).scalars().all()
        assert offices == ["default", "second"]
    finally:
        store.dispose()
