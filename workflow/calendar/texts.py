"""The texts of the calendar's notifications (Thai subject line and body), one
function per kind of message: an item opened, nobody to name, a reminder, overdue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from workflow.fiscal import format_date_be


def _due_text(due_on: dt.date) -> str:
    return format_date_be(due_on)


def message_opened(title: str, round_title: str, subject: str, fy: int, due_on: dt.date) -> tuple[str, str]:
    subject_line = f"[Ruam] เปิดรอบ: {title} {round_title} ปีงบประมาณ {fy}"
    body = (f"เรียน ผู้รับผิดชอบ\n\n{title} {round_title}\nเรื่อง/กลุ่มงาน: {subject}\n"
            f"ปีงบประมาณ พ.ศ. {fy}\nกำหนดส่ง/ดำเนินการให้แล้วเสร็จภายในวันที่ {_due_text(due_on)}\n\n"
            "ข้อความนี้ส่งโดยระบบ Ruam (ร่วม)")
    return subject_line, body


def message_unassigned(title: str, round_title: str, subject: str, fy: int, roles: Iterable[str],
                       due_on: dt.date) -> tuple[str, str]:
    subject_line = f"[Ruam] ไม่มีผู้รับผิดชอบ: {title} {round_title} ปีงบประมาณ {fy}"
    body = (f"เรียน ผู้บังคับบัญชา\n\n{title} {round_title}\nเรื่อง/กลุ่มงาน: {subject}\n"
            f"เปิดรอบแล้ว แต่ยังไม่มีผู้ดำรงบทบาท {', '.join(roles)} ในขณะนี้ "
            f"โปรดมอบหมายผู้รับผิดชอบ (กำหนดวันที่ {_due_text(due_on)})\n\nข้อความนี้ส่งโดยระบบ Ruam (ร่วม)")
    return subject_line, body


def message_reminder(title: str, round_title: str, subject: str, fy: int, due_on: dt.date,
                     days: int) -> tuple[str, str]:
    when = "วันนี้" if days == 0 else f"อีก {days} วัน"
    subject_line = f"[Ruam] แจ้งเตือน: {title} {round_title} ครบกำหนด{when} ({_due_text(due_on)})"
    body = (f"เรียน ผู้รับผิดชอบ\n\n{title} {round_title}\nเรื่อง/กลุ่มงาน: {subject}\n"
            f"ปีงบประมาณ พ.ศ. {fy}\nครบกำหนดวันที่ {_due_text(due_on)} ({when})\n\n"
            "ข้อความนี้ส่งโดยระบบ Ruam (ร่วม)")
    return subject_line, body


def message_overdue(title: str, round_title: str, subject: str, fy: int, due_on: dt.date,
                    responsible: Iterable[str]) -> tuple[str, str]:
    names = ", ".join(responsible) or "(ไม่มีผู้รับผิดชอบ)"
    subject_line = f"[Ruam] เกินกำหนด: {title} {round_title} ปีงบประมาณ {fy}"
    body = (f"เรียน ผู้เกี่ยวข้อง\n\n{title} {round_title}\nเรื่อง/กลุ่มงาน: {subject}\n"
            f"ครบกำหนดเมื่อวันที่ {_due_text(due_on)} แต่ยังไม่ได้ดำเนินการ\n"
            f"ผู้รับผิดชอบ: {names}\n\nข้อความนี้ส่งโดยระบบ Ruam (ร่วม)")
    return subject_line, body
