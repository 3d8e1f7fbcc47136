"""A document model (``workflow.documents``) laid out as DOCX in the form of the
ระเบียบงานสารบรรณ, with python-docx (imported here only, so ``ruam --help`` stays light).

The page: A4, margins left 3 cm / right 2 cm (1701/1134 twips), top 1.5 cm (where the
Garuda's top sits) and bottom 2 cm; single spacing; TH Sarabun New 16 pt set on every
run and in the document defaults for every script slot (``w:rFonts`` ascii, hAnsi, cs,
eastAsia; ``w:sz``/``w:szCs`` 32; ``w:lang w:bidi="th-TH"``), or Word falls back to a
Latin font for Thai. The memo's title is 29 pt bold, its header labels 20 pt bold with
a dotted leader to the margin (a tab with a dot leader — never a paragraph border).
The Garuda has a reserved place 3 cm high (1.5 cm on a memo): the office's image
when it supplies one, else an empty paragraph of exactly that height.

Deterministic: the same model gives the same bytes — the core properties' dates are
the document's own date (else a fixed day), and the zip is rewritten with fixed entry
times and order (python-docx writes the current time into both).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from workflow.documents import DocumentModel, Para

FONT = "TH Sarabun New"
SIZE = 32          # half-points: 16 pt
MEMO_TITLE = 58    # 29 pt
MEMO_LABEL = 40    # 20 pt
A4 = (11906, 16838)
MARGINS = {"left": 1701, "right": 1134, "top": 851, "bottom": 1134}
TEXT_WIDTH = A4[0] - MARGINS["left"] - MARGINS["right"]  # 9071 twips = 16 cm
INDENT = 1418      # the first-line indent of a paragraph: 2.5 cm
SIGN_INDENT = 3402  # the closing and signature block: centred in the right part of the page
ADDRESS_AT = 4536  # the office's address starts here (8 cm)
ORDER_DATE_AT = 3402
LETTER_DATE_AT = 4253  # a letter's date: about the middle of the line
FIXED_DAY = dt.datetime(2000, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def render_docx(model: DocumentModel, garuda: bytes | None = None, author: str = "") -> bytes:
    """The DOCX bytes of ``model`` (``garuda``: the office's emblem image, PNG or JPEG)."""
    from docx import Document

    doc = Document()
    _defaults(doc)
    _page(doc)
    body = doc.element.body
    for p in list(body):
        if p.tag.endswith("}p"):
            body.remove(p)
    w = _Writer(doc, model.layout)
    for para in model.paragraphs:
        w.add(para, garuda)
    props = doc.core_properties
    day = FIXED_DAY
    if model.date:
        day = dt.datetime.fromisoformat(model.date)
    props.created = props.modified = day
    props.last_printed = day
    props.revision = 1
    props.author = props.last_modified_by = author
    props.title = model.subject
    props.subject = model.title
    props.language = "th-TH"
    out = io.BytesIO()
    doc.save(out)
    return normalize_zip(out.getvalue())


def normalize_zip(data: bytes) -> bytes:
    """The same zip with fixed entry times, attributes and order ([Content_Types].xml first)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:  # fast; still deterministic
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 0
            dst.writestr(info, src.read(name))
    return out.getvalue()


# --------------------------------------------------------------------------- XML helpers

def _el(tag: str, **attrs: str) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    e = OxmlElement(tag)
    for k, v in attrs.items():
        e.set(qn(f"w:{k}"), v)
    return e


def _run_props(rpr: Any, size: int = SIZE, bold: bool = False) -> None:
    """Font, size and language on a ``w:rPr`` (replacing what was there), in schema order."""
    for child in list(rpr):
        rpr.remove(child)
    rpr.append(_el("w:rFonts", ascii=FONT, hAnsi=FONT, cs=FONT, eastAsia=FONT))
    if bold:
        rpr.append(_el("w:b"))
        rpr.append(_el("w:bCs"))
    rpr.append(_el("w:sz", val=str(size)))
    rpr.append(_el("w:szCs", val=str(size)))
    rpr.append(_el("w:lang", val="th-TH", eastAsia="th-TH", bidi="th-TH"))


def _defaults(doc: Any) -> None:
    from docx.oxml.ns import qn

    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = _el("w:docDefaults")
        styles.insert(0, defaults)
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = _el("w:rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = _el("w:rPr")
        rpr_default.append(rpr)
    _run_props(rpr)
    ppr_default = defaults.find(qn("w:pPrDefault"))
    if ppr_default is None:
        ppr_default = _el("w:pPrDefault")
        defaults.append(ppr_default)
    ppr = ppr_default.find(qn("w:pPr"))
    if ppr is None:
        ppr = _el("w:pPr")
        ppr_default.append(ppr)
    for child in list(ppr):
        ppr.remove(child)
    ppr.append(_el("w:spacing", before="0", after="0", line="240", lineRule="auto"))
    normal = doc.styles["Normal"]
    _run_props(normal.element.get_or_add_rPr())
    pf = normal.paragraph_format
    pf.space_before = pf.space_after = 0
    pf.line_spacing = 1.0
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is None:
        lang = _el("w:themeFontLang")
        settings.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:bidi"), "th-TH")


def _page(doc: Any) -> None:
    from docx.shared import Twips

    s = doc.sections[0]
    s.page_width, s.page_height = Twips(A4[0]), Twips(A4[1])
    s.left_margin, s.right_margin = Twips(MARGINS["left"]), Twips(MARGINS["right"])
    s.top_margin, s.bottom_margin = Twips(MARGINS["top"]), Twips(MARGINS["bottom"])
    s.header_distance = s.footer_distance = Twips(567)


class _Writer:
    def __init__(self, doc: Any, layout: str) -> None:
        self.doc = doc
        self.layout = layout

    # one paragraph with its runs; ``tabs``: (position twips, "left"|"right"|"center", leader or None)
    def para(self, runs: list[tuple[str, int, bool]], *, align: str | None = None, left: int = 0,
             first: int = 0, tabs: tuple = (), exact: int | None = None) -> Any:
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT, WD_TAB_LEADER
        from docx.shared import Twips

        p = self.doc.add_paragraph()
        pf = p.paragraph_format
        if align:
            pf.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                            "justify": WD_ALIGN_PARAGRAPH.THAI_JUSTIFY, "left": WD_ALIGN_PARAGRAPH.LEFT}[align]
        if left:
            pf.left_indent = Twips(left)
        if first:
            pf.first_line_indent = Twips(first)
        if exact:
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            pf.line_spacing = Twips(exact)
        for pos, kind, leader in tabs:
            pf.tab_stops.add_tab_stop(Twips(pos), {"left": WD_TAB_ALIGNMENT.LEFT, "right": WD_TAB_ALIGNMENT.RIGHT,
                                                   "center": WD_TAB_ALIGNMENT.CENTER}[kind],
                                      WD_TAB_LEADER.DOTS if leader == "dots" else WD_TAB_LEADER.SPACES)
        _run_props(_mark_rpr(p))
        for text, size, bold in runs:
            r = p.add_run(_keep_dates(text))
            _run_props(r._r.get_or_add_rPr(), size, bold)
        return p

    def add(self, para: Para, garuda: bytes | None) -> None:
        role, memo = para.role, self.layout == "memo"
        text = [(para.text, SIZE, False)] if para.text else []
        if role == "garuda":
            if memo:  # on a memo the emblem stands at the left of the title's line
                self.memo_garuda = garuda or b""
            else:
                self.garuda(garuda)
        elif role == "title" and memo:
            self.memo_title(para.text)
        elif role == "title":
            self.para([(para.text, SIZE, True)], align="center")
        elif role == "center":
            self.para(text, align="center")
        elif role == "header":
            self.header(para)
        elif role == "number_address":
            lines = para.text2.split("\n")
            self.para([(para.text, SIZE, False), ("\t" + lines[0], SIZE, False)], left=ADDRESS_AT, first=-ADDRESS_AT,
                      tabs=((ADDRESS_AT, "left", None),))
            for line in lines[1:]:
                self.para([(line, SIZE, False)], left=ADDRESS_AT)
        elif role == "date_line":
            self.para(text, left=LETTER_DATE_AT if self.layout == "letter" else ORDER_DATE_AT)
        elif role == "label":
            self.label(para)
        elif role in ("body", "clause"):
            self.para(text, align="justify", first=INDENT)
        elif role == "item":
            self.para(text, left=INDENT + 425, first=-425, tabs=((TEXT_WIDTH, "right", None),))
        elif role == "closing":
            self.para(text, align="center", left=SIGN_INDENT)
        elif role == "signature":
            for _ in range(2):  # the place to sign
                self.para([], left=SIGN_INDENT)
            for line in para.lines:
                self.para([(line, SIZE, False)], align="center", left=SIGN_INDENT)
        elif role == "contact":
            self.para([])
            for line in para.lines:
                self.para([(line, SIZE, False)])
        else:  # blank
            self.para([])

    def garuda(self, image: bytes | None) -> None:
        """The emblem's place: 3 cm high, centred; the office's image in it when supplied."""
        from docx.shared import Cm

        p = self.para([], align="center", exact=1701)
        if image:
            run = p.add_run()
            _run_props(run._r.get_or_add_rPr())
            run.add_picture(io.BytesIO(image), height=Cm(3.0))

    def memo_title(self, title: str) -> None:
        """บันทึกข้อความ, 29 pt bold, centred on a line at least 1.5 cm high whose left end holds
        the emblem (the office's image, else the reserved space)."""
        from docx.enum.text import WD_LINE_SPACING
        from docx.shared import Cm, Twips

        p = self.para([], tabs=((TEXT_WIDTH // 2, "center", None),))
        pf = p.paragraph_format
        pf.line_spacing_rule = WD_LINE_SPACING.AT_LEAST
        pf.line_spacing = Twips(851)
        image = getattr(self, "memo_garuda", b"")
        if image:
            run = p.add_run()
            _run_props(run._r.get_or_add_rPr())
            run.add_picture(io.BytesIO(image), height=Cm(1.5))
        run = p.add_run("\t" + title)
        _run_props(run._r.get_or_add_rPr(), MEMO_TITLE, True)

    def header(self, para: Para) -> None:
        label = [(para.label, MEMO_LABEL, True), ("  " + para.text, SIZE, False)]
        if para.label2:
            half = TEXT_WIDTH // 2
            self.para(label + [("\t", SIZE, False), (para.label2, MEMO_LABEL, True), ("  " + para.text2, SIZE, False),
                               ("\t", SIZE, False)],
                      tabs=((half, "left", "dots"), (TEXT_WIDTH, "right", "dots")))
        else:
            self.para(label + [("\t", SIZE, False)], tabs=((TEXT_WIDTH, "right", "dots"),))

    def label(self, para: Para) -> None:
        if not para.text:  # a heading inside the document (ผู้มาประชุม, ข้อค้นพบ …)
            self.para([(para.label, SIZE, True)])
            return
        hang = _label_width(para.label)
        self.para([(para.label, SIZE, False), ("\t" + para.text, SIZE, False)], left=hang, first=-hang,
                  tabs=((hang, "left", None),))


def _mark_rpr(p: Any) -> Any:
    """The paragraph mark's run properties (``w:pPr/w:rPr``), so an empty line has the font's height."""
    from docx.oxml.ns import qn

    ppr = p._p.get_or_add_pPr()
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = _el("w:rPr")
        ppr.append(rpr)
    return rpr


_DATE = None


def _keep_dates(text: str) -> str:
    """A date never breaks across lines: no-break spaces inside ``๕ มกราคม (พ.ศ.) ๒๕๗๐``."""
    global _DATE
    if _DATE is None:
        import re

        from workflow.fiscal import THAI_MONTHS

        months = "|".join(THAI_MONTHS)
        _DATE = re.compile(rf"([๐-๙]{{1,2}}) ({months}) ((?:พ\.ศ\. )?[๐-๙]{{4}})")
    return _DATE.sub(lambda m: "\u00a0".join((m.group(1), m.group(2), m.group(3).replace(" ", "\u00a0"))), text)


def _label_width(label: str) -> int:
    """Where a label's text starts (its wrapped lines too): the label's width, estimated from
    its spacing characters (Thai vowel and tone marks above and below take none), and a gap."""
    visible = sum(1 for ch in label if not ("\u0e31" == ch or "\u0e34" <= ch <= "\u0e3a" or "\u0e47" <= ch <= "\u0e4e"))
    return visible * 140 + 280
