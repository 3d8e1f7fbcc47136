"""One line per ledger record, as ``ruam log`` and ``ruam process show`` print it:
the moment in BE, what happened under its Thai title, who did it by name, in
which role, and who was responsible — never an id (``--json`` keeps them)."""

from __future__ import annotations

from typing import Any


def describe(rec: Any, names: Any) -> str:
    """``names``: an ``engine.names.Names`` in the reader's language."""
    th = names.th
    d = rec.data
    kind = rec.kind
    version = d.get("procedure")
    if kind == "process.transitioned":
        what = (f"{names.trigger(d['trigger'], version)}: {names.state(d['from'], version)} → "
                f"{names.state(d['to'], version)}")
    elif kind == "process.opened":
        what = f"{names.kind(kind)}: {names.state(d.get('state'), version)}"
    elif kind == "person.added":
        what = f"{names.kind(kind)} {d.get('name') or names.person(d.get('person'))}"
    elif kind == "role.assigned":
        what = (f"{names.kind(kind)} {names.role(d.get('role'))} — {names.scope(d.get('scope'))} "
                f"{'ให้' if th else 'to'} {names.person(d.get('person'))} "
                f"({'การมอบหมายที่' if th else 'assignment'} {d.get('assignment')})")
    elif kind == "role.ended":
        what = f"{names.kind(kind)} ({'การมอบหมายที่' if th else 'assignment'} {d.get('assignment')})"
    elif kind.startswith("calendar."):
        what = describe_calendar(rec, names)
    elif kind.startswith("definition."):
        what = f"{names.kind(kind)} {names.definition_kind(d.get('kind'))} {'รุ่น' if th else 'version'} " \
               f"{d.get('version', '')[:12]}"
    elif kind == "feedback.received":
        what = names.kind(kind)
    else:
        what = names.kind(kind)
    who = f"{'โดย' if th else 'by'} {names.person(rec.actor)}"
    if rec.role and rec.role not in ("system", "public"):
        who += f" {'ในฐานะ' if th else 'as'} {names.role(rec.role)}"
    resp = f"; {'ผู้รับผิดชอบ' if th else 'responsible'} {names.person(rec.responsible)}" if rec.responsible else ""
    note = f"; {'หมายเหตุ' if th else 'note'}: {d['note']}" if d.get("note") else ""
    reason = f"; {'เหตุผล' if th else 'reason'}: {d['evidence']['reason']}" if (
        d.get("kind") in ("send_back", "cancel") and d.get("evidence")) else ""
    proc = f"{names.process(rec.process)} — " if rec.process else ""
    return f"#{rec.seq:<6} {names.when(rec.moment)}  {proc}{what}  {who}{resp}{reason}{note}"


def describe_calendar(rec: Any, names: Any) -> str:
    """What a calendar record says, in one line."""
    th = names.th
    d = rec.data
    parts = [names.kind(rec.kind)]
    if d.get("item_id"):
        parts.append(names.item_id(d["item_id"]))
    if "due_on" in d:
        parts.append(("กำหนด " if th else "due ") + names.day(d["due_on"]))
    if "days_before" in d:
        parts.append((f"ล่วงหน้า {d['days_before']} วัน" if th else f"{d['days_before']} day(s) before"))
    people = d.get("responsible") if isinstance(d.get("responsible"), list) else None
    if people is not None:
        parts.append(("ผู้รับผิดชอบ: " if th else "responsible: ") + names.persons(p["person"] for p in people))
    if d.get("escalated_to"):
        parts.append(("แจ้ง: " if th else "escalated to: ") + names.persons(p["person"] for p in d["escalated_to"]))
    if d.get("late"):
        parts.append("ล่าช้า" if th else "late")
    if rec.kind == "calendar.started":
        parts.append((f"ปีงบประมาณ {d.get('fiscal_year')}" if th else f"FY {d.get('fiscal_year')} BE"))
    return " ".join(p for p in parts if p)
