"""The office's documents from a process's record: the DOCX at the XML level (font on every
Thai run incl. cs, 16 pt, Thai language; margins; the memo's header without a border;
Thai digits), the same evidence giving the same bytes (twice, and after a restart), drafts
that record nothing, the numbering proposal and the registers."""

import io
import re
import subprocess
import sys
import zipfile

import pytest

from engine.calendar_items import record_checkpoint, submit_report
from engine.documents import registers, service
from tests import steps
from tests.calendar_helpers import bkk

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
THAI = re.compile(r"[\u0E00-\u0E7F]")


@pytest.fixture
def recorded(opened):
    steps.run(opened, steps.HAPPY_PATH[:5])
    return opened


def _xml(data: bytes, name: str = "word/document.xml"):
    from lxml import etree

    return etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read(name))


def _runs(root):
    for r in root.iter(f"{W}r"):
        text = "".join(t.text or "" for t in r.iter(f"{W}t"))
        yield r, text


def _assert_thai_runs(data: bytes) -> int:
    checked = 0
    for r, text in _runs(_xml(data)):
        if not THAI.search(text):
            continue
        rpr = r.find(f"{W}rPr")
        fonts = rpr.find(f"{W}rFonts")
        for slot in ("ascii", "hAnsi", "cs", "eastAsia"):
            assert fonts.get(f"{W}{slot}") == "TH Sarabun New", (slot, text)
        size, size_cs = rpr.find(f"{W}sz").get(f"{W}val"), rpr.find(f"{W}szCs").get(f"{W}val")
        assert size == size_cs and size in ("32", "40", "58"), text
        assert rpr.find(f"{W}lang").get(f"{W}bidi") == "th-TH", text
        checked += 1
    return checked


def test_every_thai_run_carries_the_font_size_and_language(recorded):
    for ref in service.documents_of(recorded, 2570, steps.TASK):
        data = service.render(recorded, 2570, steps.TASK, ref.kind, member=ref.member).content
        assert _assert_thai_runs(data) > 5, ref.kind
        # and the defaults, for text an officer types later in Word
        styles = _xml(data, "word/styles.xml")
        default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
        assert default.find(f"{W}rFonts").get(f"{W}cs") == "TH Sarabun New"
        assert default.find(f"{W}szCs").get(f"{W}val") == "32"
        assert default.find(f"{W}lang").get(f"{W}bidi") == "th-TH"


def test_a4_with_margins_of_3_and_2_cm_single_spacing(recorded):
    data = service.render(recorded, 2570, steps.TASK, "appointment").content
    sect = _xml(data).find(f"{W}body/{W}sectPr")
    size, margins = sect.find(f"{W}pgSz"), sect.find(f"{W}pgMar")
    assert (size.get(f"{W}w"), size.get(f"{W}h")) == ("11906", "16838")
    assert (margins.get(f"{W}left"), margins.get(f"{W}right")) == ("1701", "1134")
    body = [p for p in _xml(data).iter(f"{W}p") if p.find(f"{W}pPr/{W}ind") is not None
            and p.find(f"{W}pPr/{W}ind").get(f"{W}firstLine") == "1418"]
    assert body, "body paragraphs have a 2.5 cm first-line indent"


def test_no_ascii_digit_in_a_date_or_number(recorded):
    for ref in service.documents_of(recorded, 2570, steps.TASK):
        model = service.model_of(recorded, 2570, steps.TASK, ref.kind, member=ref.member)
        for name, value in model.fields.items():
            assert not re.search(r"[0-9]", value), (ref.kind, name, value)
        text = " ".join(t for _, t in _runs(_xml(service.render(recorded, 2570, steps.TASK, ref.kind,
                                                                 member=ref.member).content)))
        # the only Arabic digits left are those of codes that need them (none in the demo's e-mail)
        assert not re.search(r"[0-9]", text.replace("saraban@example.go.th", "")), (ref.kind, text)


def test_the_same_evidence_gives_the_same_sha256_twice_and_after_a_restart(recorded, db_url):
    first = {(r.kind, r.member): r.sha256 for r in service.documents_of(recorded, 2570, steps.TASK)}
    assert len(first) == 6  # order, three letters, minutes, report
    again = service.render(recorded, 2570, steps.TASK, "letter", member=2)
    assert again.sha256 == first[("letter", 2)]
    code = ("import sys; from storage.store import Store; from engine.app import Ruam; "
            "from engine.documents.service import render; "
            f"print(render(Ruam(Store({db_url!r})), 2570, {steps.TASK!r}, 'letter', member=2).sha256)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == first[("letter", 2)], done.stderr


def test_a_draft_renders_the_forms_values_and_records_nothing(opened):
    steps.run(opened, steps.HAPPY_PATH[:1])
    before = opened.ledger_head()
    out = service.draft(opened, 2570, steps.TASK, "appointment", steps.appointment(number="๗/๒๕๖๙"))
    assert out.filename.endswith(".docx") and out.media_type.endswith("wordprocessingml.document")
    text = " ".join(t for _, t in _runs(_xml(out.content))).replace("\xa0", " ")  # a date's no-break spaces
    assert "ที่ ๗/๒๕๖๙" in text and "สั่ง ณ วันที่ ๑๐ พฤศจิกายน พ.ศ. ๒๕๖๙" in text
    assert opened.ledger_head() == before
    assert opened.process(steps.PROCESS)["state"] == "appointing"
    with pytest.raises(Exception) as info:  # the form's values are checked as the step checks them
        service.draft(opened, 2570, steps.TASK, "appointment", {**steps.appointment(), "date": "not a date"})
    assert "date" in str(info.value)


def test_a_letter_that_does_not_exist_and_a_step_not_recorded_are_refused(recorded, opened):
    from workflow.documents import DocumentUnavailable

    with pytest.raises(DocumentUnavailable) as info:
        service.render(recorded, 2570, steps.TASK, "letter", member=4)
    assert "๔" in info.value.message("th")
    with pytest.raises(DocumentUnavailable) as info:
        service.render(opened, 2570, "task_cooperation_network", "appointment")
    assert "ออกคำสั่ง/ประกาศแต่งตั้ง" in info.value.message("th")


def test_the_semiannual_memo_and_the_checkpoint_record(recorded, clock):
    from engine.calendar import tick

    clock.set(bkk(2027, 3, 10, 10))
    tick(recorded)
    submit_report(recorded, 2570, steps.TASK, "h1", steps.OFFICER, "ดำเนินการครบทุกขั้นตอน")
    group_tasks = [{"task": t, "findings": f"ข้อค้นพบ {t}", "advice": "ติดตามต่อเนื่อง"}
                   for t in ("task_cooperation_network", steps.TASK)]
    record_checkpoint(recorded, "2570/director_supervision/r1/mission_administration", "deputy_4",
                      {"findings": "ดำเนินการตามแผน", "advice": "เผยแพร่ผล", "tasks": group_tasks,
                       "held_on": "2027-03-09"})
    kinds = {r.kind: r for r in service.documents_of(recorded, 2570, steps.TASK)}
    memo = service.model_of(recorded, 2570, steps.TASK, "semiannual_memo")
    assert memo.paragraphs[1].role == "title" and memo.paragraphs[1].text == "บันทึกข้อความ"
    steps_done = [p.text for p in memo.paragraphs if p.role == "item"]
    assert steps_done[0] == "๑. บันทึกผลการวิเคราะห์กฎหมาย เมื่อวันที่ ๒๐ พฤศจิกายน ๒๕๖๙"
    assert len(steps_done) == 5
    assert memo.paragraphs[-1].lines[0].startswith("(") and "ตัวอย่าง" in memo.paragraphs[-1].lines[0]
    record = service.model_of(recorded, 2570, steps.TASK, "checkpoint_record")
    text = [p.text for p in record.paragraphs]
    assert "ข้อค้นพบ ข้อค้นพบ task_teacher_welfare" in text  # only this task's part of the group's record
    assert not any("task_cooperation_network" in t for t in text)
    assert any("๙ มีนาคม ๒๕๗๐" in t for t in text)
    data = service.render(recorded, 2570, steps.TASK, "semiannual_memo").content
    assert kinds["semiannual_memo"].sha256 == service.render(recorded, 2570, steps.TASK,
                                                             "semiannual_memo").sha256
    header = [p for p in _xml(data).iter(f"{W}p") if any("ส่วนราชการ" in t for _, t in _runs(p))]
    assert header and header[0].find(f"{W}pPr/{W}pBdr") is None  # no solid rule: a dotted leader
    tab = header[0].find(f"{W}pPr/{W}tabs/{W}tab")
    assert tab.get(f"{W}leader") == "dot"
    sizes = {r.find(f"{W}rPr/{W}sz").get(f"{W}val") for r, t in _runs(_xml(data)) if t in ("บันทึกข้อความ", "\tบันทึกข้อความ")}
    assert sizes == {"58"}
    assert _xml(data).find(f".//{W}pBdr") is None


def test_the_next_number_follows_the_numbers_used_in_that_calendar_year(recorded):
    found = registers.next_numbers(recorded, 2569)
    assert found["order"] == "๑๒๔/๒๕๖๙"
    assert found["letter"] == "ศธ ๐๔๐๐๐/๑"  # the demo's letters used another code
    assert registers.next_numbers(recorded, 2570)["order"] == "๑/๒๕๗๐"  # a new year starts at one


def test_the_next_letter_number_counts_the_offices_code(opened):
    letters = {"letters": [{"member": m["name"], "number": f"ศธ ๐๔๐๐๐/{i + 40}", "date": "2569-11-12",
                            "channel": "post"} for i, m in enumerate(steps.MEMBERS)]}
    steps.run(opened, [*steps.HAPPY_PATH[:2], ("send_notifications", steps.OFFICER, letters)])
    assert registers.next_numbers(opened, 2569)["letter"] == "ศธ ๐๔๐๐๐/๔๓"


def test_the_registers_as_data_and_xlsx(recorded):
    from openpyxl import load_workbook

    regs = registers.register(recorded, fiscal_year=2570)
    assert [r["number"] for r in regs["orders"]] == ["๑๒๓/๒๕๖๙"]
    assert [r["to"] for r in regs["letters"]] == [m["name"] for m in steps.MEMBERS]
    data = registers.register_xlsx(recorded, regs, "ทะเบียน")
    assert data == registers.register_xlsx(recorded, regs, "ทะเบียน")  # deterministic too
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["ทะเบียนคำสั่ง", "ทะเบียนหนังสือส่ง"]
    assert wb["ทะเบียนคำสั่ง"]["A3"].value == "๑๒๓/๒๕๖๙"
    assert wb["ทะเบียนหนังสือส่ง"]["E5"].value == "ครู ค"


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def test_the_offices_garuda_fills_its_reserved_place_and_a_changed_file_is_refused(app, tmp_path):
    import hashlib as h

    from definitions import shipped_texts
    from workflow.errors import Refused

    image = tmp_path / "garuda.png"
    image.write_bytes(_png())
    org = dict(shipped_texts())["definitions/organization.yaml"].replace(
        "  contact_unit: กลุ่มอำนวยการ\n",
        f"  contact_unit: กลุ่มอำนวยการ\n  garuda: {{path: {image}, sha256: {h.sha256(_png()).hexdigest()}}}\n")
    app.register_definitions([("office-organization.yaml", org)], actor="admin")
    app.open_cycle(2570)
    steps.run(app, steps.HAPPY_PATH[:2])
    data = service.render(app, 2570, steps.TASK, "appointment").content
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert any(n.startswith("word/media/") for n in names)
    extent = _xml(data).find(".//{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent")
    assert extent.get("cy") == "1080000"  # 3 cm
    image.write_bytes(_png() + b"changed")
    with pytest.raises(Refused) as info:
        service.render(app, 2570, steps.TASK, "appointment")
    assert "ภาพครุฑ" in info.value.message("th")


def test_without_an_image_the_garuda_place_is_an_empty_3_cm_line(recorded):
    data = service.render(recorded, 2570, steps.TASK, "appointment").content
    first = _xml(data).find(f"{W}body/{W}p")
    spacing = first.find(f"{W}pPr/{W}spacing")
    assert (spacing.get(f"{W}line"), spacing.get(f"{W}lineRule")) == ("1701", "exact")
    assert "word/media/" not in " ".join(zipfile.ZipFile(io.BytesIO(data)).namelist())


def test_an_offices_own_wording_is_used_once_loaded(recorded):
    from definitions import shipped_texts

    text = dict(shipped_texts())["definitions/documents/saraban.yaml"].replace(
        "ทั้งนี้ ตั้งแต่บัดนี้เป็นต้นไป", "ทั้งนี้ ให้มีผลตั้งแต่วันที่ {date} เป็นต้นไป")
    before = service.render(recorded, 2570, steps.TASK, "appointment").sha256
    recorded.register_definitions([("office-wording.yaml", text)], actor="admin")
    model = service.model_of(recorded, 2570, steps.TASK, "appointment")
    assert "ทั้งนี้ ให้มีผลตั้งแต่วันที่ ๑๐ พฤศจิกายน พ.ศ. ๒๕๖๙ เป็นต้นไป" in [p.text for p in model.paragraphs]
    assert service.render(recorded, 2570, steps.TASK, "appointment").sha256 != before


def test_pdf_goes_through_the_pdf_module_or_says_it_is_not_available(recorded):
    import importlib.util

    from workflow.errors import RuamError

    if importlib.util.find_spec("engine.documents.pdf") is None:
        with pytest.raises(RuamError) as info:
            service.render(recorded, 2570, steps.TASK, "appointment", fmt="pdf")
        assert "DOCX" in info.value.message("th") and info.value.http_status == 409
    else:
        try:
            out = service.render(recorded, 2570, steps.TASK, "appointment", fmt="pdf")
        except RuamError as exc:  # LibreOffice missing: a clear message, DOCX still works
            assert exc.message("th")
            assert service.render(recorded, 2570, steps.TASK, "appointment").content[:2] == b"PK"
        else:
            assert out.content[:5] == b"%PDF-" and out.media_type == "application/pdf"


def test_every_checkpoint_covering_the_task_has_its_record_counted_from_one(recorded, clock):
    from engine.calendar import tick

    clock.set(bkk(2027, 3, 10, 10))
    tick(recorded)
    group_tasks = [{"task": t, "findings": "ตามแผน", "advice": "ต่อเนื่อง"}
                   for t in ("task_cooperation_network", steps.TASK)]
    record_checkpoint(recorded, "2570/director_supervision/r1/mission_administration", "deputy_4",
                      {"findings": "ก", "advice": "ข", "tasks": group_tasks})
    record_checkpoint(recorded, "2570/committee_supervision/extra", "ktpn_1", {"findings": "ค", "advice": "ง"})
    refs = [r for r in service.documents_of(recorded, 2570, steps.TASK) if r.kind == "checkpoint_record"]
    assert [r.member for r in refs] == [1, 2]
    first = service.model_of(recorded, 2570, steps.TASK, "checkpoint_record", member=1)
    second = service.model_of(recorded, 2570, steps.TASK, "checkpoint_record", member=2)
    assert "ก" in [p.text for p in first.paragraphs] and "ค" in [p.text for p in second.paragraphs]
    assert second.paragraphs[-1].lines[0] == "(กรรมการ ก.ต.ป.น. คนที่ 1 (ตัวอย่าง))"
    assert refs[1].sha256 == service.render(recorded, 2570, steps.TASK, "checkpoint_record", member=2).sha256
