"""Reading the ledger: the head, one process's records, streams in sequence
order for the audit (whole, or one range of processes for a worker).

A mixin of ``storage.store.Tx`` (it runs on the Tx's connection and its
``_run``); kept apart from the writes so the append path reads on its own.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from storage import hotpath as hot
from storage import schema as s
from workflow.chain import StoredRow
from workflow.ledger import Record


def _kind_prefix(prefix: str) -> str:
    """A kind prefix from code (``calendar.``), checked so it can sit in SQL as a literal."""
    if not prefix or not all(ch.isalnum() or ch in "._" for ch in prefix):
        raise ValueError(f"not a record kind prefix: {prefix!r}")
    return prefix


class LedgerReads:
    """The ledger's read methods of a ``Tx``."""

    def head(self) -> tuple[int, str]:
        """This office's chain head."""
        h = s.chain_head.c
        return tuple(self.conn.execute(select(h.seq, h.hash).where(h.id == self.office_id)).one())

    def record_texts(self, process_id: str) -> list[str]:
        """The stored canonical texts of a process's records, in sequence order."""
        return [b for (b,) in self._run(hot.sql(self.dialect, "records_for"),
                                        (self.office_id, process_id)).fetchall()]

    def records_for(self, process_id: str) -> list[Record]:
        rows = self._run(hot.sql(self.dialect, "records_for"), (self.office_id, process_id)).fetchall()
        return [Record.from_text(b) for (b,) in rows]

    def records(self, *, process_id: str | None = None, limit: int | None = None,
                after_seq: int = 0) -> list[Record]:
        q = (select(s.ledger.c.body).where(s.ledger.c.office_id == self.office_id, s.ledger.c.seq > after_seq)
             .order_by(s.ledger.c.seq))
        if process_id:
            q = q.where(s.ledger.c.process_id == process_id)
        if limit:
            q = q.limit(limit)
        return [Record.from_text(b) for (b,) in self.conn.execute(q)]

    def stream_rows(self, batch: int = 5000, process_id: str | None = None) -> Iterator[StoredRow]:
        """Every ledger row (of one process, if given) in sequence order, in constant memory (keyset pages).

        The audit's hot path: plain driver rows (no per-row type processing); ``recorded_at``
        comes as the driver gives it (text on SQLite) and the audit compares it as an instant.
        """
        mark = "?" if self.dialect == "sqlite" else "%s"
        where = f" AND process_id = {mark}" if process_id is not None else ""
        sql = (f"SELECT seq, prev_hash, hash, kind, process_id, body, actor, recorded_at FROM ledger "
               f"WHERE office_id = {int(self.office_id)} AND seq > {mark}{where} ORDER BY seq LIMIT {int(batch)}")
        last = -(2 ** 62)
        make = StoredRow._make
        while True:
            params = (last, process_id) if process_id is not None else (last,)
            rows = self.conn.exec_driver_sql(sql, params).fetchall()
            for row in rows:
                yield make(row)
            if len(rows) < batch:
                return
            last = rows[-1][0]

    def stream_ledger(self, upto: int | None = None, part: tuple[str | None, str | None] | None = None, *,
                      owner: bool = True, coordinator_kinds: tuple[str, ...] = (),
                      batch: int = 5000) -> Iterator[tuple]:
        """The audit's partitioned scan: raw driver tuples ``StoredRow`` has the fields of, up to ``upto`` (if given).

        ``part`` is a half-open range of process ids (``None`` = unbounded). With
        ``owner`` the scan returns every row and its body only for rows of the range
        or without a process (``None`` elsewhere: the chain links are still seen);
        otherwise only the range's rows and the people/role/definition records every
        worker needs for authority. Records whose kind starts with one of
        ``coordinator_kinds`` (those a fold extension owns, e.g. ``calendar.``) go to
        the owner scan whatever their process. Bodies come as UTF-8 bytes where the
        driver can (SQLite), else text. Keyset pages in sequence order, constant memory.
        """
        mark = "?" if self.dialect == "sqlite" else "%s"
        conds, params = [], []
        if part is not None and part[0] is not None:
            conds.append(f"process_id >= {mark}")
            params.append(part[0])
        if part is not None and part[1] is not None:
            conds.append(f"process_id < {mark}")
            params.append(part[1])
        in_part = " AND ".join(["process_id IS NOT NULL", *conds])
        theirs = " OR ".join(f"substr(kind, 1, {len(k)}) = '{_kind_prefix(k)}'" for k in coordinator_kinds) or "1 = 0"
        body = "CAST(body AS BLOB)" if self.dialect == "sqlite" else "body"
        if owner:
            body_col = (body if part is None else
                        f"CASE WHEN process_id IS NULL OR ({theirs}) OR ({in_part}) THEN {body} END")
            where = ""
        else:
            body_col = body
            where = (f" AND ((({in_part}) AND NOT ({theirs})) OR (process_id IS NULL AND (kind LIKE 'person.%%' "
                     f"OR kind LIKE 'role.%%' OR kind LIKE 'definition.%%')))")
            if self.dialect == "sqlite":
                where = where.replace("%%", "%")
        sql = (f"SELECT seq, prev_hash, hash, kind, process_id, {body_col}, actor, recorded_at FROM ledger "
               f"WHERE office_id = {int(self.office_id)} AND seq > {mark} AND seq <= {mark}{where} "
               f"ORDER BY seq LIMIT {int(batch)}")
        upto = 2 ** 62 if upto is None else upto
        if self.dialect == "sqlite":
            sql = sql.replace("%%", "%")
        cursor = self.conn.connection.driver_connection.cursor()
        last = -(2 ** 62)
        try:
            while True:
                if part is not None and owner:
                    args = (*params, last, upto)
                elif part is not None:
                    args = (last, upto, *params)
                else:
                    args = (last, upto)
                cursor.execute(sql, args)
                rows = cursor.fetchall()
                yield from rows
                if len(rows) < batch:
                    return
                last = rows[-1][0]
        finally:
            cursor.close()

    def process_bounds(self, parts: int) -> list[str]:
        """``parts - 1`` process ids splitting the process table into ranges of about equal size."""
        c = s.processes.c
        mine = c.office_id == self.office_id
        count = self.conn.execute(select(func.count()).select_from(s.processes).where(mine)).scalar_one()
        out: list[str] = []
        for k in range(1, parts):
            pid = self.conn.execute(select(c.id).where(mine).order_by(c.id)
                                    .offset(count * k // parts).limit(1)).scalar()
            if pid is not None and (not out or pid > out[-1]):
                out.append(pid)
        return out

    def processes_touched_after(self, seq: int) -> set[str]:
        """Ids of processes with records after ``seq`` (changed since an audit's snapshot)."""
        rows = self.conn.execute(select(s.ledger.c.process_id).where(s.ledger.c.office_id == self.office_id,
                                                                     s.ledger.c.seq > seq)
                                 .where(s.ledger.c.process_id.is_not(None)).distinct())
        return {pid for (pid,) in rows}

    def last_seq(self) -> int:
        """The highest sequence number stored (not the chain head's word for it)."""
        return self.conn.execute(select(func.max(s.ledger.c.seq))
                                 .where(s.ledger.c.office_id == self.office_id)).scalar() or 0

    def ledger_count(self) -> int:
        return self.conn.execute(select(func.count()).select_from(s.ledger)
                                 .where(s.ledger.c.office_id == self.office_id)).scalar_one()

    # -- definitions ------------------------------------------------------------------------
