"""Lean reads for large overviews (tuples, only the columns needed)."""

from __future__ import annotations

from sqlalchemy import select

from storage import schema as s
from storage.store import Tx


def process_states(tx: Tx, fiscal_year: int) -> list[tuple[str, str, str]]:
    """(task id, state, procedure version) of every process of a fiscal year."""
    c = s.processes.c
    q = select(c.task_id, c.state, c.procedure_version).where(c.office_id == tx.office_id,
                                                              c.fiscal_year == fiscal_year)
    return [tuple(r) for r in tx.conn.execute(q).all()]
