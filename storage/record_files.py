"""Reads for the audit of the files the record names (invariant 10).

Functions over a ``Tx`` (its connection and dialect), so they share the
audit's snapshot or a command's transaction. Differences between SQLite and
PostgreSQL stay here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, text

from storage import schema as s
from workflow.named_files import MARK

__all__ = ["attachment_guards_present", "file_bytes", "rows_naming_files", "stored_files"]


def rows_naming_files(tx: Any, upto: int, batch: int = 2000) -> Iterator[tuple[int, str | bytes]]:
    """(seq, body) of every ledger row up to ``upto`` whose text names a file (``"sha256"`` in it),
    in sequence order, keyset pages: the database filters, Python parses only those rows."""
    mark = "?" if tx.dialect == "sqlite" else "%s"
    test = "instr(body, '" + MARK + "') > 0" if tx.dialect == "sqlite" else "strpos(body, '" + MARK + "') > 0"
    sql = (f"SELECT seq, body FROM ledger WHERE office_id = {int(tx.office_id)} AND seq > {mark} AND seq <= {mark} "
           f"AND {test} "
           f"ORDER BY seq LIMIT {int(batch)}")
    last = -(2 ** 62)
    while True:
        rows = tx.conn.exec_driver_sql(sql, (last, upto)).fetchall()
        for seq, body in rows:
            yield seq, body
        if len(rows) < batch:
            return
        last = rows[-1][0]


def stored_files(tx: Any) -> list[tuple[str, int]]:
    """(sha256, size column) of every stored file, without their bytes."""
    a = s.attachments
    return [(sha, size) for sha, size in tx.conn.execute(select(a.c.sha256, a.c.size)
                                                         .where(a.c.office_id == tx.office_id).order_by(a.c.sha256))]


def file_bytes(tx: Any, sha256: str) -> bytes | None:
    """One stored file's bytes (one at a time: memory is bounded by the largest file)."""
    a = s.attachments
    row = tx.conn.execute(select(a.c.content).where(a.c.office_id == tx.office_id, a.c.sha256 == sha256)).first()
    return None if row is None else bytes(row[0])


def attachment_guards_present(tx: Any) -> bool:
    """Whether the triggers that refuse UPDATE/DELETE on the attachments exist (and are enabled)."""
    if tx.dialect == "sqlite":
        q = text("SELECT count(*) FROM sqlite_master WHERE type='trigger' AND tbl_name='attachments' "
                 "AND name IN ('attachments_no_update', 'attachments_no_delete')")
        return tx.conn.execute(q).scalar() >= 2
    q = text("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'attachments'::regclass AND NOT tgisinternal "
             "AND tgenabled <> 'D' AND tgname IN ('attachments_no_update', 'attachments_no_truncate')")
    return tx.conn.execute(q).scalar() >= 2
