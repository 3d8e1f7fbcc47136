"""The report as files: XLSX (its tables, one sheet each), DOCX (the document for the director and the
committee: the charts as PNG with their tables, then per task), PDF (the DOCX through LibreOffice).

The DOCX is a minimal one of its own until ``engine.documents.docx`` (the office's page set-up and Thai
run helpers) is on main: A4, margins of the correspondence regulation (3 cm left, 2 cm right, 2.5 cm
top, 2 cm bottom), TH Sarabun New 16 pt for the Latin and the complex script (``w:cs``, ``w:szCs``),
the language ``th-TH`` set for both (``w:lang w:bidi``) so Word picks Thai line breaking.

openpyxl and python-docx are imported inside the functions (``ruam --help`` does not load them).
"""

from __future__ import annotations

import io

from engine.reports import charts as ch
from engine.reports.html import HALVES, charts_of, summary_line, words
from engine.reports.tables import Table, cell_text, tables
from workflow.errors import Refused
from workflow.fiscal import format_date_be, format_datetime_be

__all__ = ["FORMATS", "MEDIA_TYPES", "PdfNotAvailable", "docx_bytes", "file_name", "pdf_bytes", "pdf_ready",
           "xlsx_bytes"]

FORMATS = ("html", "docx", "pdf", "xlsx")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FONT = "TH Sarabun New"
SIZE_PT = 16


class PdfNotAvailable(Refused):
    code = "pdf_unavailable"

    def __init__(self) -> None:
        super().__init__("PDF needs engine.documents.pdf (LibreOffice), which this installation does not have; "
                         "use --format docx and print it to PDF",
                         "ยังสร้าง PDF ไม่ได้ในเครื่องนี้ (ต้องมี engine.documents.pdf และ LibreOffice) "
                         "ใช้ --format docx แล้วพิมพ์เป็น PDF แทน")


def file_name(r: dict, fmt: str) -> str:
    half = f"-h{r['half']}" if r["half"] else ""
    return f"ruam-measure-report-{r['fiscal_year']}{half}.{fmt}"


# ---------------------------------------------------------------------------- XLSX

def xlsx_bytes(r: dict) -> bytes:
    """One sheet per table, its header row bold and frozen, numbers as numbers, columns sized to fit."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for tb in tables(r):
        ws = wb.create_sheet(tb.sheet[:31])
        ws.append(list(tb.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in tb.rows:
            ws.append([v if isinstance(v, (int, float)) and not isinstance(v, bool) else
                       (None if v is None else cell_text(v)) for v in row])
        ws.freeze_panes = "A2"
        for i, col in enumerate(tb.columns, start=1):
            longest = max([len(str(col))] + [len(cell_text(row[i - 1])) for row in tb.rows])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(10, longest + 2))
    info = wb.create_sheet("ข้อมูลรายงาน" if r["lang"] == "th" else "About", 0)
    w = words(r["lang"])
    info.append([w["title"], f"{w['fiscal_year']} {r['fiscal_year']}"
                 + (f" {w['half'][r['half']]}" if r["half"] else "")])
    info.append([w["period"], f"{format_date_be(r['first_day'])} – {format_date_be(r['last_day'])}"])
    info.append([w["as_of"], _as_of(r, w)])
    info.append([w["made"], format_datetime_be(r["generated_at"])])
    info.append([w["ledger"], r["ledger_seq"]])
    info.append([r["office"], summary_line(r)])
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------- DOCX

def _thai_style(style) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    style.font.name = FONT
    style.font.size = Pt(SIZE_PT)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    for tag, value in (("w:szCs", str(SIZE_PT * 2)), ("w:lang", None)):
        found = rpr.find(qn(tag))
        if found is None:
            found = OxmlElement(tag)
            rpr.append(found)
        if tag == "w:lang":
            found.set(qn("w:val"), "th-TH")
            found.set(qn("w:bidi"), "th-TH")
        else:
            found.set(qn("w:val"), value)


def _table(doc, tb: Table, empty: str) -> None:
    from docx.shared import Cm, Pt

    doc.add_paragraph(tb.title, style="Caption")
    rows = tb.rows or ((empty,) + ("",) * (len(tb.columns) - 1),)
    t = doc.add_table(rows=1 + len(rows), cols=len(tb.columns))
    t.style = "Table Grid"
    for i, col in enumerate(tb.columns):
        t.cell(0, i).text = col
    for r_i, row in enumerate(rows, start=1):
        for c_i, value in enumerate(row):
            t.cell(r_i, c_i).text = cell_text(value) if value != "" else ""
    t.autofit = False
    # each column as wide as its words ask (a title wraps, a number does not), within 16 cm
    weights = [min(30, max(8, max(len(w) for w in col.split()) if col.split() else 8,
                            *(len(cell_text(row[i])) for row in tb.rows)))
               for i, col in enumerate(tb.columns)]
    widths = [Cm(15.8 * w / sum(weights)) for w in weights]
    for column, width in zip(t.columns, widths):  # the grid (LibreOffice reads it) and each cell (Word does)
        column.width = width
        for cell in column.cells:
            cell.width = width
    small = Pt(12 if len(tb.columns) > 8 else 14)
    for row in t.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = small
                    _size_cs(run, small)
    for cell in t.rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True


def _size_cs(run, size) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rpr = run._element.get_or_add_rPr()
    sz = rpr.find(qn("w:szCs"))
    if sz is None:
        sz = OxmlElement("w:szCs")
        rpr.append(sz)
    sz.set(qn("w:val"), str(int(size.pt * 2)))


def docx_bytes(r: dict) -> bytes:
    from docx import Document
    from docx.shared import Cm, RGBColor

    w = words(r["lang"])
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.left_margin, sec.right_margin, sec.top_margin, sec.bottom_margin = Cm(3), Cm(2), Cm(2.5), Cm(2)
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Caption"):
        _thai_style(doc.styles[name])
        if name != "Normal":
            doc.styles[name].font.color.rgb = RGBColor(0, 0, 0)
    half = f" — {HALVES[r['half']][0 if r['lang'] == 'th' else 1]}" if r["half"] else ""
    doc.add_paragraph(r["office"])
    doc.add_heading(f"{w['title']} {w['fiscal_year']} {r['fiscal_year']}{half}", level=1)
    doc.add_paragraph(r["measure"])
    doc.add_paragraph(f"{w['period']}: {format_date_be(r['first_day'])} – {format_date_be(r['last_day'])}; "
                      f"{w['as_of']} {_as_of(r, w)}; {w['made']} {format_datetime_be(r['generated_at'])}"
                      f" ({w['ledger']} {r['ledger_seq']})")
    doc.add_paragraph(summary_line(r))
    for c in charts_of(r, svg=False):
        doc.add_heading(c["title"], level=2)
        doc.add_picture(io.BytesIO(ch.chart_png(c["spec"])), width=Cm(12))
        doc.add_paragraph(c["caption"], style="Caption")
        for tb in c["tables"]:
            if tb.key != "rounds":  # the calendar's record is told per task below
                _table(doc, tb, w["empty"])
    doc.add_heading(w["per_task"], level=2)
    for task in r["tasks"]:
        _task(doc, task, w)
    if r["committee"]:
        doc.add_heading(w["committee"], level=2)
        for x in r["committee"]:
            doc.add_paragraph(_round_line(x, w), style="List Bullet")
    for style in ("List Bullet", "List Number"):
        _thai_style(doc.styles[style])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _as_of(r: dict, w: dict) -> str:
    return f"{w['end_of']} {format_date_be(r['last_day'])}" if r["ended"] else format_datetime_be(r["as_of"])


def _round_line(x: dict, w: dict) -> str:
    line = f"{x['label']} ({w['due']} {format_date_be(x['due_on'])}): {x['outcome_title']}"
    if x["completed_at"]:
        line += f" — {w['recorded']} {format_datetime_be(x['completed_at'])}"
        if x["held_on"]:
            line += f", {w['held']} {format_date_be(x['held_on'])}"
        if x["completed_by"]:
            line += f", {x['completed_by']}"
    for key in ("findings", "advice"):
        if x.get(key):
            line += f"; {w[key]}: {x[key]}"
    return line


def _task(doc, task: dict, w: dict) -> None:
    doc.add_heading(task["title"], level=3)
    doc.add_paragraph(f"{task['group_title']} · {w['state']}: {task['state_title']} · {w['steps']} "
                      f"{task['steps_done']}/{task['steps_total']}")
    e = task["elements"] or {}
    for key in ("topic", "participants", "results", "improvements"):
        p = doc.add_paragraph()
        p.add_run(f"{w[key]}: ").bold = True
        text = e.get(key) or w["none"]
        if key == "participants" and e.get("outsiders"):
            text += f" ({w['outsiders']} {e['outsiders']} {w['persons']})"
        p.add_run(text)
    p = doc.add_paragraph()
    p.add_run(f"{w['calendar']}").bold = True
    for x in task["reports"] + task["checkpoints"]:
        doc.add_paragraph(_round_line(x, w), style="List Bullet")
    o = task["opinions"]
    p = doc.add_paragraph()
    p.add_run(f"{w['opinions']}: ").bold = True
    p.add_run(f"{w['received']} {o['received']} · {w['decided']} {o['decided']} ({w['adopt']} {o['adopt']}, "
              f"{w['adopt_in_part']} {o['adopt_in_part']}, {w['decline']} {o['decline']})")
    for d in o["list"]:
        doc.add_paragraph(f"{d['source']}: «{d['opinion']}» — {d['decision_title']}: {d['action_or_reason']}",
                          style="List Number")


# ---------------------------------------------------------------------------- PDF

def pdf_ready() -> bool:
    """Whether ``engine.documents.pdf`` is installed (the page offers PDF only then)."""
    import importlib.util

    try:
        return importlib.util.find_spec("engine.documents.pdf") is not None
    except ModuleNotFoundError:  # no engine.documents at all
        return False


def pdf_bytes(r: dict) -> bytes:
    """The DOCX through ``engine.documents.pdf.to_pdf`` (LibreOffice), where that module is installed."""
    try:
        from engine.documents.pdf import to_pdf  # type: ignore[import-not-found]  # docs-pdf's module
    except ImportError:
        raise PdfNotAvailable() from None
    return to_pdf([docx_bytes(r)])[0]
