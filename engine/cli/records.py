"""One line per ledger record, as ``ruam log`` and ``ruam process show`` print it."""

from __future__ import annotations

from workflow.fiscal import format_date_be, format_datetime_be, parse_date


def describe(rec, th: bool) -> str:
    d = rec.data
    when = format_datetime_be(rec.moment)
    if rec.kind == "process.transitioned":
        what = f"{d['trigger']}: {d['from']} → {d['to']}"
    elif rec.kind == "process.opened":
        what = ("เปิดกระบวนการ" if th else "opened") + f" ({d['state']})"
    elif rec.kind.startswith("person."):
        what = f"{rec.kind} {d.get('person')}"
    elif rec.kind.startswith("role."):
        what = f"{rec.kind} {d.get('person', '')} {d.get('role', '')} {d.get('scope') or ''} [{d.get('assignment')}]"
    elif rec.kind.startswith("calendar."):
        what = describe_calendar(rec, th)
    elif rec.kind.startswith("definition."):
        what = f"{rec.kind} {d.get('kind')} {d.get('version', '')[:12]}"
    else:
        what = rec.kind
    who = f"{'โดย' if th else 'by'} {rec.actor} ({rec.role})"
    resp = f"; {'ผู้รับผิดชอบ' if th else 'responsible'} {rec.responsible}" if rec.responsible else ""
    note = f"; {'หมายเหตุ' if th else 'note'}: {d['note']}" if d.get("note") else ""
    reason = f"; {'เหตุผล' if th else 'reason'}: {d['evidence']['reason']}" if (
        d.get("kind") in ("send_back", "cancel") and d.get("evidence")) else ""
    proc = f"{rec.process}  " if rec.process else ""
    return f"#{rec.seq:<6} {when}  {proc}{what}  {who}{resp}{reason}{note}"


_KIND_TITLES = {
    "calendar.started": ("เริ่มใช้ปฏิทิน", "calendar started"),
    "calendar.item_opened": ("เปิดรอบ", "opened"),
    "calendar.item_not_applicable": ("ไม่อยู่ในรอบ", "not applicable"),
    "calendar.reminder_queued": ("แจ้งเตือน", "reminder"),
    "calendar.item_overdue": ("เกินกำหนด", "overdue"),
    "calendar.report_submitted": ("ส่งรายงาน", "report submitted"),
    "calendar.checkpoint_recorded": ("บันทึกการกำกับติดตาม", "checkpoint recorded"),
    "calendar.extra_round_recorded": ("บันทึกครั้งเพิ่มเติม", "extra round recorded"),
}


def describe_calendar(rec, th: bool) -> str:
    """What a calendar record says, in one line."""
    d = rec.data
    th_title, en_title = _KIND_TITLES.get(rec.kind, (rec.kind, rec.kind))
    parts = [th_title if th else en_title, d.get("item_id", "")]
    if "due_on" in d:
        parts.append(("กำหนด " if th else "due ") + format_date_be(parse_date(d["due_on"])))
    if "days_before" in d:
        parts.append((f"ล่วงหน้า {d['days_before']} วัน" if th else f"{d['days_before']} day(s) before"))
    people = d.get("responsible") if isinstance(d.get("responsible"), list) else None
    if people is not None:
        parts.append(("ผู้รับผิดชอบ: " if th else "responsible: ") + (", ".join(p["person"] for p in people) or "-"))
    if d.get("escalated_to"):
        parts.append(("แจ้ง: " if th else "escalated to: ") + ", ".join(p["person"] for p in d["escalated_to"]))
    if d.get("late"):
        parts.append("ล่าช้า" if th else "late")
    if rec.kind == "calendar.started":
        parts.append(f"FY {d.get('fiscal_year')}")
    return " ".join(p for p in parts if p)
