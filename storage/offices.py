"""The offices table: one row per office, its chain head and calendar state made with it.

A mixin of ``storage.store.Tx``. These are the only reads that cross offices, and
each says so: the list of offices (for ``ruam office list``, the scheduler and the
audit of every office), and the offices that granted a person of another office a
role (a cross-office viewer's overview).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from storage import schema as s
from workflow.errors import Duplicate
from workflow.ledger import GENESIS


class OfficeRows:
    conn: Connection
    office_id: int

    def office_row(self, code: str) -> dict | None:
        row = self.conn.execute(select(s.offices).where(s.offices.c.code == code)).first()
        return dict(row._mapping) if row else None

    def this_office(self) -> dict | None:
        """The row of the office this transaction is for."""
        row = self.conn.execute(select(s.offices).where(s.offices.c.id == self.office_id)).first()
        return dict(row._mapping) if row else None

    def office_rows(self) -> list[dict]:
        """Every office (crosses offices: the list itself, nothing of their data)."""
        return [dict(r._mapping) for r in self.conn.execute(select(s.offices).order_by(s.offices.c.id))]

    def add_office(self, code: str, name_th: str, name_en: str, sender: str | None, at: dt.datetime) -> int:
        """A new office with an empty chain (its head at genesis); its id."""
        if self.office_row(code) is not None:
            raise Duplicate("office", code)
        new_id = (self.conn.execute(select(func.max(s.offices.c.id))).scalar() or 0) + 1
        self.conn.execute(insert(s.offices).values(id=new_id, code=code, name_th=name_th, name_en=name_en,
                                                   sender=sender, created_at=at))
        self.conn.execute(insert(s.chain_head).values(id=new_id, seq=0, hash=GENESIS))
        return new_id

    def office_wakeups(self) -> dict[int, dict]:
        """Per office id (crosses offices: their operational state, none of their data): its
        calendar's last tick (``calendar_state``) and its last wake-up through every office, with
        that wake-up's failure if it failed (its row of ``service_status``, storage.calendar)."""
        from storage.calendar import office_status_name

        out: dict[int, dict] = {}
        for row in self.conn.execute(select(s.calendar_state.c.id, s.calendar_state.c.last_tick_at)):
            out.setdefault(row.id, {})["last_tick_at"] = row.last_tick_at
        c = s.service_status.c
        names = {office_status_name(r["id"]): r["id"] for r in self.office_rows()}
        for row in self.conn.execute(select(c.name, c.last_tick_at, c.last_tick_summary, c.last_error,
                                            c.last_error_at).where(c.name.in_(names))):
            out.setdefault(names[row.name], {}).update(last_wakeup_at=row.last_tick_at,
                                                       last_wakeup_summary=row.last_tick_summary,
                                                       last_error=row.last_error, last_error_at=row.last_error_at)
        return out

    def offices_granting(self, qualified: str) -> list[dict]:
        """The offices with a role assignment naming ``person@CODE`` (a person of another office):
        where a cross-office viewer was granted a role, explicitly, by each office."""
        ra, o = s.role_assignments.c, s.offices.c
        q = (select(o.id, o.code, o.name_th, o.name_en).select_from(s.offices.join(s.role_assignments,
                                                                                   ra.office_id == o.id))
             .where(ra.person_id == qualified).distinct().order_by(o.id))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def office_counts(self, office_ids: list[int]) -> dict[int, dict]:
        """For an overview of offices: per office, its processes by state and its open calendar items."""
        p, ci = s.processes.c, s.calendar_items.c
        out: dict[int, dict] = {i: {"states": {}, "open_items": 0, "overdue_items": 0} for i in office_ids}
        if not office_ids:
            return out
        for office, state, n in self.conn.execute(select(p.office_id, p.state, func.count())
                                                  .where(p.office_id.in_(office_ids))
                                                  .group_by(p.office_id, p.state)):
            out[office]["states"][state] = n
        for office, overdue, n in self.conn.execute(
                select(ci.office_id, ci.overdue_at.is_not(None), func.count())
                .where(ci.office_id.in_(office_ids), ci.status == "open")
                .group_by(ci.office_id, ci.overdue_at.is_not(None))):
            out[office]["open_items"] += n
            if overdue:
                out[office]["overdue_items"] += n
        return out
