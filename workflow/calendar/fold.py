"""The fold of ``calendar.*`` records into the state of every calendar item
(``CalendarFold``), the re-check of a record's authority (``audit_record``),
and the audit's problems in both languages (``Msg`` and its builders)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from workflow.authority import Assignment
from workflow.calendar.schedule import DONE, NOT_APPLICABLE, OPEN, resolve, status_title, subject_scopes
from workflow.definitions import Calendar, Organization
from workflow.fiscal import BANGKOK
from workflow.ledger import parse_instant


class Msg(NamedTuple):
    """An audit problem in both languages: English (logs and tests match on it) and Thai (for officers)."""

    en: str
    th: str

    def prefixed(self, what: str) -> Msg:
        return Msg(f"{what}: {self.en}", f"{what}: {self.th}")


KIND_TH = {"report": "รายงาน", "checkpoint": "การนิเทศ"}
PER_TH = {"task": "งาน", "mission_group": "กลุ่มภารกิจ", "office": "สำนักงาน"}
DEFINITION_TH = {"calendar": "ปฏิทิน", "organization": "โครงสร้างหน่วยงาน"}


def kind_th(kind: str | None) -> str:
    return f"{KIND_TH[kind]} ({kind})" if kind in KIND_TH else f"'{kind}'"


@dataclass
class CalendarFold:
    """Folds ``calendar.*`` records into the state of every calendar item."""

    items: dict[str, dict] = field(default_factory=dict)
    reminders: set[tuple[str, int]] = field(default_factory=set)
    started_at: str | None = None
    problems: list[tuple[int, Msg]] = field(default_factory=list)

    def apply(self, kind: str, seq: int, at: str, actor: str, data: dict) -> None:
        name = kind.split(".", 1)[1]
        if name == "started":
            if self.started_at is not None:
                self.problems.append((seq, Msg("the calendar was started twice", "เริ่มใช้ปฏิทินซ้ำเป็นครั้งที่สอง")))
            self.started_at = data["started_at"]
        elif name in ("item_opened", "item_not_applicable", "extra_round_recorded"):
            iid = data["item_id"]
            if iid in self.items:
                self.problems.append((seq, Msg(f"calendar item {iid} created twice",
                                               f"สร้างรายการในปฏิทิน {iid} ซ้ำ")))
            status = {"item_opened": OPEN, "item_not_applicable": NOT_APPLICABLE}.get(name, DONE)
            self.items[iid] = {"status": status, "overdue": False, "late": False,
                               "completed_by": actor if status == DONE else None,
                               "item": data["item"], "subject": data["subject"], "calendar": data["calendar"],
                               "organization": data.get("organization")}
        elif name == "reminder_queued":
            for days in [data["days_before"], *data.get("superseded", [])]:
                key = (data["item_id"], days)
                if key in self.reminders:
                    self.problems.append((seq, Msg(
                        f"reminder {days} day(s) before {data['item_id']} queued twice",
                        f"จัดคิวการแจ้งเตือนล่วงหน้า {days} วันของ {data['item_id']} ซ้ำ")))
                self.reminders.add(key)
        elif name == "item_overdue":
            item = self.items.get(data["item_id"])
            if item is None or item["status"] != OPEN or item["overdue"]:
                self.problems.append((seq, Msg(f"{data['item_id']} marked overdue but it was not open",
                                               f"{data['item_id']} ถูกระบุว่าเกินกำหนด แต่รายการไม่ได้เปิดอยู่")))
            else:
                item["overdue"] = True
        elif name in ("report_submitted", "checkpoint_recorded"):
            item = self.items.get(data["item_id"])
            if item is None:
                self.problems.append((seq, Msg(
                    f"{data['item_id']} completed but it was not open: no record before this one opened it",
                    f"{data['item_id']} ดำเนินการแล้ว แต่รายการไม่ได้เปิดอยู่: ไม่มีบันทึกก่อนหน้านี้ที่เปิดรายการ")))
            elif item["status"] != OPEN:
                self.problems.append((seq, Msg(
                    f"{data['item_id']} completed but it was not open: it was {item['status']} already",
                    f"{data['item_id']} ดำเนินการแล้ว แต่รายการไม่ได้เปิดอยู่: มีสถานะ "
                    f"'{status_title(item['status'])}' อยู่แล้ว")))
            else:
                item.update(status=DONE, late=bool(data.get("late")), completed_by=actor)


def audit_record(item: dict | None, kind: str, actor: str, role: str, moment: dt.datetime, data: dict,
                 assignments: Iterable[Assignment], definition) -> Msg | None:
    """Re-check a calendar record against the role assignments of its time.

    An opening must name exactly the people who held the responsible roles when
    the item opened; a completion must be made by someone holding one of the
    item's responsible roles for its subject at that moment. Returns a problem
    (English and Thai) or None. ``definition(version)`` gives stored definitions (None if unknown).
    """
    if item is None or not item.get("organization"):
        return None
    cal, org = definition(item["calendar"]), definition(item["organization"])
    if not isinstance(cal, Calendar) or not isinstance(org, Organization):
        return Msg(f"{data.get('item_id')}: calendar or organization definition is not stored",
                   f"{data.get('item_id')}: ไม่พบนิยามปฏิทินหรือโครงสร้างหน่วยงานที่เก็บไว้")
    spec = cal.item(item["item"])
    if spec is None:
        return Msg(f"{data.get('item_id')}: no item '{item['item']}' in calendar {cal.version[:12]}",
                   f"{data.get('item_id')}: ไม่มีรายการ '{item['item']}' ในปฏิทิน {cal.version[:12]}")
    scopes = subject_scopes(org, spec.per, item["subject"])
    assignments = list(assignments)
    if kind == "calendar.item_opened":
        want = resolve(assignments, spec.responsible_roles, scopes, parse_instant(data["resolved_at"]))
        if want != data["responsible"]:
            named, then = [r["person"] for r in data["responsible"]], [r["person"] for r in want]
            return Msg(f"{data['item_id']} names {named} as responsible; the assignments then give {then}",
                       f"{data['item_id']} ระบุ {named} เป็นผู้รับผิดชอบ แต่การมอบหมายบทบาทขณะนั้นให้ {then}")
        return None
    if role not in spec.responsible_roles or not [
            a for a in assignments if a.person == actor and a.role == role and a.scope in scopes
            and a.valid_at(moment)]:
        roles = ", ".join(spec.responsible_roles)
        return Msg(f"{actor} did not hold a responsible role ({roles}) for {data.get('item_id')} at "
                   f"{moment.isoformat()} (recorded role: {role})",
                   f"{actor} ไม่ได้มีบทบาทผู้รับผิดชอบ ({roles}) สำหรับ {data.get('item_id')} ณ "
                   f"{moment.isoformat()} (บทบาทที่บันทึก: {role})")
    return None


def wrong_item_id(iid: str, want: str) -> Msg:
    return Msg(f"item_id is {iid}, but its fields make {want}", f"item_id เป็น {iid} แต่ค่าในบันทึกประกอบเป็น {want}")


def wrong_due_on(have, due_on: dt.date) -> Msg:
    return Msg(f"due_on is {have}; the item is due {due_on.isoformat()}",
               f"due_on เป็น {have} แต่รายการครบกำหนด {due_on.isoformat()}")


def wrong_responsible(have: str | None, named: str | None) -> Msg:
    return Msg(f"the record names {have} as responsible, but the item names {named}",
               f"บันทึกระบุ {have} เป็นผู้รับผิดชอบ แต่รายการระบุ {named}")


def not_in_force(kind: str, named, active) -> Msg:
    """A record names a calendar or organization version other than the one in force."""
    return Msg(f"names {kind} {str(named)[:12]}, but the {kind} in force was {str(active)[:12]}",
               f"ระบุ{DEFINITION_TH[kind]} {str(named)[:12]} แต่{DEFINITION_TH[kind]}ที่ใช้อยู่ขณะนั้นคือ "
               f"{str(active)[:12]}")


def at_bangkok(moment: dt.datetime) -> str:
    """An instant as an auditor reads it: Bangkok wall-clock time."""
    return f"{moment.astimezone(BANGKOK):%Y-%m-%d %H:%M} Bangkok"


def at_bangkok_th(moment: dt.datetime) -> str:
    """``at_bangkok`` for the Thai text: the same digits, Bangkok time said in Thai."""
    return f"{moment.astimezone(BANGKOK):%Y-%m-%d %H:%M} น. เวลากรุงเทพฯ"
