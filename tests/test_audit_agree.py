"""The auditor's ways agree, and say what they checked (issue 11, item 4).

The ``/audit`` page lists findings in Thai; an offline check of an export judges the
calendar as the database's verify does (or says what it could not judge, never a plain
"ผ่าน"); a tamper is told once in the CLI, its JSON and the page; the seal to print names
the office, who exported, when (BE) and the verdict at export; exporting a ledger that
does not verify warns.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from engine.audit.live import verify
from engine.calendar import tick
from tests.audit_helpers import attack, rows, set_body
from tests.calendar_helpers import bkk
from tests.test_calendar_audit import H1, TASK, forge, h1_openings
from tests.thai_output import problems
from tests.webkit import hidden, login

AUDITOR_NAME = "ผู้ตรวจสอบภายใน (ตัวอย่าง)"
OFFICE_TH = "สำนักงานเขตพื้นที่การศึกษาประถมศึกษา (ตัวอย่าง) เขต ๑"  # the default office, by its letterhead
DEFINITION_TH = "ไม่ตรงกับ hash ของรุ่น"  # the Thai words of "this definition is missing or altered", every way
DEFINITION_EN = "does not hash to its version"


def _ticks(app, clock, *moments) -> None:
    for moment in moments:
        clock.set(moment)
        tick(app)


@pytest.fixture
def ticked(opened, clock):
    """FY 2570 opened and the calendar ticked to 28 February 2570 BE (the H1 reports not yet open)."""
    _ticks(opened, clock, bkk(2026, 11, 20, 10), bkk(2027, 1, 1), bkk(2027, 2, 28))
    assert verify(opened).ok
    return opened


@pytest.fixture
def auditor(web, ticked):
    with TestClient(web) as client:
        assert login(client, "auditor").status_code == 303
        yield client


def _cli(capsys, *argv):
    from engine.cli.ruam import main

    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _people(app) -> set[str]:
    return {p["id"] for p in app.people()}


def _readable(out: str) -> str:
    """The output less its hashes (hex digits may spell a CE year or a word by chance)."""
    return re.sub(r"[0-9a-f]{12,}", "", out)


def _findings_block(page: str) -> str:
    """What the page shows of the report (verdict, findings, what was checked) as plain text."""
    found = re.search(r'data-verify="[a-z]+">(.*?)</details>', page, re.DOTALL)
    assert found, page[:2000]
    return html.unescape(re.sub(r"<[^>]+>", "\n", found.group(1)))


def _alter_the_procedure(db_url) -> None:
    """The stored procedure's content changed behind the ledger: the fold sees it at the record that
    registered it, the table check sees it in the table — one problem."""
    with attack(db_url) as conn:
        conn.execute(text("UPDATE definitions SET content = replace(content, 'group_director', "
                          "'responsible_officer') WHERE kind = 'procedure'"))


def _registered_at(app, kind: str) -> int:
    return next(r.seq for r in app.log_records() if r.kind == "definition.registered" and r.data["kind"] == kind)


# --------------------------------------------------------------------------- the /audit page


def test_the_audit_page_lists_findings_in_thai(auditor, ticked, db_url):
    with attack(db_url) as conn:
        conn.execute(text("UPDATE processes SET state = 'closed' WHERE id = '2570/task_cooperation_network'"))
        conn.execute(text("UPDATE calendar_items SET status = 'done' WHERE id = :i"),
                     {"i": "2570/committee_supervision/r1/office"})
        conn.execute(text("UPDATE people SET position = 'ตำแหน่งปลอม' WHERE id = 'ktpn_2'"))
        last = rows(conn)[-1]
        set_body(conn, last["seq"], last["body"].replace('"system"', '"admin"', 1))
    report = verify(ticked)
    assert report.findings.total >= 4
    r = auditor.get("/audit?run=1")
    assert r.status_code == 200 and 'data-verify="failed"' in r.text
    shown = _findings_block(r.text)
    assert f"ไม่ผ่าน: พบปัญหา {report.findings.total} ข้อ" in shown
    assert "งานประสานงานสร้างเครือข่ายความร่วมมือทางการศึกษา ปีงบประมาณ 2570" in shown  # a process by its title
    assert "«ดำเนินการแล้ว»" in shown and "เนื้อหาถูกแก้ไข" in shown
    assert f"บันทึกที่ {last['seq']}" in shown and "สิ่งที่ตรวจ" in shown and "ปฏิทิน: ตรวจแล้ว" in shown
    assert problems(shown, _people(ticked), where="/audit") == []
    for f in report.findings:  # every finding of the verify is listed, once
        assert shown.count(f"— {_kind_th(f.kind)}:") >= 1
    assert len(re.findall(r"<li data-seq=", r.text)) == report.findings.total
    english = _findings_block(auditor.get("/audit?run=1&lang=en").text)
    assert "FAILED" in english and "content changed" in english


def _kind_th(kind: str) -> str:
    from engine.audit.words import kind_label

    return kind_label(kind, True)


def test_an_untouched_ledger_passes_on_the_page_and_says_what_it_checked(auditor):
    r = auditor.get("/audit?run=1")
    assert r.status_code == 200 and 'data-verify="ok"' in r.text
    assert "ปฏิทิน: ตรวจแล้ว" in r.text and "ตารางสถานะเทียบกับบันทึก: ตรวจแล้ว" in r.text


# --------------------------------------------------------------------------- each finding once


def test_one_tamper_is_told_once_in_the_cli_its_json_and_the_page(auditor, ticked, db_url, capsys):
    _alter_the_procedure(db_url)
    seq = _registered_at(ticked, "procedure")
    for workers in ("1", "2"):  # one process, and the coordinator with a worker
        code, out, _ = _cli(capsys, "audit", "verify", "--db", db_url, "--no-progress", "--workers", workers)
        assert code == 1 and out.count(DEFINITION_TH) == 1, out
        assert next(line for line in out.splitlines() if DEFINITION_TH in line).startswith(f"#{seq} ")
        code, out, _ = _cli(capsys, "audit", "verify", "--db", db_url, "--json", "--workers", workers)
        data = json.loads(out)
        assert code == 1 and [f["seq"] for f in data["findings"] if DEFINITION_EN in f["message"]] == [seq]
        assert out.count(DEFINITION_EN) == 1 and out.count(DEFINITION_TH) == 1
        assert data["findings_total"] == len(data["findings"]) == sum(data["finding_counts"].values())
    page = auditor.get("/audit?run=1").text
    assert _findings_block(page).count(DEFINITION_TH) == 1


def test_a_changed_record_is_told_once_in_the_json(ticked, db_url, capsys):
    with attack(db_url) as conn:
        target = next(r for r in rows(conn) if r["kind"] == "calendar.item_opened")
        set_body(conn, target["seq"], target["body"].replace('"system"', '"admin"', 1))
    code, out, _ = _cli(capsys, "audit", "verify", "--db", db_url, "--json")
    data = json.loads(out)
    assert code == 1 and data["first_chain_break"] == {"kind": "chain", "seq": target["seq"]}
    assert out.count("content changed") == 1
    code, out, _ = _cli(capsys, "audit", "verify", "--db", db_url, "--no-progress")
    assert out.count("เนื้อหาถูกแก้ไข") == 1


def test_an_altered_definition_in_an_export_is_told_once(ticked, tmp_path, capsys):
    from engine.audit.export import export, verify_file

    path = tmp_path / "ledger.jsonl"
    seal = export(ticked, "jsonl", path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if '"definition"' in line and '"procedure"' in line)
    lines[at] = lines[at].replace("group_director", "responsible_officer", 1)
    path.write_text("".join(lines), encoding="utf-8")
    report = verify_file(path, seal)
    about = [f for f in report.findings if DEFINITION_EN in f.message]
    assert [f.seq for f in about] == [_registered_at(ticked, "procedure")]  # located, and once
    code, out, _ = _cli(capsys, "audit", "verify", "--file", str(path), "--no-progress")
    assert code == 1 and out.count(DEFINITION_TH) == 1


# --------------------------------------------------------------------------- offline, the calendar


def test_offline_verify_finds_the_calendar_finding_the_database_finds(ticked, db_url, tmp_path, capsys):
    """A forger with database rights appends a whole tick with one wrong due date and a correct chain:
    only the calendar's rules can tell, on the database and in an export of it."""
    from engine.audit.export import export, verify_file

    forge(db_url, h1_openings(ticked, bkk(2027, 3, 1), **{TASK: {"due_on": "2027-04-30"}}))
    live = [(f.kind, f.seq, f.message) for f in verify(ticked).findings if f.kind == "calendar"]
    assert len(live) == 1 and "due_on is 2027-04-30" in live[0][2]
    path = tmp_path / "ledger.jsonl"
    seal = export(ticked, "jsonl", path)
    ticked.store.dispose()
    offline = verify_file(path, seal)
    assert [(f.kind, f.seq, f.message) for f in offline.findings if f.kind == "calendar"] == live
    assert not offline.ok and offline.checks["calendar"] == "done" and offline.unchecked == {}
    code, out, _ = _cli(capsys, "audit", "verify", "--file", str(path), "--no-progress")
    assert code == 1 and f"#{live[0][1]}" in out and "ปฏิทิน: " in out and "ไม่ผ่าน" in out
    calendar_lines = [line for line in out.splitlines() if line.startswith(f"#{live[0][1]} ")]
    assert len(calendar_lines) == 1 and H1 not in calendar_lines[0]  # once, the item by its title
    assert problems(_readable(out), _people_of_export(path)) == []


def _people_of_export(path) -> set[str]:
    people = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item.get("kind") == "person.added":
            people.add(json.loads(item["body"])["data"]["person"])
    return people


def test_a_clean_export_with_calendar_records_passes_with_the_calendar_judged(ticked, tmp_path, capsys):
    from engine.audit.export import export, verify_file

    path = tmp_path / "ledger.jsonl"
    export(ticked, "jsonl", path)
    report = verify_file(path)
    assert report.ok and report.checks["calendar"] == "done" and report.unchecked == {}
    assert "unchecked" not in report.checks
    code, out, _ = _cli(capsys, "audit", "verify", "--file", str(path), "--seal", str(path) + ".seal.json",
                        "--no-progress")
    verdict = out.strip().splitlines()[-1]
    assert code == 0 and verdict.startswith("ผ่าน: ไม่พบปัญหาในบันทึกของไฟล์")
    assert "ไม่ได้ตรวจตารางในฐานข้อมูล" in verdict and "เมื่อส่งออกฐานข้อมูลผ่านการตรวจ" in verdict
    assert "  ปฏิทิน: ตรวจแล้ว" in out
    code, out, _ = _cli(capsys, "audit", "verify", "--file", str(path), "--no-progress", "--lang", "en")
    assert code == 0 and "the database's tables were not checked" in out.strip().splitlines()[-1]


def test_a_csv_without_its_definitions_does_not_pass_and_says_the_calendar_was_not_judged(ticked, tmp_path,
                                                                                          capsys):
    from engine.audit.export import definitions_path, export, verify_file

    path = tmp_path / "ledger.csv"
    export(ticked, "csv", path)
    assert verify_file(path).ok
    definitions_path(path).unlink()
    report = verify_file(path)
    assert report.verdict == "incomplete" and not report.ok
    assert report.checks["calendar"].startswith("skipped")
    code, out, _ = _cli(capsys, "audit", "verify", "--file", str(path), "--no-progress")
    assert code == 1 and "ตรวจไม่ครบ" in out and "ผ่าน: " not in out.replace("ไม่ผ่าน", "")
    assert "อำนาจของผู้ดำเนินการและปฏิทิน" in out and "ledger.csv.definitions.jsonl" in out


# --------------------------------------------------------------------------- the seal


def _seal_lines(out: str) -> list[str]:
    """The seal's lines a person reads, less the hashes (hex digits may spell anything)."""
    return [line for line in out.splitlines() if "hash" not in line and "sha256" not in line
            and "รุ่น " not in line and "--seal" not in line and "เขียนไว้" not in line]


def test_the_seal_names_the_office_the_exporter_the_time_and_the_verdict(ticked, db_url, tmp_path, capsys):
    from workflow.fiscal import format_datetime_be

    target = tmp_path / "ledger.jsonl"
    code, out, err = _cli(capsys, "audit", "export", "--db", db_url, "-o", str(target), "--as", "auditor",
                          "--no-progress")
    assert code == 0 and err == ""
    assert f"หน่วยงาน:         {OFFICE_TH}" in out
    assert f"ส่งออกโดย:        {AUDITOR_NAME} (ผู้อำนวยการหน่วยตรวจสอบภายใน)" in out
    sealed = json.loads((tmp_path / "ledger.jsonl.seal.json").read_text(encoding="utf-8"))
    when = format_datetime_be(dt.datetime.fromisoformat(sealed["exported_at"]))
    assert f"ส่งออกเมื่อ:        {when}" in out and " 25" in when
    assert f"ผลตรวจเมื่อส่งออก:  ผ่าน (ตรวจถึงบันทึกที่ {sealed['head_seq']})" in out
    assert problems("\n".join(_seal_lines(out)), _people(ticked), where="seal") == []
    assert sealed["office"] == {"code": "default", "th": OFFICE_TH, "en": ""}  # (no English name: the Thai one)
    assert sealed["exported_by"]["id"] == "auditor" and sealed["verdict"]["verdict"] == "passed"
    code, out, _ = _cli(capsys, "audit", "export", "--db", db_url, "-o", str(target), "--json", "--no-progress")
    assert code == 0 and json.loads(out)["exported_by"]["id"] == "system"
    code, out, _ = _cli(capsys, "audit", "export", "--db", db_url, "-o", str(target), "--no-progress",
                        "--lang", "en")
    assert "exported by:        the local operator (no --as given)" in out and "verify at export:  passed" in out
    code, _, err = _cli(capsys, "audit", "export", "--db", db_url, "-o", str(target), "--as", "nobody",
                        "--no-progress")
    assert code == 1 and "nobody" in err


def test_exporting_a_ledger_that_fails_verify_warns_and_seals_the_verdict(ticked, db_url, tmp_path, capsys):
    with attack(db_url) as conn:
        conn.execute(text("UPDATE processes SET state = 'closed' WHERE id = '2570/task_cooperation_network'"))
    target = tmp_path / "ledger.jsonl"
    code, out, err = _cli(capsys, "audit", "export", "--db", db_url, "-o", str(target), "--no-progress")
    assert code == 0 and target.is_file()
    assert err.startswith("คำเตือน: บันทึกที่ส่งออกไม่ผ่านการตรวจสอบ พบปัญหา 1 ข้อ (ตารางสถานะ 1)")
    assert "«ไม่ผ่าน»" in err and problems(err) == []
    assert "ผลตรวจเมื่อส่งออก:  ไม่ผ่าน: พบปัญหา 1 ข้อ (ตารางสถานะ 1)" in out
    seal_file = str(target) + ".seal.json"
    assert json.loads((tmp_path / "ledger.jsonl.seal.json").read_text(encoding="utf-8"))["verdict"]["verdict"] \
        == "failed"
    # the file's ledger is whole; what failed (a table) is not in it — the seal tells, so it does not pass
    code, out, _ = _cli(capsys, "audit", "verify", "--file", str(target), "--seal", seal_file, "--no-progress")
    assert code == 1 and "ผลตรวจฐานข้อมูลเมื่อส่งออก (ตามตราประทับ): ไม่ผ่าน" in out
    assert out.count("ตราประทับบันทึกว่าเมื่อส่งออก ฐานข้อมูลไม่ผ่านการตรวจสอบ") == 1
    code, out, _ = _cli(capsys, "audit", "export", "--db", db_url, "-o", str(target), "--json", "--no-progress")
    assert code == 0 and json.loads(out)["verdict"]["finding_counts"] == {"projection": 1}


def test_the_web_seal_names_the_exporter_and_warns_on_a_failing_ledger(auditor, ticked, db_url):
    page = auditor.get("/audit").text
    r = auditor.post("/audit/export", data={"csrf": hidden(page, "csrf"), "format": "jsonl"},
                     follow_redirects=False)
    seal = html.unescape(re.search(r'<pre class="seal-text">(.*?)</pre>', auditor.get(r.headers["location"]).text,
                                   re.DOTALL).group(1))
    assert OFFICE_TH in seal and AUDITOR_NAME in seal and "ผลตรวจเมื่อส่งออก:  ผ่าน" in seal
    assert problems("\n".join(_seal_lines(seal)), _people(ticked), where="web seal") == []
    with attack(db_url) as conn:
        conn.execute(text("UPDATE processes SET state = 'closed' WHERE id = '2570/task_cooperation_network'"))
    r = auditor.post("/audit/export", data={"csrf": hidden(page, "csrf"), "format": "jsonl"},
                     follow_redirects=False)
    shown = auditor.get(r.headers["location"]).text
    assert 'data-seal-verdict="failed"' in shown and "คำเตือน: บันทึกที่ส่งออกไม่ผ่านการตรวจสอบ" in shown
    assert "ผลตรวจเมื่อส่งออก:  ไม่ผ่าน" in html.unescape(shown)
