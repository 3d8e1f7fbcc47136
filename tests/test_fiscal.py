"""Thai fiscal years, Buddhist-Era dates and Thai digits."""

import datetime as dt

import pytest

from workflow.fiscal import (
    fiscal_quarter,
    fiscal_year_be,
    fiscal_year_bounds,
    fiscal_year_start_utc,
    format_date_be,
    format_datetime_be,
    parse_date,
    parse_moment,
    to_thai_digits,
)


@pytest.mark.parametrize("day,fy,quarter", [
    (dt.date(2026, 9, 30), 2569, 4), (dt.date(2026, 10, 1), 2570, 1), (dt.date(2026, 12, 31), 2570, 1),
    (dt.date(2027, 1, 1), 2570, 2), (dt.date(2027, 3, 31), 2570, 2), (dt.date(2027, 4, 1), 2570, 3),
    (dt.date(2020, 4, 24), 2563, 3),  # the seed's announcement: FY 2563, Q3
])
def test_fiscal_year_and_quarter(day, fy, quarter):
    assert fiscal_year_be(day) == fy
    assert fiscal_quarter(day) == quarter


def test_fiscal_year_bounds_and_start_instant():
    assert fiscal_year_bounds(2570) == (dt.date(2026, 10, 1), dt.date(2027, 9, 30))
    assert fiscal_year_bounds(2563) == (dt.date(2019, 10, 1), dt.date(2020, 9, 30))
    # 1 October 00:00 in Bangkok is 30 September 17:00 UTC
    assert fiscal_year_start_utc(2570) == dt.datetime(2026, 9, 30, 17, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("text,expected", [
    ("2026-10-01", dt.date(2026, 10, 1)), ("2569-10-01", dt.date(2026, 10, 1)), ("1/10/2569", dt.date(2026, 10, 1)),
    ("๒๔/๔/๒๕๖๓", dt.date(2020, 4, 24)), ("๒๕๖๓-๐๔-๒๔", dt.date(2020, 4, 24)), ("29/2/2567", dt.date(2024, 2, 29)),
])
def test_parse_dates_as_officers_type_them(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2570", "2570-13-01", "yesterday", "", "29/2/2570"])
def test_bad_dates_say_what_is_expected(text):
    with pytest.raises(ValueError) as err:
        parse_date(text)
    assert "date" in str(err.value)


def test_moments_are_bangkok_time():
    assert parse_moment("1/10/2569") == dt.datetime(2026, 9, 30, 17, 0, tzinfo=dt.timezone.utc)
    assert parse_moment("2569-09-30T23:59") == dt.datetime(2026, 9, 30, 16, 59, tzinfo=dt.timezone.utc)


def test_formatting_in_buddhist_era():
    assert format_date_be(dt.date(2020, 4, 24)) == "24 เมษายน 2563"
    assert format_date_be(dt.date(2020, 4, 24), thai_digits=True) == "๒๔ เมษายน ๒๕๖๓"
    assert to_thai_digits("123/2570") == "๑๒๓/๒๕๗๐"
    assert format_datetime_be(dt.datetime(2026, 9, 30, 17, 0, tzinfo=dt.timezone.utc)) == "1 ต.ค. 2569 00:00 น."
