"""The report as HTML: its body (the charts as SVG, each with its tables beneath, then per task the four
elements, the calendar's record and the opinions), for the ``/reports`` page and as a standalone
document (``ruam measure-report --format html``) whose Thai font is embedded, so it reads the same
on a machine without one."""

from __future__ import annotations

import base64
from pathlib import Path

from engine.reports import charts as ch
from engine.reports.tables import Table, cell_text, tables
from workflow.fiscal import format_date_be, format_datetime_be

__all__ = ["WORDS", "body", "charts_of", "document", "font_css", "summary_line", "words"]

HERE = Path(__file__).parent

WORDS = {
    "title": ("รายงานผลการดำเนินงานตามมาตรการการมีส่วนร่วม", "Report of the participation measure"),
    "fiscal_year": ("ปีงบประมาณ", "fiscal year"),
    "period": ("ช่วงเวลา", "Period"), "as_of": ("ข้อมูล ณ", "As of"), "made": ("จัดทำเมื่อ", "Made on"),
    "running": ("ยังไม่สิ้นสุดช่วงเวลา", "the period is still running"),
    "end_of": ("สิ้นวันที่", "the end of"),
    "ledger": ("บันทึกถึงลำดับที่", "ledger up to record"),
    "per_task": ("ผลการดำเนินงานรายงาน", "Per task"), "state": ("ขั้นตอนปัจจุบัน", "Current step"),
    "steps": ("ขั้นตอนที่เสร็จ", "steps done"), "cancelled": ("ยกเลิก", "cancelled"),
    "elements": ("องค์ประกอบ ๔ ด้าน", "The four elements"),
    "topic": ("ประเด็น/เรื่องที่ให้มีส่วนร่วม", "Topic"), "participants": ("ผู้มีส่วนร่วม", "Who took part"),
    "results": ("ผลการมีส่วนร่วม", "Results"), "improvements": ("การนำผลไปปรับปรุงการดำเนินงาน", "Improvements"),
    "outsiders": ("ผู้เข้าร่วมประชุมจากภายนอก", "outsiders at the meetings:"), "persons": ("คน", ""),
    "none": ("ยังไม่มีข้อมูล", "not yet recorded"),
    "calendar": ("บันทึกตามปฏิทิน (รายงานและการกำกับติดตาม)", "The calendar's record"),
    "due": ("กำหนด", "due"), "recorded": ("บันทึกเมื่อ", "recorded"), "held": ("จัดเมื่อ", "held on"),
    "no_rounds": ("ไม่มีรอบที่ครบกำหนดในช่วงเวลานี้", "no round due in this period"),
    "opinions": ("ความคิดเห็นที่ได้รับและผลการพิจารณา", "Opinions received and decided"),
    "received": ("ได้รับ", "received"), "decided": ("พิจารณาแล้ว", "decided"),
    "adopt": ("นำไปปรับปรุง", "adopted"), "adopt_in_part": ("บางส่วน", "in part"),
    "decline": ("ไม่นำไปปรับปรุง", "declined"), "waiting": ("รอพิจารณา", "waiting"),
    "committee": ("การติดตามของ ก.ต.ป.น.", "The area committee's rounds"),
    "findings": ("ข้อค้นพบ", "Findings"), "advice": ("ข้อเสนอแนะ", "Advice"),
    "empty": ("ไม่มีรายการ", "nothing to list"),
}
HALVES = {1: ("ครึ่งปีแรก (๑ ต.ค. – ๓๑ มี.ค.)", "first half (1 Oct – 31 Mar)"),
          2: ("ครึ่งปีหลัง (๑ เม.ย. – ๓๐ ก.ย.)", "second half (1 Apr – 30 Sep)")}
CAPTIONS = {
    "progress": ("ขั้นตอนที่เสร็จของทุกงานในกลุ่ม เทียบกับขั้นตอนทั้งหมดตามมาตรการ ณ วันที่ของรายงาน",
                 "Steps done by the group's tasks against all the measure's steps, as of the report's date"),
    "overdue": ("รายงานและการกำกับติดตามที่เลยกำหนดแล้วยังไม่ดำเนินการ และกระบวนการที่ยังไม่เสร็จเมื่อสิ้นปีงบประมาณ",
                "Reports and checkpoints past due and not done, and processes unfinished when the year ended"),
    "durations": ("จำนวนวันตั้งแต่เข้าสู่ขั้นตอนจนบันทึกขั้นตอนถัดไป (แท่ง = มัธยฐาน, เส้น = ควอร์ไทล์ที่ ๑–๓)",
                  "Days from entering a step until the next was recorded (bar = median, line = 25th–75th percentile)"),
    "compliance": ("จำนวนงาน/กลุ่มในแต่ละรอบ แยกตามผล: ตรงเวลา ล่าช้า เลยกำหนด ยังไม่ถึงกำหนด",
                   "Tasks or groups per round by outcome: on time, late, missing, not yet due"),
}


def words(lang: str) -> dict:
    out = {k: (v[0] if lang == "th" else v[1]) for k, v in WORDS.items()}
    out["half"] = {k: (v[0] if lang == "th" else v[1]) for k, v in HALVES.items()}
    return out


def summary_line(r: dict) -> str:
    """One sentence a director reads first."""
    th = r["lang"] == "th"
    tasks = [t for t in r["tasks"] if t["process"]]
    closed = sum(g["closed"] for g in r["groups"])
    done = sum(g["steps_done"] for g in r["groups"])
    total = sum(g["steps_total"] for g in r["groups"])
    rep = [c for c in r["compliance"] if c["kind"] == "report"]
    chk = [c for c in r["compliance"] if c["kind"] == "checkpoint"]

    def count(rows, k):
        return sum(c[k] for c in rows)

    pct = f"{100 * done / total:.0f}" if total else "0"
    if th:
        return (f"งาน {len(tasks)} งาน ปิดรอบแล้ว {closed} งาน; ขั้นตอนเสร็จ {done} จาก {total} (ร้อยละ {pct}); "
                f"รายงานตามรอบ ตรงเวลา {count(rep, 'on_time')} ล่าช้า {count(rep, 'late')} "
                f"เลยกำหนด {count(rep, 'missing')}; การกำกับติดตาม ตรงเวลา {count(chk, 'on_time')} "
                f"ล่าช้า {count(chk, 'late')} เลยกำหนด {count(chk, 'missing')}")
    return (f"{len(tasks)} tasks, {closed} closed; {done} of {total} steps done ({pct}%); reports on time "
            f"{count(rep, 'on_time')}, late {count(rep, 'late')}, missing {count(rep, 'missing')}; checkpoints "
            f"on time {count(chk, 'on_time')}, late {count(chk, 'late')}, missing {count(chk, 'missing')}")


def _env():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]))
    env.globals.update(day=lambda d: "-" if d is None else format_date_be(d),
                       when=lambda m: "-" if m is None else format_datetime_be(m), cell=cell_text)
    return env


_ENV = None


def env():
    global _ENV
    if _ENV is None:
        _ENV = _env()
    return _ENV


def charts_of(r: dict, svg: bool = True) -> list[dict]:
    """Each chart with its title, caption, tables and (``svg``) its drawing."""
    specs = ch.chart_specs(r)
    lang = r["lang"]
    by_key: dict[str, list[Table]] = {}
    for tb in tables(r):
        by_key.setdefault({"overdue_items": "overdue", "rounds": "compliance"}.get(tb.key, tb.key), []).append(tb)
    out = []
    for key in ch.CHARTS:
        title = ch.WORDS[key][0] if lang == "th" else ch.WORDS[key][1]
        caption = CAPTIONS[key][0] if lang == "th" else CAPTIONS[key][1]
        out.append({"key": key, "title": title, "caption": caption, "spec": specs[key],
                    "svg": ch.chart_svg(specs[key], title, caption, f"chart-{key}") if svg else "",
                    "tables": by_key.get(key, [])})
    return out


def body(r: dict) -> str:
    """The report's HTML (an ``<article>``), for a page or a document."""
    e = env()
    w = words(r["lang"])
    table_tpl = e.get_template("report_table.html")

    def table(tb: Table):
        from markupsafe import Markup

        return Markup(table_tpl.render(tb=tb, empty=w["empty"]))

    return e.get_template("report_body.html").render(r=r, w=w, charts=charts_of(r), table=table,
                                                     summary=summary_line(r))


def font_css(url_regular: str, url_bold: str) -> str:
    """The Thai web font, under its own family name too (the charts' SVG text names it so)."""
    out = ""
    for family in ("RuamThai", ch.thai_font()[0]):
        out += (f'@font-face {{ font-family: "{family}"; src: url("{url_regular}") format("truetype"); '
                f'font-weight: 400; }}\n'
                f'@font-face {{ font-family: "{family}"; src: url("{url_bold}") format("truetype"); '
                f'font-weight: 700; }}\n')
    return out


def page_css() -> str:
    return (HERE / "report.css").read_text(encoding="utf-8")


def document(r: dict) -> str:
    """A standalone HTML document: the body, the style, and the Thai font embedded (data URLs)."""
    from markupsafe import escape

    fonts = {weight: base64.b64encode(ch.font_file(weight)[1]).decode("ascii") for weight in ("regular", "bold")}
    css = font_css(f"data:font/ttf;base64,{fonts['regular']}", f"data:font/ttf;base64,{fonts['bold']}")
    title = f"{words(r['lang'])['title']} {r['fiscal_year']}"
    lang = r["lang"]
    return (f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{escape(title)}</title>\n'
            f'<style>\n{css}body {{ font-family: "RuamThai", sans-serif; margin: 0 auto; padding: 1rem; '
            f'max-width: 62rem; line-height: 1.6; color: #1a1a1a; }}\n{page_css()}</style>\n</head>\n<body>\n'
            f"{body(r)}\n</body>\n</html>\n")
