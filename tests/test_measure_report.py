"""The measure's report: its figures for a constructed fiscal year (tests/report_scenario.py), the pure
counting, the charts' Thai labels, the XLSX's sheets and columns, the DOCX's Thai font, the command."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from engine.reports.data import measure_report
from tests import report_scenario as sc
from tests.thai_output import problems
from workflow import measure_report as mr
from workflow.reader import load_definition


@pytest.fixture
def year(opened, clock):
    sc.build(opened, clock)
    return opened


def _task(report, task_id):
    return next(t for t in report["tasks"] if t["id"] == task_id)


def _compliance(report, item, round_id):
    return next(c for c in report["compliance"] if c["item"] == item and c["round"] == round_id)


# ---------------------------------------------------------------------------- pure


def test_periods_halves_and_the_moment_the_report_is_told_at():
    year = mr.period_of(2570)
    assert (year.first, year.last) == (dt.date(2026, 10, 1), dt.date(2027, 9, 30))
    h1, h2 = mr.period_of(2570, 1), mr.period_of(2570, 2)
    assert (h1.first, h1.last) == (dt.date(2026, 10, 1), dt.date(2027, 3, 31))
    assert (h2.first, h2.last) == (dt.date(2027, 4, 1), dt.date(2027, 9, 30))
    # 1 April 00:00 Bangkok is 31 March 17:00 UTC: the first half ends there
    assert h1.ends == dt.datetime(2027, 3, 31, 17, 0, tzinfo=dt.UTC) == h2.starts
    now = dt.datetime(2027, 5, 1, tzinfo=dt.UTC)
    assert h1.as_of(now) == h1.ends and h2.as_of(now) == now
    with pytest.raises(ValueError):
        mr.period_of(2570, 3)


def test_percentiles_and_duration_figures():
    assert mr.percentile([], 50) is None
    assert mr.percentile([2, 10], 50) == 6 and mr.percentile([2, 10], 25) == 4
    assert mr.percentile([1, 2, 3, 4], 90) == pytest.approx(3.7)
    stats = mr.duration_stats([2.0, 10.0])
    assert stats == {"n": 2, "median": 6.0, "p25": 4.0, "p75": 8.0, "p90": 9.2, "max": 10.0}
    assert mr.duration_stats([])["median"] is None


def test_a_round_is_on_time_late_missing_pending_or_not_applicable():
    due = dt.datetime(2027, 3, 31, 17, tzinfo=dt.UTC)
    before, after = due - dt.timedelta(days=1), due + dt.timedelta(days=1)
    later = due + dt.timedelta(days=30)
    assert mr.round_outcome("done", before, due, later) == "on_time"
    assert mr.round_outcome("done", after, due, later, late=True) == "late"
    assert mr.round_outcome("open", None, due, later) == "missing"
    assert mr.round_outcome("open", None, due, before) == "pending"
    assert mr.round_outcome("not_applicable", None, due, later) == "not_applicable"
    # done after the moment the report is told at: judged as it stood then
    assert mr.round_outcome("done", later, due, after, late=True) == "missing"


def test_the_main_path_of_the_shipped_procedure():
    from definitions import shipped_texts

    procedure = next(d for d in (load_definition(text) for _, text in shipped_texts())
                     if getattr(d, "initial", None))
    assert mr.main_path(procedure) == ("analyzing_regulations", "appointing", "notifying", "meeting", "reporting",
                                       "reviewing_feedback", "closed")


def test_a_cancelled_process_keeps_its_place_but_counts_no_step_done():
    t0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    path = ("a", "b", "c", "end")
    facts = mr.ProcessFacts("2570/x", "x", [mr.Move(t0, None, "a", "opened"),
                                             mr.Move(t0 + dt.timedelta(days=1), "a", "b"),
                                             mr.Move(t0 + dt.timedelta(days=4), "b", "cancelled", "cancel")])
    assert mr.steps_done(facts, path, t0 + dt.timedelta(days=2)) == (1, False)
    assert mr.steps_done(facts, path, t0 + dt.timedelta(days=9)) == (1, True)
    stays = mr.stays(facts, t0 + dt.timedelta(days=9), finals={"cancelled"})
    assert [(s.state, s.days) for s in stays] == [("a", 1.0), ("b", 3.0)]


# ---------------------------------------------------------------------------- figures of a constructed year


def test_progress_by_mission_group(year):
    r = measure_report(year, 2570)
    groups = {g["id"]: g for g in r["groups"]}
    admin = groups["mission_administration"]
    # welfare: all six steps; cooperation network: two (it waits in notifying)
    assert (admin["steps_done"], admin["steps_total"], admin["closed"], admin["percent"]) == (8, 12, 1, 66.7)
    for gid in ("mission_supervision_monitoring_evaluation", "mission_policy_planning", "mission_personnel"):
        assert (groups[gid]["steps_done"], groups[gid]["steps_total"]) == (0, 18)
    assert _task(r, sc.WELFARE)["state_title"] == "เสร็จสิ้นรอบปีงบประมาณ"
    assert _task(r, sc.NETWORK)["state_title"] == "จัดทำหนังสือแจ้งผู้ได้รับแต่งตั้ง"
    assert r["ended"] is False and r["as_of"] == sc.END


def test_days_in_each_step(year):
    r = measure_report(year, 2570)
    d = {x["state"]: x for x in r["durations"]}
    assert [x["title"] for x in r["durations"]][:2] == ["วิเคราะห์กฎหมาย ระเบียบ แนวปฏิบัติ",
                                                          "จัดทำประกาศ/คำสั่งแต่งตั้ง"]
    # appointing: welfare 2 days, cooperation network 10 days
    assert (d["appointing"]["n"], d["appointing"]["median"], d["appointing"]["p25"], d["appointing"]["p75"],
            d["appointing"]["max"]) == (2, 6.0, 4.0, 8.0, 10.0)
    for state in ("meeting", "reporting", "reviewing_feedback"):
        assert (d[state]["n"], d[state]["median"]) == (1, float(sc.WELFARE_DAYS[state]))
    assert (d["notifying"]["n"], d["notifying"]["median"], d["notifying"]["ongoing"]) == (1, 3.0, 1)
    assert d["analyzing_regulations"]["ongoing"] == 9   # the nine tasks not started
    assert "closed" not in d


def test_reports_and_checkpoints_per_round(year):
    r = measure_report(year, 2570)
    h1 = _compliance(r, "semiannual_report", "h1")
    assert (h1["on_time"], h1["late"], h1["missing"], h1["pending"], h1["total"]) == (1, 1, 9, 0, 11)
    r1 = _compliance(r, "director_supervision", "r1")
    assert (r1["on_time"], r1["missing"], r1["total"]) == (1, 3, 4)
    assert _compliance(r, "committee_supervision", "r1")["on_time"] == 1
    assert _compliance(r, "semiannual_report", "h2")["pending"] == 11
    welfare, network = _task(r, sc.WELFARE), _task(r, sc.NETWORK)
    assert [x["outcome"] for x in welfare["reports"]] == ["on_time", "pending"]
    assert network["reports"][0]["outcome"] == "late" and network["reports"][0]["outcome_title"] == "ล่าช้า"
    held = next(x for x in welfare["checkpoints"] if x["round"] == "r1")
    assert held["held_on"] == dt.date(2027, 3, 9) and held["outcome"] == "on_time"
    assert held["completed_by"].startswith("รองผู้อำนวยการ สพป. คนที่ 4")
    committee = r["committee"][0]
    assert committee["held_on"] == dt.date(2027, 3, 20) and committee["findings"] == "มีผู้มีส่วนได้ส่วนเสียภายนอกร่วม"


def test_what_is_past_due_by_group(year):
    r = measure_report(year, 2570)
    by = {g["group"]: g for g in r["overdue"]["by_group"]}
    assert (by["mission_administration"]["total"]) == 0
    for gid in ("mission_supervision_monitoring_evaluation", "mission_policy_planning", "mission_personnel"):
        assert (by[gid]["report"], by[gid]["checkpoint"], by[gid]["process"]) == (3, 1, 0)
    items = r["overdue"]["items"]
    assert len(items) == 12 and all(i["days_past_due"] == 10 for i in items)   # due 31 Mar, as of 10 Apr


def test_the_four_elements_and_the_opinions(year):
    r = measure_report(year, 2570)
    e = _task(r, sc.WELFARE)["elements"]
    assert (e["topic"], e["results"], e["improvements"], e["outsiders"], e["complete"]) == (
        "สวัสดิการครู", "ได้ข้อเสนอ ๓ ข้อ", "ปรับปรุงการประชาสัมพันธ์", 2, True)
    assert _task(r, sc.NETWORK)["elements"]["complete"] is False
    o = _task(r, sc.WELFARE)["opinions"]
    assert (o["received"], o["decided"], o["adopt"], o["decline"], o["waiting"]) == (1, 2, 1, 1, 0)
    assert {d["decision_title"] for d in o["list"]} == {"นำไปปรับปรุง", "ไม่นำไปปรับปรุง"}


def test_the_halves(year):
    h1 = measure_report(year, 2570, 1)
    assert [c["round"] for c in h1["compliance"]] == ["h1", "r1", "r1"]
    # the cooperation network's report came on 5 April, after the half: it is late, not missing
    assert _compliance(h1, "semiannual_report", "h1")["late"] == 1
    assert h1["as_of"] == mr.period_of(2570, 1).ends and h1["ended"] is True
    h2 = measure_report(year, 2570, 2)
    assert {c["round"] for c in h2["compliance"]} == {"h2", "r2"}
    assert all(c["pending"] == c["total"] for c in h2["compliance"])
    assert all(d["n"] == 0 for d in h2["durations"])     # every step so far ended in the first half
    assert h2["overdue"]["items"] == []


def test_a_bad_year_or_half_is_refused_by_name(year):
    from workflow.errors import UsageError

    with pytest.raises(UsageError) as exc:
        measure_report(year, 2570, 3)
    assert exc.value.field == "half"
    with pytest.raises(UsageError):
        measure_report(year, 1999)


# ---------------------------------------------------------------------------- charts, files


THAI_GROUP = "กลุ่มนิเทศ ติดตามและประเมินผลการจัดการศึกษา"


def test_the_charts_carry_thai_labels(year):
    from engine.reports import charts
    from engine.reports.html import charts_of

    drawn = charts_of(measure_report(year, 2570))
    assert [c["key"] for c in drawn] == list(charts.CHARTS)
    for c in drawn:
        svg = c["svg"]
        assert svg.startswith("<svg") and f"<title id=\"chart-{c['key']}-title\">{c['title']}</title>" in svg
        assert "<desc" in svg and 'role="img"' in svg
        assert not problems(re.sub(r"<[^>]+>", " ", svg), where=c["key"])
    progress = drawn[0]["svg"]
    # the group's name on the axis (wrapped at its space) and as the bar's accessible label
    assert "<tspan>กลุ่มนิเทศ ติดตาม</tspan>" in progress   # on the axis, wrapped
    assert f'aria-label="{THAI_GROUP}: เสร็จแล้ว 0"' in progress     # each bar read out whole
    assert 'aria-label="กลุ่มอำนวยการ: เสร็จแล้ว 8"' in progress
    durations = drawn[2]["svg"]
    assert "รับฟังและพิจารณาความคิดเห็น" in durations and "มัธยฐาน" in durations
    png = charts.chart_png(drawn[0]["spec"])
    assert png.startswith(b"\x89PNG")


def test_a_missing_thai_font_is_said_plainly(monkeypatch, tmp_path):
    from engine.reports import charts

    monkeypatch.setenv("RUAM_THAI_FONT_DIR", str(tmp_path))
    with pytest.raises(charts.ThaiFontMissing) as exc:
        charts.thai_font()
    assert "fonts-thai-tlwg" in exc.value.message("th") and "แบบอักษรภาษาไทย" in exc.value.message("th")


def test_the_xlsx_tables_and_their_columns(year):
    from openpyxl import load_workbook

    from engine.reports.files import xlsx_bytes

    wb = load_workbook(io.BytesIO(xlsx_bytes(measure_report(year, 2570))))
    assert wb.sheetnames == ["ข้อมูลรายงาน", "ความคืบหน้า", "เลยกำหนด", "รายการเลยกำหนด", "ระยะเวลา", "ตามรอบ",
                             "บันทึกปฏิทิน", "รายงาน"]
    head = [c.value for c in wb["ความคืบหน้า"][1]]
    assert head == ["กลุ่มภารกิจ", "จำนวนงาน", "ขั้นตอนที่เสร็จ", "ขั้นตอนทั้งหมด", "ร้อยละ", "ปิดรอบแล้ว", "ยกเลิก"]
    rows = {row[0]: row for row in wb["ความคืบหน้า"].iter_rows(min_row=2, values_only=True)}
    assert rows["กลุ่มอำนวยการ"][2:5] == (8, 12, 66.7)       # numbers stay numbers
    assert [c.value for c in wb["ระยะเวลา"][1]][:4] == ["ขั้นตอน", "จำนวนครั้ง", "มัธยฐาน", "ควอร์ไทล์ที่ ๑"]
    assert [c.value for c in wb["ตามรอบ"][1]] == ["รอบ", "กำหนด", "ตรงเวลา", "ล่าช้า", "เลยกำหนดยังไม่ดำเนินการ",
                                                  "ยังไม่ถึงกำหนด", "ไม่อยู่ในรอบ", "รวม"]
    first = next(wb["ตามรอบ"].iter_rows(min_row=2, values_only=True))
    assert first[:5] == ("รายงานผล รอบ ๖ เดือน (ไตรมาส ๒)", "31 มีนาคม 2570", 1, 1, 9)
    for ws in wb.worksheets:
        text = "\n".join(" ".join(str(v) for v in row if v is not None) for row in ws.iter_rows(values_only=True))
        assert not problems(text, {p["id"] for p in year.people()}, where=ws.title)


def test_the_docx_is_thai_sarabun_16_with_the_charts(year):
    from docx import Document

    from engine.reports.files import docx_bytes

    data = docx_bytes(measure_report(year, 2570, 1))
    doc = Document(io.BytesIO(data))
    normal = doc.styles["Normal"].element.rPr
    xml = normal.xml
    assert 'w:cs="TH Sarabun New"' in xml and 'w:szCs w:val="32"' in xml and 'w:bidi="th-TH"' in xml
    assert len(doc.inline_shapes) == 4
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "ครึ่งปีแรก" in text and "งานส่งเสริมสวัสดิการและสวัสดิภาพครูและบุคลากรทางการศึกษา" in text
    assert not problems(text, {p["id"] for p in year.people()}, where="docx")


def test_the_command_writes_each_format_and_refuses_plainly(year, db, tmp_path, capsys):
    from engine.cli.ruam import main

    out = tmp_path / "report.xlsx"
    assert main(["--db", db, "measure-report", "--fiscal-year", "2570", "--half", "1", "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "ปีงบประมาณ 2570 ครึ่งปีที่ 1" in said and out.read_bytes().startswith(b"PK")
    page = tmp_path / "report.html"
    assert main(["--db", db, "measure-report", "--fiscal-year", "2570", "-o", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "@font-face" in html and "data:font/ttf;base64," in html and THAI_GROUP in html
    assert main(["--db", db, "measure-report", "--fiscal-year", "2570", "--json"]) == 0
    assert '"fiscal_year": 2570' in capsys.readouterr().out
    assert main(["--db", db, "measure-report", "--fiscal-year", "2570"]) == 2
    assert "-o FILE" in capsys.readouterr().err
    assert main(["--db", db, "measure-report", "--fiscal-year", "2570", "-o", str(tmp_path / "no" / "x.docx")]) == 2
    assert not list(tmp_path.glob(".ruam-report-*"))


def test_after_the_year_unfinished_processes_and_unheld_rounds_are_past_due(year, clock):
    clock.set(dt.datetime(2027, 10, 5, 3, tzinfo=dt.UTC))     # 5 Oct 2570 BE: FY 2570 has ended
    r = measure_report(year, 2570)
    assert r["ended"] is True and r["as_of"] == mr.period_of(2570).ends
    by = {g["group"]: g for g in r["overdue"]["by_group"]}
    assert by["mission_administration"]["process"] == 1          # the cooperation network, still notifying
    assert by["mission_policy_planning"]["process"] == 3
    # the second round was never opened by a tick here: past its due day it is missing all the same
    assert _compliance(r, "semiannual_report", "h2")["missing"] == 11
    assert _compliance(r, "director_supervision", "r2")["missing"] == 4
    unfinished = [i for i in r["overdue"]["items"] if i["kind"] == "process"]
    assert len(unfinished) == 10 and {i["days_past_due"] for i in unfinished} == {5}
    assert {i["what"] for i in unfinished} == {"วิเคราะห์กฎหมาย ระเบียบ แนวปฏิบัติ",
                                               "จัดทำหนังสือแจ้งผู้ได้รับแต่งตั้ง"}
