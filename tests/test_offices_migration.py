"""A database made before offices (revision 0006) becomes the default office with its
chain intact: it verifies before and after the migration, on both backends, every
record keeps its hash, and the office goes on appending (and a second office with it).
Back again: a database of the default office alone goes down to 0006 with every row as
it was; one with another office is refused, naming it, with nothing changed."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from engine.app import Ruam
from engine.audit.live import verify
from engine.calendar import tick
from engine.offices import add_office
from storage import schema as s
from storage.migrate import config, downgrade, upgrade
from storage.store import Store
from tests.steps import HAPPY_PATH, run
from workflow.chain import check_chain
from workflow.errors import Refused

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


def _rows(url: str) -> dict[str, list]:
    """Every row of every table as the database gives it back (raw: no column types applied)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: sorted((tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}"))), key=repr)
                    for t in sorted(inspect(conn).get_table_names())}
    finally:
        engine.dispose()


def _schema(url: str) -> dict[str, tuple]:
    """Each table's columns, keys, indexes and triggers, with their names."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ins, out = inspect(conn), {}
            for t in sorted(ins.get_table_names()):
                if conn.dialect.name == "sqlite":
                    q = text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t")
                else:
                    q = text("SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal")
                out[t] = ([(c["name"], str(c["type"]), c["nullable"], c["default"]) for c in ins.get_columns(t)],
                          ins.get_pk_constraint(t),
                          sorted((f["name"], f["constrained_columns"], f["referred_table"], f["referred_columns"])
                                 for f in ins.get_foreign_keys(t)),
                          sorted((i["name"], i["column_names"], bool(i["unique"])) for i in ins.get_indexes(t)),
                          sorted((u["name"], u["column_names"]) for u in ins.get_unique_constraints(t)),
                          sorted(conn.execute(q, {"t": t}).scalars()))
            return out
    finally:
        engine.dispose()


def test_the_default_office_alone_goes_back_to_0006_with_every_row_as_it_was(db_url, tmp_path, clock):
    source = _single_office_records(tmp_path, clock)
    try:
        _copy_to_0006(source, db_url)
    finally:
        source.dispose()
    rows, schema = _rows(db_url), _schema(db_url)
    before, _ = _raw_chain(db_url)

    store = Store(db_url)
    try:
        store.migrate()
        assert verify(Ruam(store, clock=clock)).ok
        downgrade(store.engine, "0006")
        assert _schema(db_url) == schema  # the tables, keys, indexes and guards of 0006, by name
        assert _rows(db_url) == rows  # every row of every table, the ledger's byte for byte
        assert store.ledger_guards_present()

        # up again, the office goes on, and back down: the old chain is the new one's beginning
        store.migrate()
        app = Ruam(store, clock=clock)
        run(app, HAPPY_PATH[3:])
        assert verify(app).ok
        downgrade(store.engine, "0006")
        after, findings = _raw_chain(db_url)
        assert findings == [] and len(after) > len(before) and after[:len(before)] == before
        assert store.schema_revision() == "0006" and store.ledger_guards_present()
        with store.engine.connect() as conn:
            assert tuple(conn.execute(text("SELECT seq, hash FROM chain_head")).one()) == after[-1][:3:2]

        store.migrate()
        app = Ruam(store, clock=clock)
        report = verify(app)
        assert report.ok and report.records == len(after)
        assert app.process("2570/task_teacher_welfare")["state"] == "closed"
    finally:
        store.dispose()


def test_going_back_before_offices_is_refused_while_another_office_exists(app, store, db_url, clock):
    add_office(app, "second", "สำนักงานที่สอง", "Second office")
    app.for_office("second").open_cycle(2570)
    rows, schema = _rows(db_url), _schema(db_url)

    with pytest.raises(Refused) as refused:
        downgrade(store.engine, "0006")
    assert "second" in refused.value.message("en")
    assert "สำนักงานที่สอง (second)" in refused.value.message("th")
    assert _rows(db_url) == rows and _schema(db_url) == schema

    # the migration itself refuses too, run through Alembic's own command
    cfg = config()
    with pytest.raises(Refused), store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    assert _rows(db_url) == rows and _schema(db_url) == schema

    # an engine without Ruam's own BEGIN (SQLite's driver then runs DDL outside any transaction)
    # is refused before the first revision is undone
    plain = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with pytest.raises(Refused):
            downgrade(plain, "base")
    finally:
        plain.dispose()
    assert _rows(db_url) == rows and _schema(db_url) == schema

    # the Merkle tree alone (0008) goes back and comes again, every office kept
    downgrade(store.engine, "0007")
    assert store.schema_revision() == "0007" and "merkle_nodes" not in _schema(db_url)
    store.migrate()
    assert verify(app).ok and verify(app.for_office("second")).ok


def test_a_downgrade_cut_off_half_way_leaves_the_database_as_it_was(app, store, db_url, monkeypatch):
    """The tables copied, dropped and made again, then a failure before the end: one transaction
    on both backends (SQLite's DDL too, under Ruam's own BEGIN), so nothing of it stays."""
    import sqlalchemy as sa

    rows, schema = _rows(db_url), _schema(db_url)
    drop = sa.Table.drop

    def cut_off(table, bind=None, checkfirst=False):
        if table.name == "offices":  # the downgrade's last step
            raise RuntimeError("power cut")
        return drop(table, bind, checkfirst)

    monkeypatch.setattr(sa.Table, "drop", cut_off)
    with pytest.raises(RuntimeError):
        downgrade(store.engine, "0006")
    monkeypatch.undo()
    assert _rows(db_url) == rows and _schema(db_url) == schema
    assert store.schema_revision() == s.SCHEMA_REVISION and verify(app).ok
