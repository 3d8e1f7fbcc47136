"""Thai fiscal years, Buddhist-Era dates and Thai digits.

The Thai fiscal year (ปีงบประมาณ) runs 1 October – 30 September and is named by
the Buddhist-Era year in which it ends: FY 2570 = 1 Oct 2026 – 30 Sep 2027.
Times are stored in UTC and shown in Asia/Bangkok. Pure functions; no clock.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")
_TO_THAI = str.maketrans("0123456789", THAI_DIGITS)

THAI_MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
THAI_MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)


def to_arabic_digits(text: str) -> str:
    return text.translate(_TO_ARABIC)


def to_thai_digits(text: str) -> str:
    return text.translate(_TO_THAI)


def fiscal_year_be(day: dt.date) -> int:
    """The BE fiscal year a (Bangkok) calendar day belongs to."""
    return day.year + BE_OFFSET + (1 if day.month >= 10 else 0)


def fiscal_quarter(day: dt.date) -> int:
    return ((day.month - 10) % 12) // 3 + 1


def fiscal_year_bounds(fy_be: int) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of a BE fiscal year."""
    end_ce = fy_be - BE_OFFSET
    return dt.date(end_ce - 1, 10, 1), dt.date(end_ce, 9, 30)


def fiscal_year_start_utc(fy_be: int) -> dt.datetime:
    """The instant FY starts: 1 October 00:00 Bangkok time, in UTC."""
    start, _ = fiscal_year_bounds(fy_be)
    return dt.datetime.combine(start, dt.time(0), BANGKOK).astimezone(dt.timezone.utc)


def bangkok_date(moment: dt.datetime) -> dt.date:
    return to_bangkok(moment).date()


def to_bangkok(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(BANGKOK)


def format_date_be(day: dt.date, *, thai_digits: bool = False, short: bool = False) -> str:
    """``24 เมษายน 2563`` (or ``24 เม.ย. 2563``, or with Thai digits)."""
    months = THAI_MONTHS_SHORT if short else THAI_MONTHS
    text = f"{day.day} {months[day.month - 1]} {day.year + BE_OFFSET}"
    return to_thai_digits(text) if thai_digits else text


def format_datetime_be(moment: dt.datetime, *, thai_digits: bool = False) -> str:
    """A UTC instant shown in Bangkok time: ``1 ต.ค. 2569 09:30 น.``."""
    local = to_bangkok(moment)
    text = f"{format_date_be(local.date(), short=True)} {local:%H:%M} น."
    return to_thai_digits(text) if thai_digits else text


class DateError(ValueError):
    """A date or date-time that cannot be read: the English message, and ``th`` the Thai one."""

    def __init__(self, message: str, th: str) -> None:
        super().__init__(message)
        self.th = th


_WHY_TH = {"month must be in 1..12": "เดือนต้องอยู่ระหว่าง 1 ถึง 12",
           "day is out of range for month": "เดือนนั้นไม่มีวันที่นี้"}

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(text: str) -> dt.date:
    """Parse a date typed by an officer.

    Accepts ISO ``2026-10-01`` (CE), ``2569-10-01`` (a year above 2400 is read as
    BE), ``1/10/2569`` (day/month/BE year) and Thai digits in any of them.
    Raises ``ValueError`` with a message naming the expected forms.
    """
    raw = to_arabic_digits(str(text).strip())
    match = _ISO_DATE.match(raw)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _SLASH_DATE.match(raw)
        if not match:
            raise DateError(
                f"'{text}' is not a date; use YYYY-MM-DD (CE or BE) or DD/MM/YYYY (BE)",
                f"'{text}' ไม่ใช่วันที่ ใช้รูปแบบ วว/ดด/ปปปป (พ.ศ.) เช่น 31/3/2570",
            )
        day, month, year = (int(g) for g in match.groups())
    if year > 2400:
        year -= BE_OFFSET
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        why = _WHY_TH.get(str(exc), "ไม่มีวันนี้ในปฏิทิน")
        raise DateError(f"'{text}' is not a valid date: {exc}", f"'{text}' ไม่ใช่วันที่ที่มีจริง: {why}") from None


def parse_moment(text: str) -> dt.datetime:
    """A date or date-time typed by a user, read in Bangkok time, returned in UTC.

    A bare date means the start of that day in Bangkok.
    """
    raw = to_arabic_digits(str(text).strip())
    if "T" in raw or " " in raw:
        day_part, _, time_part = raw.replace(" ", "T", 1).partition("T")
        day = parse_date(day_part)  # a BE year, 29 February of a BE leap year; its own message if not a day
        try:
            clock = dt.datetime.fromisoformat(f"2000-01-01T{time_part}")
        except ValueError:
            raise DateError(f"'{text}' is not a date-time; use YYYY-MM-DDTHH:MM",
                            f"'{text}' ไม่ใช่วันเวลา ใช้รูปแบบ ปปปป-ดด-ววTชช:นน เช่น 2570-03-31T09:00") from None
        moment = dt.datetime.combine(day, clock.time(), clock.tzinfo)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BANGKOK)
        return moment.astimezone(dt.timezone.utc)
    day = parse_date(raw)
    return dt.datetime.combine(day, dt.time(0), BANGKOK).astimezone(dt.timezone.utc)
