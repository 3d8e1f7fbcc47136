"""The letterhead in the organization and the documents' wording: the shipped ones load;
a broken one is refused naming file, line and field, in Thai and English."""

import pytest

from definitions import shipped_texts
from workflow.errors import DefinitionError
from workflow.reader import load_definition

SHIPPED = dict(shipped_texts())
ORG = SHIPPED["definitions/organization.yaml"]


def _problems(text: str, name: str = "org.yaml"):
    with pytest.raises(DefinitionError) as info:
        load_definition(text, name)
    return info.value.problems


def test_shipped_letterhead_loads_with_placeholders_by_role():
    lh = load_definition(ORG).letterhead
    assert lh.letter_code == "ศธ ๐๔๐๐๐" and lh.email == "saraban@example.go.th"
    assert lh.signer_of("appointment").id == "director"
    assert "(ตัวอย่าง)" in lh.signer_of("letter").name
    assert lh.garuda_path == ""  # no image is shipped


def test_a_missing_letterhead_field_names_file_line_and_field():
    text = ORG.replace("  telephone: ๐ ๐๐๐๐ ๐๐๐๐\n", "")
    [p] = _problems(text)
    assert (p.file, p.field) == ("org.yaml", "letterhead.telephone")
    start = text.splitlines().index("letterhead:") + 1
    assert start <= p.line <= start + 1  # the letterhead block, where the field is missing
    assert "โทรศัพท์" in p.text("th") and "required" in p.text("en")


@pytest.mark.parametrize("old,new,field,th", [
    ("letter_code: ศธ ๐๔๐๐๐", "letter_code: 0400", "letterhead.letter_code", "รหัสหนังสือ"),
    ("email: saraban@example.go.th", "email: not-an-address", "letterhead.email", "ไปรษณีย์อิเล็กทรอนิกส์"),
    ("    letter: director", "    letter: nobody", "letterhead.signs.letter", "nobody"),
    ("    report: director", "    memo_x: director", "letterhead.signs.memo_x", "ประเภทเอกสาร"),
    ("  contact_unit: กลุ่มอำนวยการ", "  contact_unit: กลุ่มอำนวยการ\n  garuda: {path: garuda.gif}",
     "letterhead.garuda.path", "PNG"),
])
def test_a_bad_letterhead_value_is_named(old, new, field, th):
    text = ORG.replace(old, new)
    assert text != ORG
    problems = _problems(text)
    [p] = [p for p in problems if p.field == field]
    assert th in p.text("th") and p.line == next(i for i, line in enumerate(text.splitlines(), 1)
                                                 if new.splitlines()[-1].strip() in line)
