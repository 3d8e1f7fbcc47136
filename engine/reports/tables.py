"""The report's tables, once, for every face: the table under each chart on the page and in the DOCX,
and the sheets of the XLSX. Each cell is what a person reads (Thai titles, BE dates) except numbers,
which stay numbers (a spreadsheet sums them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workflow.fiscal import format_date_be, format_datetime_be

__all__ = ["Table", "tables", "cell_text"]


@dataclass(frozen=True)
class Table:
    key: str            # the chart it sits under (progress, overdue, durations, compliance) or tasks / rounds
    title: str
    sheet: str          # an XLSX sheet name (≤ 31 characters)
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    numeric: tuple[bool, ...] = ()


def cell_text(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def _day(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return format_datetime_be(value)
    return format_date_be(value)


def _t(lang: str, th: str, en: str) -> str:
    return th if lang == "th" else en


def tables(report: dict) -> list[Table]:
    lang = report["lang"]

    def t(th, en):
        return _t(lang, th, en)

    out = [Table("progress", t("ความคืบหน้าตามกลุ่มภารกิจ", "Progress by mission group"), t("ความคืบหน้า", "Progress"),
                 (t("กลุ่มภารกิจ", "Mission group"), t("จำนวนงาน", "Tasks"), t("ขั้นตอนที่เสร็จ", "Steps done"),
                  t("ขั้นตอนทั้งหมด", "All steps"), t("ร้อยละ", "Per cent"), t("ปิดรอบแล้ว", "Closed"),
                  t("ยกเลิก", "Cancelled")),
                 tuple((g["title"], g["tasks"], g["steps_done"], g["steps_total"], g["percent"], g["closed"],
                        g["cancelled"]) for g in report["groups"]),
                 (False, True, True, True, True, True, True))]
    out.append(Table("overdue", t("รายการที่เลยกำหนดตามกลุ่มภารกิจ", "Past due by mission group"),
                     t("เลยกำหนด", "Past due"),
                     (t("กลุ่มภารกิจ", "Mission group"), t("รายงานที่เลยกำหนด", "Reports past due"),
                      t("การกำกับติดตามที่เลยกำหนด", "Checkpoints past due"),
                      t("กระบวนการที่ยังไม่เสร็จเมื่อสิ้นปี", "Unfinished at year end"), t("รวม", "Total")),
                     tuple((r["title"], r["report"], r["checkpoint"], r["process"], r["total"])
                           for r in report["overdue"]["by_group"]),
                     (False, True, True, True, True)))
    out.append(Table("overdue_items", t("รายการที่เลยกำหนด", "Each item past due"),
                     t("รายการเลยกำหนด", "Past-due items"),
                     (t("ประเภท", "Kind"), t("งาน/กลุ่ม", "Task or group"), t("รายการ", "Item"),
                      t("กำหนด", "Due"), t("เลยกำหนด (วัน)", "Days past due")),
                     tuple((i["kind_title"], i["subject_title"], i["what"], _day(i["due_on"]), i["days_past_due"])
                           for i in report["overdue"]["items"]),
                     (False, False, False, False, True)))
    out.append(Table("durations", t("ระยะเวลาในแต่ละขั้นตอน (วัน)", "Days in each step"), t("ระยะเวลา", "Durations"),
                     (t("ขั้นตอน", "Step"), t("จำนวนครั้ง", "Times"), t("มัธยฐาน", "Median"),
                      t("ควอร์ไทล์ที่ ๑", "25th pct."), t("ควอร์ไทล์ที่ ๓", "75th pct."),
                      t("เปอร์เซ็นไทล์ที่ ๙๐", "90th pct."), t("นานที่สุด", "Longest"),
                      t("ยังอยู่ในขั้นตอนนี้", "Still in it")),
                     tuple((d["title"], d["n"], d["median"], d["p25"], d["p75"], d["p90"], d["max"], d["ongoing"])
                           for d in report["durations"]),
                     (False, True, True, True, True, True, True, True)))
    out.append(Table("compliance", t("การรายงานและการกำกับติดตามตามรอบ", "Reports and checkpoints per round"),
                     t("ตามรอบ", "Per round"),
                     (t("รอบ", "Round"), t("กำหนด", "Due"), t("ตรงเวลา", "On time"), t("ล่าช้า", "Late"),
                      t("เลยกำหนดยังไม่ดำเนินการ", "Missing"), t("ยังไม่ถึงกำหนด", "Not yet due"),
                      t("ไม่อยู่ในรอบ", "Not applicable"), t("รวม", "Total")),
                     tuple((c["label"], _day(c["due_on"]), c["on_time"], c["late"], c["missing"], c["pending"],
                            c["not_applicable"], c["total"]) for c in report["compliance"]),
                     (False, False, True, True, True, True, True, True)))
    out.append(Table("rounds", t("บันทึกตามปฏิทิน", "The calendar's record"), t("บันทึกปฏิทิน", "Calendar"),
                     (t("รายการ", "Item"), t("งาน/กลุ่ม", "Task or group"), t("กำหนด", "Due"), t("ผล", "Outcome"),
                      t("วันที่บันทึก", "Recorded"), t("วันที่จัด", "Held on"), t("ผู้ดำเนินการ", "By")),
                     tuple((r["label"], r["subject_title"], _day(r["due_on"]), r["outcome_title"],
                            _day(r["completed_at"]), _day(r["held_on"]), r["completed_by"])
                           for r in report["rounds"]),
                     (False,) * 7))
    out.append(Table("tasks", t("สรุปรายงาน", "Per task"), t("รายงาน", "Tasks"),
                     (t("งาน", "Task"), t("กลุ่มภารกิจ", "Mission group"), t("ขั้นตอนปัจจุบัน", "Current step"),
                      t("ขั้นตอนที่เสร็จ", "Steps done"), t("ประเด็น", "Topic"), t("ผู้มีส่วนร่วม", "Participants"),
                      t("ผลการมีส่วนร่วม", "Results"), t("การนำผลไปปรับปรุง", "Improvements"),
                      t("ผู้เข้าร่วมจากภายนอก (คน)", "Outsiders present"),
                      t("รายงานตามรอบ", "Semiannual reports"), t("การกำกับติดตามของกลุ่ม", "Group checkpoints"),
                      t("ความคิดเห็นที่ได้รับ", "Opinions received"), t("พิจารณาแล้ว", "Decided"),
                      t("นำไปปรับปรุง", "Adopted"), t("นำไปปรับปรุงบางส่วน", "Adopted in part"),
                      t("ไม่นำไปปรับปรุง", "Declined")),
                     tuple(_task_cells(task) for task in report["tasks"]),
                     (False, False, False, True, False, False, False, False, True, False, False, True, True, True,
                      True, True)))
    return out


def _rounds_text(rows: list[dict]) -> str:
    return "; ".join(f"{r['round_title']}: {r['outcome_title']}" for r in rows) or "-"


def _task_cells(task: dict) -> tuple:
    e = task["elements"] or {}
    o = task["opinions"]
    return (task["title"], task["group_title"], task["state_title"], task["steps_done"], e.get("topic"),
            e.get("participants"), e.get("results"), e.get("improvements"), e.get("outsiders"),
            _rounds_text(task["reports"]), _rounds_text(task["checkpoints"]), o["received"], o["decided"],
            o["adopt"], o["adopt_in_part"], o["decline"])
