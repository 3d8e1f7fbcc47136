"""An attacker with database rights, for the audit tests.

``attack(db_url)`` opens a plain connection that goes around the ledger's (and the
attachments') append-only triggers the way someone with DB rights would: on SQLite it drops
them (and puts them back afterwards, covering the tracks); on PostgreSQL it sets
``session_replication_role = replica`` (a superuser's switch that silences
triggers for the session).
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from storage.db import normalize_url
from storage.schema import ATTACHMENT_GUARD_SQL, LEDGER_GUARD_SQL
from workflow.canonical import canonical_text
from workflow.ledger import Entry, Record


@contextmanager
def attack(db_url: str):
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS ledger_no_update")
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS ledger_no_delete")
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS attachments_no_update")
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS attachments_no_delete")
            else:
                conn.exec_driver_sql("SET session_replication_role = replica")
            yield conn
            if engine.dialect.name == "sqlite":
                for sql in LEDGER_GUARD_SQL["sqlite"] + ATTACHMENT_GUARD_SQL["sqlite"]:
                    conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def rows(conn) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(text(
        "SELECT seq, prev_hash, hash, kind, process_id, actor, recorded_at, body FROM ledger ORDER BY seq"))]


def row(conn, seq: int) -> dict:
    return next(r for r in rows(conn) if r["seq"] == seq)


def set_body(conn, seq: int, body: str, digest: str | None = None) -> None:
    if digest is None:
        conn.execute(text("UPDATE ledger SET body = :b WHERE seq = :s"), {"b": body, "s": seq})
    else:
        conn.execute(text("UPDATE ledger SET body = :b, hash = :h WHERE seq = :s"), {"b": body, "h": digest, "s": seq})


def edit_body(body: str, **changes) -> str:
    data = json.loads(body)
    data.update(changes)
    return canonical_text(data)


def append_forged(conn, entry: Entry) -> Record:
    """Append a record with a correct hash chain (and move the chain head), as a careful forger would."""
    seq, prev = conn.execute(text("SELECT seq, hash FROM chain_head WHERE id = 1")).one()
    rec = Record.seal(entry, seq + 1, prev)
    insert_row(conn, rec)
    conn.execute(text("UPDATE chain_head SET seq = :s, hash = :h WHERE id = 1"), {"s": rec.seq, "h": rec.hash})
    return rec


def forge_transition(conn, entry: Entry) -> Record:
    """Append a forged step with a correct chain and move the process table with it,
    so only the replay's own checks can tell."""
    rec = append_forged(conn, entry)
    conn.execute(text("UPDATE processes SET state = :s, version = version + 1 WHERE id = :p"),
                 {"s": entry.data["to"], "p": entry.process})
    return rec


def insert_row(conn, rec: Record, seq: int | None = None) -> None:
    conn.execute(text("INSERT INTO ledger (seq, prev_hash, hash, kind, process_id, actor, recorded_at, body) "
                      "VALUES (:seq, :prev, :hash, :kind, :process, :actor, :at, :body)"),
                 {"seq": rec.seq if seq is None else seq, "prev": rec.prev_hash, "hash": rec.hash, "kind": rec.kind,
                  "process": rec.process, "actor": rec.actor, "at": _column_time(conn, rec.moment),
                  "body": rec.canonical()})


def _column_time(conn, moment: dt.datetime):
    if conn.dialect.name == "sqlite":  # the spelling SQLAlchemy's DateTime keeps in SQLite
        return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def at_seq(findings, seq: int, kind: str | None = None) -> list:
    return [f for f in findings if f.seq == seq and (kind is None or f.kind == kind)]
