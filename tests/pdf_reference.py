"""The reference Thai documents the PDF tests and the bench convert (python-docx).

A realistic appointment order (คำสั่ง) naming a 30-member working group, and the
letter (หนังสือภายนอก) sent to each appointee, in the regulation's form: A4,
margins 3 cm left / 2 cm right, TH Sarabun New 16 pt on every run with the
complex-script font, ``w:szCs`` 32 and ``w:lang w:bidi="th-TH"``, first-line
indent 2.5 cm. The people are placeholders by role, never real names.

These stand in for docs-core's renderer where it is not there; they are built
the way the issue asks the real documents to be built, so what the PDF tests
measure (pages, lines, fonts) is what the office's documents will show.
"""

from __future__ import annotations

import io

from workflow.fiscal import to_thai_digits

FONT = "TH Sarabun New"
SIZE_HALF_POINTS = 32  # 16 pt

ROLES = (
    "ผู้แทนผู้ปกครองนักเรียน", "ผู้แทนครู", "ผู้แทนผู้บริหารสถานศึกษา", "ผู้แทนองค์กรปกครองส่วนท้องถิ่น",
    "ผู้แทนชุมชน", "ผู้แทนศิษย์เก่า", "ผู้แทนพระภิกษุหรือผู้นำศาสนา", "ผู้ทรงคุณวุฒิ",
)


def members(n: int = 30) -> list[tuple[str, str, str]]:
    """(name, position, duty) for ``n`` placeholder appointees: chair first, secretary last."""
    out = []
    for i in range(1, n + 1):
        role = ROLES[(i - 1) % len(ROLES)]
        name = f"{role} คนที่ {to_thai_digits(str(i))}"
        position = "ตำแหน่ง " + ("ผู้อำนวยการกลุ่ม" if i % 3 == 0 else "กรรมการสถานศึกษาขั้นพื้นฐาน")
        duty = "ประธานคณะทำงาน" if i == 1 else "เลขานุการคณะทำงาน" if i == n else "คณะทำงาน"
        out.append((name, position, duty))
    return out


def _thai_run(paragraph, text: str, *, bold: bool = False, size: int = SIZE_HALF_POINTS):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run(text)
    run.bold = bold
    rpr = run._r.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    if bold:
        rpr.append(OxmlElement("w:bCs"))
    for tag in ("w:sz", "w:szCs"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), str(size))
        rpr.append(el)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "th-TH")
    lang.set(qn("w:bidi"), "th-TH")
    rpr.append(lang)
    return run


def _document():
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2)
    normal = doc.styles["Normal"]
    normal.paragraph_format.space_after = 0
    normal.paragraph_format.space_before = 0
    normal.paragraph_format.line_spacing = 1.0
    return doc


def _para(doc, text: str = "", *, align=None, indent: bool = False, bold: bool = False, size: int = SIZE_HALF_POINTS):
    from docx.shared import Cm

    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Cm(2.5)
    if text:
        _thai_run(p, text, bold=bold, size=size)
    return p


def _save(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


BODY = (
    "โดยที่สำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต ๑ ได้วิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใส"
    "ในการดำเนินงานของหน่วยงานภาครัฐ ประจำปีงบประมาณ พ.ศ. ๒๕๖๘ แล้วเห็นควรเปิดโอกาสให้ผู้มีส่วนได้ส่วนเสีย"
    "และบุคคลภายนอกได้มีส่วนร่วมในการดำเนินงานตามภารกิจของหน่วยงาน ตั้งแต่การวางแผน การดำเนินการ"
    "การติดตามประเมินผล และการปรับปรุงการปฏิบัติงาน เพื่อให้การบริหารจัดการศึกษาเป็นไปอย่างโปร่งใส ตรวจสอบได้"
    "และตอบสนองความต้องการของประชาชนในพื้นที่"
)
BASIS = (
    "อาศัยอำนาจตามความในมาตรา ๓๗ และมาตรา ๓๘ แห่งพระราชบัญญัติระเบียบบริหารราชการกระทรวงศึกษาธิการ "
    "พ.ศ. ๒๕๔๖ และที่แก้ไขเพิ่มเติม จึงแต่งตั้งคณะทำงานการมีส่วนร่วมของผู้มีส่วนได้ส่วนเสีย ประกอบด้วย"
)
DUTIES = (
    "ให้คณะทำงานมีหน้าที่ร่วมวางแผน ให้ข้อคิดเห็น และติดตามการดำเนินงานตามภารกิจที่ได้รับมอบหมาย "
    "จัดประชุมอย่างน้อยภาคเรียนละหนึ่งครั้ง บันทึกรายงานการประชุมพร้อมรายชื่อผู้เข้าร่วมและผู้จดรายงานการประชุม "
    "และรายงานผลการดำเนินงานต่อผู้อำนวยการสำนักงานเขตพื้นที่การศึกษาทุกหกเดือน เพื่อนำผลไปปรับปรุง"
    "การปฏิบัติงานของหน่วยงานให้มีประสิทธิภาพยิ่งขึ้น"
)


def order_docx(n_members: int = 30) -> bytes:
    """The appointment order for ``n_members`` appointees (a few pages)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A

    doc = _document()
    _para(doc, "คำสั่งสำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต ๑", align=A.CENTER, bold=True)
    _para(doc, "ที่ ๑๒๓/๒๕๖๙", align=A.CENTER)
    _para(doc, "เรื่อง แต่งตั้งคณะทำงานการมีส่วนร่วมของผู้มีส่วนได้ส่วนเสีย ปีงบประมาณ พ.ศ. ๒๕๖๙", align=A.CENTER)
    _para(doc, "------------------------------", align=A.CENTER)
    _para(doc, BODY, indent=True, align=A.JUSTIFY)
    _para(doc, BASIS, indent=True, align=A.JUSTIFY)
    for i, (name, position, duty) in enumerate(members(n_members), start=1):
        _para(doc, f"{to_thai_digits(str(i))}. {name} {position} {duty}", indent=True)
    _para(doc, DUTIES, indent=True, align=A.JUSTIFY)
    _para(doc, "ทั้งนี้ ตั้งแต่บัดนี้เป็นต้นไป", indent=True)
    _para(doc)
    _para(doc, "สั่ง ณ วันที่ ๑๕ ตุลาคม พ.ศ. ๒๕๖๘", indent=True)
    _para(doc)
    _para(doc, "(ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษา)", align=A.CENTER)
    _para(doc, "ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต ๑", align=A.CENTER)
    return _save(doc)


def letter_docx(member_index: int, n_members: int = 30) -> bytes:
    """The letter to one appointee (one page)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH as A

    name, position, duty = members(n_members)[member_index]
    number = to_thai_digits(str(member_index + 1))
    doc = _document()
    _para(doc, f"ที่ ศธ ๐๔๐๐๑/{to_thai_digits(str(500 + member_index))}")
    _para(doc, "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต ๑", align=A.RIGHT)
    _para(doc, "ถนนตัวอย่าง อำเภอเมือง จังหวัดตัวอย่าง ๑๐๐๐๐", align=A.RIGHT)
    _para(doc, "๑๖ ตุลาคม ๒๕๖๘", align=A.CENTER)
    _para(doc, "เรื่อง ขอเชิญเป็นคณะทำงานการมีส่วนร่วมของผู้มีส่วนได้ส่วนเสีย")
    _para(doc, f"เรียน {name}")
    _para(doc, "อ้างถึง คำสั่งสำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต ๑ ที่ ๑๒๓/๒๕๖๙")
    _para(doc, "สิ่งที่ส่งมาด้วย สำเนาคำสั่ง จำนวน ๑ ฉบับ")
    _para(doc, BODY[:180] + f" จึงได้แต่งตั้งท่านเป็น{duty} (ลำดับที่ {number}) {position}", indent=True, align=A.JUSTIFY)
    _para(doc, "จึงเรียนมาเพื่อโปรดทราบ และขอขอบคุณมา ณ โอกาสนี้", indent=True)
    _para(doc)
    _para(doc, "ขอแสดงความนับถือ", align=A.CENTER)
    _para(doc)
    _para(doc, "(ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษา)", align=A.CENTER)
    _para(doc, "ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต ๑", align=A.CENTER)
    _para(doc)
    _para(doc, "กลุ่มส่งเสริมการจัดการศึกษา")
    _para(doc, "โทร. ๐ ๒๑๒๓ ๔๕๖๗")
    _para(doc, "ไปรษณีย์อิเล็กทรอนิกส์ saraban@example.go.th")
    return _save(doc)


def letters_docx(n_members: int = 30) -> list[bytes]:
    return [letter_docx(i, n_members) for i in range(n_members)]
