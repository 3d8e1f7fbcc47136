"""``ruam documents``: list, render, register, next-number — exit codes, Thai output
without ids, files written whole."""

import hashlib
import json

import pytest

from engine.documents import service
from tests import steps
from tests.test_cli import ruam
from tests.thai_output import problems

PEOPLE = {"officer_teacher_welfare", "director_administration"}


@pytest.fixture
def recorded(opened):
    steps.run(opened, steps.HAPPY_PATH[:5])
    return opened


def test_list_render_and_the_same_sha256(recorded, db_url, tmp_path):
    out = ruam(db_url, "documents", "list", steps.PROCESS).stdout
    assert "คำสั่ง/ประกาศแต่งตั้ง  ที่ ๑๒๓/๒๕๖๙  ลงวันที่ ๑๐ พฤศจิกายน ๒๕๖๙" in out
    assert "ฉบับที่ ๓ — ครู ค" in out and "รายงานการประชุม" in out
    assert problems(out, PEOPLE) == []
    refs = json.loads(ruam(db_url, "documents", "list", steps.PROCESS, "--json").stdout)
    assert [r["kind"] for r in refs] == ["appointment", "letter", "letter", "letter", "minutes", "report"]
    target = tmp_path / "letter2.docx"
    done = ruam(db_url, "documents", "render", steps.PROCESS, "letter", "--member", "๒", "--format", "docx",
                "-o", str(target))
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert digest == refs[2]["sha256"] == service.render(recorded, 2570, steps.TASK, "letter", member=2).sha256
    assert digest in done.stdout and problems(done.stdout, PEOPLE) == []


@pytest.mark.parametrize("args,code,words", [
    (("letter", "--member", "9"), 1, "ไม่มีหนังสือแจ้งฉบับที่ ๙"),
    (("letter", "--member", "0"), 2, "ลำดับที่"),
    (("memo",), 2, "ไม่รู้จักประเภทเอกสาร"),
    (("semiannual_memo",), 1, "ยังไม่มีรายงาน"),
])
def test_a_bad_render_says_why_and_writes_nothing(recorded, db_url, tmp_path, args, code, words):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "out.docx"
    done = ruam(db_url, "documents", "render", steps.PROCESS, *args, "-o", str(target), code=code)
    assert words in done.stderr and not target.exists()
    assert list(out_dir.iterdir()) == []
    assert problems(done.stderr, PEOPLE) == []


def test_an_unknown_process_is_a_usage_error_or_not_found(recorded, db_url, tmp_path):
    assert ruam(db_url, "documents", "list", "2570", code=2).returncode == 2
    done = ruam(db_url, "documents", "render", "2570/task_nope", "appointment", "-o", str(tmp_path / "x"), code=1)
    assert "ไม่พบกระบวนการ" in done.stderr


def test_register_and_next_number(recorded, db_url, tmp_path):
    out = ruam(db_url, "documents", "register", "--fiscal-year", "2570").stdout
    assert "ทะเบียนคำสั่ง ปีงบประมาณ พ.ศ. ๒๕๗๐" in out and "ที่ ๑๒๓/๒๕๖๙" in out
    assert "๓. ที่ ศธ ๐๔๐๘๖/๓  ๑๒ พฤศจิกายน ๒๕๖๙  ถึง ครู ค" in out
    assert problems(out, PEOPLE) == []
    xlsx = tmp_path / "register.xlsx"
    done = ruam(db_url, "documents", "register", "--year", "2569", "-o", str(xlsx))
    assert xlsx.read_bytes()[:2] == b"PK" and "คำสั่ง ๑, หนังสือส่ง ๓" in done.stdout
    out = ruam(db_url, "documents", "next-number", "--year", "๒๕๖๙").stdout
    assert "เลขที่คำสั่งถัดไป (ปี พ.ศ. ๒๕๖๙): ๑๒๔/๒๕๖๙" in out and "ศธ ๐๔๐๐๐/๑" in out
    assert problems(out, PEOPLE) == []
    found = json.loads(ruam(db_url, "documents", "next-number", "--year", "2569", "--json").stdout)
    assert found["order_running"] == 124 and found["year"] == 2569
    assert ruam(db_url, "documents", "next-number", "--year", "1999", code=2).returncode == 2
