"""The numbers the office has used, as the ledger records them: the next order and letter
number to propose, and the registers ทะเบียนคำสั่ง and ทะเบียนหนังสือส่ง (data, and XLSX
through openpyxl, imported only when asked).

Numbers run per calendar year (BE) of the document's date, as a สารบรรณ register does:
order ``๑๒๔/๒๕๗๐`` after ``๑๒๓/๒๕๗๐``; letter ``ศธ ๐๔๐๐๐/๔๒`` after the highest running
number used with the office's letter code that year. Every recorded firing counts: a
number once issued keeps its line in the register even if the step was later sent back.
"""

from __future__ import annotations

import io
import re
from typing import Any

from workflow.documents import Sources, as_date, build, thai_date, thai_number
from workflow.errors import UsageError
from workflow.fiscal import BE_OFFSET, bangkok_date, to_arabic_digits, to_thai_digits

CHANNEL = {"post": "ไปรษณีย์", "hand": "ส่งด้วยตนเอง", "email": "อีเมล", "e_saraban": "ระบบสารบรรณอิเล็กทรอนิกส์"}
_RUNNING = re.compile(r"(\d+)\s*$")


def _running(text: str, part: str) -> int | None:
    raw = to_arabic_digits(" ".join(str(text or "").split()))
    if "/" not in raw:
        return None
    head, _, tail = raw.rpartition("/")
    found = re.match(r"\s*(\d+)", head) if part == "head" else _RUNNING.search(tail)
    return int(found.group(1)) if found else None


def _prefix(text: str) -> str:
    return to_arabic_digits(" ".join(str(text or "").split())).rpartition("/")[0].replace(" ", "")


def entries(app: Any) -> dict[str, list[dict]]:
    """Every order and letter number recorded, oldest first, with what a register shows."""
    from engine.documents.service import wording_of

    defs = app.active()
    wording = wording_of(app)
    orders: list[dict] = []
    letters: list[dict] = []
    for rec in app.log_records():
        if rec.kind != "process.transitioned" or rec.data.get("trigger") not in ("issue_appointment",
                                                                                 "send_notifications"):
            continue
        fy_text, _, task = str(rec.process).partition("/")
        ev = rec.data.get("evidence") or {}
        steps = {rec.data["trigger"]: ev}
        if rec.data["trigger"] == "send_notifications":
            steps["issue_appointment"] = _order_before(app, rec)
        src = Sources(wording, defs.organization, defs.procedure, int(fy_text), task, steps)
        title = defs.organization.task(task).title.th if defs.organization.task(task) else task
        base = {"process": rec.process, "task": task, "task_title": title, "seq": rec.seq}
        if rec.data["trigger"] == "issue_appointment":
            day = as_date(ev.get("date"))
            orders.append({**base, "number": thai_number(ev.get("number")), "date": day.isoformat() if day else "",
                           "date_th": thai_date(day), "year": day.year + BE_OFFSET if day else None,
                           "running": _running(ev.get("number", ""), "head"),
                           "subject": build("appointment", src).subject, "signed_by": ev.get("signed_by", "")})
            continue
        for i, letter in enumerate(ev.get("letters") or [], 1):
            day = as_date(letter.get("date"))
            try:
                subject = build("letter", src, member=i).subject
            except Exception:  # noqa: BLE001 - an old record the wording cannot fill: the register still lists it
                subject = ""
            letters.append({**base, "number": thai_number(letter.get("number")), "date": day.isoformat() if day else "",
                            "date_th": thai_date(day), "year": day.year + BE_OFFSET if day else None,
                            "running": _running(letter.get("number", ""), "tail"),
                            "prefix": _prefix(letter.get("number", "")), "to": letter.get("member", ""),
                            "subject": subject, "channel": CHANNEL.get(letter.get("channel"), "")})
    return {"orders": orders, "letters": letters}


def _order_before(app: Any, rec: Any) -> dict:
    for r in reversed(app.log_records(rec.process)):
        if r.seq < rec.seq and r.kind == "process.transitioned" and r.data.get("trigger") == "issue_appointment":
            return r.data.get("evidence") or {}
    return {}


def register(app: Any, *, fiscal_year: int | None = None, year: int | None = None) -> dict[str, list[dict]]:
    """The registers of one fiscal year (the processes of that year) or one calendar year BE (the dates)."""
    if fiscal_year is None and year is None:
        year = bangkok_date(app.now()).year + BE_OFFSET
    found = entries(app)
    out = {}
    for name, rows in found.items():
        if fiscal_year is not None:
            rows = [r for r in rows if r["process"].startswith(f"{fiscal_year}/")]
        if year is not None:
            rows = [r for r in rows if r["year"] == year]
        rows.sort(key=lambda r: (r["date"], r["running"] or 0, r["seq"]))
        out[name] = [{**r, "register_no": to_thai_digits(str(i))} for i, r in enumerate(rows, 1)]
    return out


def next_numbers(app: Any, year: int | None = None) -> dict:
    """The next order and letter number for calendar year ``year`` (BE; default this year)."""
    if year is None:
        year = bangkok_date(app.now()).year + BE_OFFSET
    if not 2400 < year < 2800:
        raise UsageError("year", f"{year} is not a year BE", f"{to_thai_digits(str(year))} ไม่ใช่ปี พ.ศ.")
    found = entries(app)
    order = max((r["running"] or 0 for r in found["orders"] if r["year"] == year), default=0) + 1
    lh = app.active().organization.letterhead
    code = lh.letter_code if lh else ""
    prefix = to_arabic_digits(code).replace(" ", "")
    letter = max((r["running"] or 0 for r in found["letters"] if r["year"] == year
                  and (not prefix or r["prefix"] == prefix)), default=0) + 1
    return {"year": year, "order": to_thai_digits(f"{order}/{year}"), "order_running": order,
            "letter": to_thai_digits(f"{code}/{letter}") if code else to_thai_digits(str(letter)),
            "letter_running": letter, "letter_code": code}


ORDER_COLUMNS = (("number", "ที่"), ("date_th", "ลงวันที่"), ("subject", "เรื่อง"), ("task_title", "งาน"),
                 ("signed_by", "ผู้ลงนาม"))
LETTER_COLUMNS = (("register_no", "เลขทะเบียนส่ง"), ("number", "ที่"), ("date_th", "ลงวันที่"), ("office", "จาก"),
                  ("to", "ถึง"), ("subject", "เรื่อง"), ("channel", "การปฏิบัติ"))


def register_xlsx(app: Any, registers: dict[str, list[dict]], title: str) -> bytes:
    """The two registers as one workbook (a sheet each), TH Sarabun New 16, Thai digits; deterministic."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from engine.documents.docx import FIXED_DAY, normalize_zip

    lh = app.active().organization.letterhead
    office = lh.office_name if lh else app.active().organization.title.th
    wb = Workbook()
    wb.properties.created = wb.properties.modified = FIXED_DAY
    wb.properties.creator = office
    wb.properties.title = title
    font, bold = Font(name="TH Sarabun New", size=16), Font(name="TH Sarabun New", size=16, bold=True)
    sheets = (("ทะเบียนคำสั่ง", ORDER_COLUMNS, registers.get("orders", [])),
              ("ทะเบียนหนังสือส่ง", LETTER_COLUMNS, registers.get("letters", [])))
    for i, (name, columns, rows) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = name
        ws.append([f"{name} {office}"])
        ws.append([t for _, t in columns])
        for n, row in enumerate(rows, 1):
            values = {**row, "register_no": to_thai_digits(str(n)), "office": office}
            ws.append([str(values.get(key) or "") for key, _ in columns])
        for r in ws.iter_rows():
            for cell in r:
                cell.font = bold if cell.row <= 2 else font
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for col, width in zip("ABCDEFG", (18, 18, 60, 40, 30, 40, 20)):
            ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return normalize_zip(out.getvalue())
