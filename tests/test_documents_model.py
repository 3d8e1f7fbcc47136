"""The documents as a model (workflow.documents, pure): the regulation's parts in order,
Thai digits and BE dates, present and absent computed, the wording's placeholders checked."""

import re

import pytest

from definitions import shipped_texts
from tests import steps
from workflow.documents import DocumentUnavailable, Sources, build
from workflow.errors import DefinitionError
from workflow.reader import load_definition

DEFS = {n: load_definition(t, n) for n, t in shipped_texts()}
ORG = DEFS["definitions/organization.yaml"]
PROC = DEFS["definitions/procedure.yaml"]
WORDING = DEFS["definitions/documents/saraban.yaml"]
WORDING_TEXT = dict(shipped_texts())["definitions/documents/saraban.yaml"]
STEPS = {"complete_analysis": steps.analysis(), "issue_appointment": steps.appointment(date="2026-11-10"),
         "send_notifications": steps.notifications(date="2026-11-12"), "record_meeting": steps.meeting("2026-11-15"),
         "send_report": steps.report("2026-11-18")}


def _src(**over):
    return Sources(WORDING, ORG, PROC, 2570, steps.TASK, {**STEPS, **over})


def test_an_order_has_the_regulations_parts_in_order_and_says_pho_so():
    m = build("appointment", _src())
    roles = [p.role for p in m.paragraphs]
    assert roles[:4] == ["garuda", "title", "center", "center"] and roles[-2:] == ["date_line", "signature"]
    assert m.paragraphs[1].text.startswith("คำสั่งสำนักงานเขตพื้นที่การศึกษา")
    assert m.paragraphs[2].text == "ที่ ๑๒๓/๒๕๖๙"
    assert next(p for p in m.paragraphs if p.role == "date_line").text == "สั่ง ณ วันที่ ๑๐ พฤศจิกายน พ.ศ. ๒๕๖๙"
    members = [p.text for p in m.paragraphs if p.role == "item"]
    assert members[0].startswith("๑. ผู้แทนชุมชน ก") and members[0].endswith("ประธานกรรมการ")
    assert members[-1].endswith("กรรมการและเลขานุการ")
    assert "มาตรา ๘ (๒)" in " ".join(p.text for p in m.paragraphs)  # the legal basis of the analysis


def test_an_announcement_says_prakat_na_wanthi():
    m = build("appointment", _src(issue_appointment={**STEPS["issue_appointment"], "document_kind": "announcement"}))
    assert m.paragraphs[1].text.startswith("ประกาศ")
    assert any(p.text.startswith("ประกาศ ณ วันที่ ") and "พ.ศ." in p.text for p in m.paragraphs)


def test_a_letter_per_appointee_without_pho_so_and_with_the_contact_block():
    m = build("letter", _src(), member=2)
    assert m.number == "ศธ ๐๔๐๘๖/๒" and m.date == "2026-11-12"
    date_line = next(p for p in m.paragraphs if p.role == "date_line")
    assert date_line.text == "๑๒ พฤศจิกายน ๒๕๖๙"
    assert next(p for p in m.paragraphs if p.label == "เรียน").text == "ผู้แทนผู้ปกครอง ข"
    assert "แต่งตั้งท่านเป็นกรรมการ" in " ".join(p.text for p in m.paragraphs)
    contact = next(p for p in m.paragraphs if p.role == "contact")
    assert contact.lines[-1].endswith("saraban@example.go.th")  # an address keeps its letters and digits
    with pytest.raises(DocumentUnavailable):
        build("letter", _src(), member=9)


def test_minutes_compute_present_absent_and_guests():
    meeting = {**STEPS["record_meeting"], "agenda": "1. เรื่องแจ้งเพื่อทราบ\n2. รับฟังความคิดเห็น",
               "attendees": [{"name": "ผู้แทนชุมชน ก", "external": True},
                             {"name": "ผู้สังเกตการณ์ ง", "position": "ผู้แทนสื่อ", "external": True}]}
    m = build("minutes", _src(record_meeting=meeting))
    texts = [(p.role, p.label, p.text) for p in m.paragraphs]
    i_present = texts.index(("label", "ผู้มาประชุม", ""))
    i_absent = texts.index(("label", "ผู้ไม่มาประชุม", ""))
    i_guest = texts.index(("label", "ผู้เข้าร่วมประชุม", ""))
    assert [t[2].split(" ประธานชุมชน")[0] for t in texts[i_present + 1:i_absent]] == ["๑. ผู้แทนชุมชน ก"]
    absent = [t[2] for t in texts[i_absent + 1:i_guest]]
    assert [a[:len(w)] for a, w in zip(absent, ("๑. ผู้แทนผู้ปกครอง ข", "๒. ครู ค"))] == ["๑. ผู้แทนผู้ปกครอง ข", "๒. ครู ค"]
    assert len(absent) == 2 and absent[1].endswith("\tกรรมการและเลขานุการ")
    assert texts[i_guest + 1][2].startswith("๑. ผู้สังเกตการณ์ ง")
    assert [t[2] for t in texts if t[0] == "clause"] == ["ระเบียบวาระที่ ๑ เรื่องแจ้งเพื่อทราบ",
                                                         "ระเบียบวาระที่ ๒ รับฟังความคิดเห็น"]
    assert m.paragraphs[-1].lines == ("(ครู ค)", "ผู้จดรายงานการประชุม")


def test_no_ascii_digit_in_any_number_or_date_field():
    for kind in ("appointment", "letter", "minutes", "report"):
        m = build(kind, _src(), member=1 if kind == "letter" else None)
        assert m.fields, kind
        for name, value in m.fields.items():
            assert not re.search(r"[0-9]", value), (kind, name, value)


def test_a_wording_with_an_unknown_placeholder_is_refused_naming_line_and_field():
    text = WORDING_TEXT.replace("แจ้ง{order_word}แต่งตั้ง", "แจ้ง{order_kind}แต่งตั้ง")
    with pytest.raises(DefinitionError) as info:
        load_definition(text, "office-wording.yaml")
    [p] = info.value.problems
    assert p.file == "office-wording.yaml" and p.field == "documents.letter.subject"
    assert p.line == next(i for i, x in enumerate(text.splitlines(), 1) if "{order_kind}" in x)
    assert "{order_kind}" in p.text("th") and "{order_kind}" in p.text("en")


@pytest.mark.parametrize("bad", ["{office_name.__class__}", "{members[0]}", "{date!r}", "{date:>10}", "{"])
def test_a_template_can_only_name_facts(bad):
    text = WORDING_TEXT.replace('text: "ทั้งนี้ ตั้งแต่บัดนี้เป็นต้นไป"', f'text: "ทั้งนี้ {bad}"')
    with pytest.raises(DefinitionError) as info:
        load_definition(text, "w.yaml")
    assert info.value.problems[0].field == "documents.appointment.parts[8].text"


def test_an_office_changes_a_sentence_without_a_developer():
    text = WORDING_TEXT.replace("ทั้งนี้ ตั้งแต่บัดนี้เป็นต้นไป", "ทั้งนี้ ตั้งแต่วันที่ {date} เป็นต้นไป")
    wording = load_definition(text, "office.yaml")
    m = build("appointment", Sources(wording, ORG, PROC, 2570, steps.TASK, STEPS))
    assert "ทั้งนี้ ตั้งแต่วันที่ ๑๐ พฤศจิกายน พ.ศ. ๒๕๖๙ เป็นต้นไป" in [p.text for p in m.paragraphs]
