"""ITA evidence out of the ledger: the four elements per task, the catalogue and its
crosswalk, completeness rules, the answer sheet and the files the public may open."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from engine.ita.check import check
from engine.ita.elements import task_elements
from engine.ita.publish import mark_public, read_public_attachment
from tests import steps
from tests.ita_helpers import cancel_others, complete_task, with_scans
from workflow import ita as wi
from workflow.errors import DefinitionError, NotFound, Refused
from workflow.ita_catalogue import crosswalk, read_catalogue


def mine(app, fy=2570):
    return next(t for t in task_elements(app, fy) if t.task_id == steps.TASK)


# --------------------------------------------------------------------------- the four elements
def test_a_completed_task_has_its_four_elements_and_only_the_allowed_personal_fields(opened):
    steps.run(opened, steps.HAPPY_PATH)
    els = task_elements(opened, 2570)
    assert [t.order for t in els] == list(range(1, 12))            # the announcement's order
    assert els[0].task_id == "task_supervision_monitoring_evaluation" and els[-1].task_id == steps.TASK
    el = els[-1]
    assert el.topic == "สวัสดิการครู" and el.results == "ได้ข้อเสนอ ๓ ข้อ"
    assert [i.action for i in el.improvements] == ["เพิ่มช่องทางประชาสัมพันธ์"]
    assert el.improvements_text == "ปรับปรุงการประชาสัมพันธ์"
    assert el.publishable and all(el.complete.values()) and el.external_participants == 2
    assert {tuple(p.as_dict()) for p in el.participants} == {
        ("name", "position", "organisation", "external", "appointed", "attended", "body_role")}
    assert [(p.name, p.organisation, p.external, p.attended) for p in el.participants][0] == \
        ("ผู้แทนชุมชน ก", "ชุมชนตำบลตัวอย่าง", True, 1)
    assert [s.trigger for s in el.steps] == [t for t, _a, _e in steps.HAPPY_PATH]
    assert el.steps[3].date == dt.date(2026, 11, 15)                 # the meeting's own date
    assert [r.id.split("/")[2] for r in el.reports] == ["h1", "h2"]
    assert {s.item for s in el.supervision} == {"director_supervision", "committee_supervision"}
    assert not els[0].publishable and els[0].process_id == "2570/task_supervision_monitoring_evaluation"


def test_a_step_sent_back_no_longer_counts(opened):
    steps.run(opened, steps.HAPPY_PATH[:4])
    opened.send_back(steps.PROCESS, steps.DIRECTOR, "แก้วันที่ประชุม")
    assert mine(opened).meetings == []
    steps.run(opened, [("record_meeting", steps.OFFICER, steps.meeting("2569-11-16"))])
    assert [m.date for m in mine(opened).meetings] == [dt.date(2026, 11, 16)]


# --------------------------------------------------------------------------- completeness rules
def _history(meetings, close=None):
    out, seq = [], 0
    for trigger, ev in [("record_meeting", m) for m in meetings] + ([("close", close)] if close else []):
        seq += 1
        out.append({"kind": "process.transitioned", "seq": seq, "at": "2026-11-20T03:00:00.000000Z",
                    "data": {"trigger": trigger, "evidence": ev}})
    return out


def test_no_outsider_inside_the_window_is_reported():
    meeting = {"date": "2026-11-15", "agenda": "a", "attendees": [{"name": "ครู ค", "external": False}]}
    gaps = wi.element_gaps(wi.read_history(_history([meeting])), wi.period_window(2570, "in_year"))
    assert "no_outsider" in {g.code for g in gaps}
    assert any("บุคคลภายนอก" in g.th for g in gaps if g.code == "no_outsider")


def test_an_activity_outside_the_window_is_reported(opened):
    # the meeting of September 2569 belongs to FY 2569: outside FY 2570's window
    path = [steps.HAPPY_PATH[0], ("issue_appointment", steps.DIRECTOR, steps.appointment(date="2569-09-01")),
            ("send_notifications", steps.OFFICER, steps.notifications("2569-09-05")),
            ("record_meeting", steps.OFFICER, steps.meeting("2569-09-20")),
            ("send_report", steps.OFFICER, steps.report("2569-09-25")), steps.HAPPY_PATH[5]]
    steps.run(opened, path)
    report = check(opened, 2570)
    [item] = report.items
    gaps = next(t for t in item.tasks if t.task.task_id == steps.TASK).gaps
    codes = {g.code for g in gaps}
    assert "activity_outside_window" in codes and "outside_window" in codes
    words = " ".join(g.th for g in gaps)
    assert "20 กันยายน 2569" in words and "1 ตุลาคม 2569 – 30 กันยายน 2570" in words
    # the first six months' window of the same year excludes a meeting in April 2570
    gaps = wi.element_gaps(wi.read_history(_history([{"date": "2027-04-02", "agenda": "a", "attendees": [
        {"name": "ก", "external": True}]}])), wi.period_window(2570, "first_half"))
    assert "activity_outside_window" in {g.code for g in gaps}


def test_a_task_without_an_improvement_is_reported_with_the_step_that_fixes_it(opened):
    steps.run(opened, steps.HAPPY_PATH[:5])                          # reported, not yet decided
    [item] = check(opened, 2570).items
    tc = next(t for t in item.tasks if t.task.task_id == steps.TASK)
    [gap] = [g for g in tc.gaps if g.element == "improvements"]
    assert gap.code == "no_improvement" and "ปรับปรุง" in gap.th
    assert tc.complete["results"] and not tc.complete["improvements"] and not tc.ok
    fix = tc.fix(gap)
    assert fix.path == f"/processes/{steps.PROCESS}" and "สรุปผลและปิดรอบปีงบประมาณ" in fix.th


def test_a_document_not_published_is_reported_until_its_scan_is_marked_public(opened):
    path, order, minutes = with_scans(opened)
    steps.run(opened, path)
    [item] = check(opened, 2570).items
    tc = next(t for t in item.tasks if t.task.task_id == steps.TASK)
    assert [g.code for g in tc.gaps] == ["not_published", "not_published"]
    assert "ยังไม่ได้ทำเครื่องหมายเผยแพร่" in tc.gaps[0].th and tc.fix(tc.gaps[0]).path.endswith("#files")
    mark_public(opened, steps.PROCESS, order["sha256"], steps.OFFICER)
    mark_public(opened, steps.PROCESS, minutes["sha256"], steps.DIRECTOR)
    [item] = check(opened, 2570).items
    tc = next(t for t in item.tasks if t.task.task_id == steps.TASK)
    assert tc.ok and item.answer and not item.complete               # the other ten tasks are not done
    cancel_others(opened)
    report = check(opened, 2570)
    assert report.complete and report.catalogue.carried_from == 2569


def test_only_files_marked_public_are_served_and_only_the_tasks_people_may_mark(opened):
    order, _minutes = complete_task(opened, publish=False)
    with pytest.raises(NotFound):
        read_public_attachment(opened, steps.PROCESS, order["sha256"])
    with pytest.raises(Refused):
        mark_public(opened, steps.PROCESS, order["sha256"], "ktpn_1")
    with pytest.raises(NotFound):
        mark_public(opened, steps.PROCESS, "0" * 64, steps.DIRECTOR)   # not a file of this process
    rec = mark_public(opened, steps.PROCESS, order["sha256"], steps.DIRECTOR)
    assert rec.kind == "attachment.published" and rec.data["public"] is True and rec.role == "group_director"
    assert read_public_attachment(opened, steps.PROCESS, order["sha256"]).content.startswith(b"%PDF")
    mark_public(opened, steps.PROCESS, order["sha256"], steps.DIRECTOR, public=False)
    with pytest.raises(NotFound):
        read_public_attachment(opened, steps.PROCESS, order["sha256"])


# --------------------------------------------------------------------------- the catalogue
def test_the_participation_evidence_resolves_to_each_years_code():
    from engine.ita.catalogue import catalogues, for_year

    walk = {(fy, kind): code for fy, kind, code, _c in crosswalk(catalogues(), "participation")}
    assert walk == {(2566, "esa_office"): "O33", (2567, "esa_office"): "o25", (2568, "esa_office"): "O20",
                    (2568, "other_agency"): "O29", (2569, "esa_office"): "O19"}
    assert for_year(2568, "other_agency").item("participation").confidence == "uncertain"
    y2569 = for_year(2569)
    assert y2569.item("ita_result_analysis").code == "O25"
    assert y2569.item("internal_integrity_measures").code is None
    assert for_year(2570).carried_from == 2569 and for_year(2570).item("participation").code == "O19"


BAD = """kind: ita_catalogue
fiscal_year: 2570
agency_type: esa_office
agency_title: {th: สำนักงานเขตพื้นที่การศึกษา, en: ESA office}
source: an office's own reading of the 2570 form
items:
  - code: O19
    concept: participation
    title: {th: การเปิดโอกาสให้เกิดการมีส่วนร่วม, en: Participation}
    period: whenever
    confidence: seen
    source: the form
    elements:
      - {id: topic, title: {th: ประเด็น, en: Topic}, evidence: [task.topic, task.mood]}
  - code: null
    concept: participation
    title: {th: ซ้ำ, en: Again}
    period: in_year
    confidence: seen
    source: x
    elements: [{id: a, title: {th: ก, en: A}, evidence: [office.own]}]
"""


def test_a_catalogue_file_is_checked_with_its_lines():
    with pytest.raises(DefinitionError) as exc:
        read_catalogue(BAD, "2570.yaml")
    found = {(p.line, p.field) for p in exc.value.problems}
    assert (10, "items[0].period") in found
    assert (14, "items[0].elements[0].evidence") in found
    assert (15, "items[1].code") in found                            # no code, yet not uncertain
    assert any(f == "items[1].concept" for _l, f in found)           # one concept once a year
    good = BAD.replace("whenever", "oct_to_aug").replace(", task.mood", "").split("  - code: null")[0]
    c = read_catalogue(good, "2570.yaml")
    assert c.fiscal_year == 2570 and c.item("participation").period == "oct_to_aug"


def test_ruam_definitions_check_checks_an_offices_2570_file(tmp_path, capsys, monkeypatch):
    from engine.cli.ruam import main

    good = BAD.replace("whenever", "oct_to_aug").replace(", task.mood", "").split("  - code: null")[0]
    (tmp_path / "2570.yaml").write_text(good, encoding="utf-8")
    assert main(["definitions", "check", str(tmp_path / "2570.yaml")]) == 0
    assert "รายการข้อ ITA ปีงบประมาณ 2570" in capsys.readouterr().out
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    assert main(["definitions", "check", str(tmp_path / "bad.yaml")]) == 1
    assert "bad.yaml:10: items[0].period" in capsys.readouterr().err
    # the office's folder: checked with the shipped files, and its 2570 file is the year's catalogue
    monkeypatch.setenv("RUAM_ITA_DIR", str(tmp_path / "office"))
    (tmp_path / "office").mkdir()
    (tmp_path / "office" / "2570.yaml").write_text(good.replace("O19", "O21"), encoding="utf-8")
    assert main(["definitions", "check"]) == 0
    assert "ปีงบประมาณ 2570 สำนักงานเขตพื้นที่การศึกษา: O21" in capsys.readouterr().out
    from engine.ita.catalogue import for_year

    c = for_year(2570)
    assert c.carried_from is None and c.item("participation").code == "O21" and c.item("participation").period \
        == "oct_to_aug"


# --------------------------------------------------------------------------- the answer sheet
def test_the_answer_sheet_has_the_oit_columns_in_csv_and_xlsx(opened, monkeypatch):
    from openpyxl import load_workbook

    from engine.ita.sheet import COLUMNS, sheet_rows, to_csv, to_xlsx

    monkeypatch.setenv("RUAM_PUBLIC_URL", "https://ita.example.go.th/")
    complete_task(opened)
    report = check(opened, 2570)
    from engine.ita.check import public_url

    rows = sheet_rows(report, public_url())
    table = list(csv.reader(io.StringIO(to_csv(rows).decode("utf-8-sig"))))
    assert tuple(table[0]) == COLUMNS == ("ข้อ", "ชื่อข้อ", "มี/ไม่มี", "URL", "คำอธิบายสำหรับผู้ประเมิน")
    assert table[1][:4] == ["O19", "การเปิดโอกาสให้เกิดการมีส่วนร่วม", "มี", "https://ita.example.go.th/public/2570"]
    assert "งานส่งเสริมสวัสดิการ" in table[1][4] and "๔ ด้าน" in table[1][4]
    ws = load_workbook(io.BytesIO(to_xlsx(rows, report))).active
    assert [c.value for c in ws[1]] == list(COLUMNS)
    assert [c.value for c in ws[2]][:4] == table[1][:4] and ws["D2"].hyperlink.target == table[1][3]


def test_ruam_ita_check_and_sheet_exit_codes_and_thai(db, opened, tmp_path, capsys):
    from engine.cli.ruam import main
    from tests.thai_output import problems

    assert main(["ita", "check", "--fiscal-year", "2570", "--db", db]) == 1
    out = capsys.readouterr().out
    assert "ข้อ O19 การเปิดโอกาสให้เกิดการมีส่วนร่วม: ไม่มี" in out and "ยังไม่มีการประชุม" in out
    people = {p["id"] for p in opened.people()}
    assert not problems(" ".join(w for w in out.split() if "://" not in w), people)   # links aside
    complete_task(opened)
    cancel_others(opened)
    assert main(["ita", "check", "--fiscal-year", "2570", "--db", db]) == 0
    assert "ครบทุกข้อ" in capsys.readouterr().out
    assert main(["ita", "check", "--fiscal-year", "2570", "--db", db, "--json"]) == 0
    import json

    body = json.loads(capsys.readouterr().out)
    assert body["complete"] and body["items"][0]["code"] == "O19" and body["carried_from"] == 2569
    assert main(["ita", "sheet", "--fiscal-year", "2570", "--db", db, "-o", str(tmp_path / "oit.csv")]) == 0
    assert (tmp_path / "oit.csv").read_bytes().startswith("\ufeffข้อ".encode())
    assert main(["ita", "sheet", "--fiscal-year", "2570", "--db", db, "-o", str(tmp_path / "oit.txt")]) == 2
    assert ".xlsx" in capsys.readouterr().err and not (tmp_path / "oit.txt").exists()
    assert main(["ita", "check", "--fiscal-year", "2500", "--db", db]) == 2   # no catalogue that early


def test_the_audit_judges_a_file_marked_public(opened):
    from engine.audit.live import verify

    order, _m = complete_task(opened)
    report = verify(opened)
    assert report.ok and "attachment.published" not in report.unchecked
    from workflow.ledger import Entry

    with opened.store.transaction() as tx:                           # a mark no task person made
        tx.append([Entry(kind="attachment.published", at=opened.now(), actor="ktpn_1", role="ktpn_member",
                         process=steps.PROCESS, data={"sha256": order["sha256"], "name": "x", "public": True})])
    findings = verify(opened).findings
    assert [f.kind for f in findings] == ["authority"] and "ktpn_1" in findings[0].message
