"""The report's four charts as Vega-Lite specifications, rendered in-process by vl-convert: SVG for the
pages (text kept as text, shaped by the browser with the Thai web font the page serves), PNG for the
DOCX (drawn by resvg, whose HarfBuzz port places Thai upper and lower vowels and tone marks right).

Why Vega-Lite through vl-convert: one wheel with its engine bundled (no browser, no system library), a
declarative chart (scales, axes, stacking, legends done by the library, not drawn by hand), SVG output
with an ``aria-label`` on every mark (the screen reader's reading of a bar), and correct Thai shaping in
the PNG. matplotlib lays Thai out glyph by glyph without shaping (marks collide unless mplcairo and
raqm are added); pygal's PNG goes through cairosvg's toy text API, also unshaped.

The library is imported inside the functions (``ruam --help`` does not load it). The Thai font is a
TLWG font found by file path (``fonts-thai-tlwg``; ``RUAM_THAI_FONT_DIR`` points elsewhere); without
one, ``ThaiFontMissing`` says what to install.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import threading
from pathlib import Path

from workflow.errors import Refused

__all__ = ["CHARTS", "ThaiFontMissing", "chart_png", "chart_specs", "chart_svg", "font_file", "thai_font"]

FONT_DIRS = ("/usr/share/fonts/truetype/tlwg", "/usr/share/fonts/opentype/tlwg", "/usr/share/fonts/tlwg",
             "/usr/local/share/fonts/tlwg", "/usr/share/fonts/truetype/thai")
# preferred first: a plain sans for small labels
FONTS = (("Garuda", "Garuda.ttf", "Garuda-Bold.ttf"), ("Loma", "Loma.ttf", "Loma-Bold.ttf"),
         ("Laksaman", "Laksaman.ttf", "Laksaman-Bold.ttf"))
CHARTS = ("progress", "overdue", "durations", "compliance")
COLORS = {"done": "#2f6f4f", "left": "#c9d6cf", "report": "#b3541e", "checkpoint": "#7a3e9d", "process": "#3d5a80",
          "on_time": "#2f6f4f", "late": "#d08c1b", "missing": "#b3261e", "pending": "#9aa5b1",
          "not_applicable": "#dfe3e8", "median": "#3d5a80", "range": "#1b263b"}
_REGISTERED: set[str] = set()
_DRAWING = threading.Lock()  # one drawing at a time: the pages' threads share one converter


class ThaiFontMissing(Refused):
    """No Thai font file to draw the charts' labels with."""

    code = "thai_font_missing"

    def __init__(self) -> None:
        super().__init__("no Thai font for the report's charts: install fonts-thai-tlwg (apt-get install "
                         "fonts-thai-tlwg) or set RUAM_THAI_FONT_DIR to a folder with Garuda.ttf or Loma.ttf",
                         "ไม่พบแบบอักษรภาษาไทยสำหรับแผนภูมิ: ติดตั้ง fonts-thai-tlwg (apt-get install "
                         "fonts-thai-tlwg) หรือกำหนด RUAM_THAI_FONT_DIR เป็นโฟลเดอร์ที่มี Garuda.ttf หรือ Loma.ttf")


def thai_font() -> tuple[str, Path, Path]:
    """(family, regular file, bold file) of the first Thai font found."""
    dirs = [os.environ["RUAM_THAI_FONT_DIR"]] if os.environ.get("RUAM_THAI_FONT_DIR") else list(FONT_DIRS)
    for family, regular, bold in FONTS:
        for d in dirs:
            r, b = Path(d) / regular, Path(d) / bold
            if r.is_file():
                return family, r, (b if b.is_file() else r)
    raise ThaiFontMissing()


def font_file(weight: str) -> tuple[str, bytes]:
    """The web font the page serves: (file name, bytes) of the regular or bold face."""
    family, regular, bold = thai_font()
    path = bold if weight == "bold" else regular
    return path.name, path.read_bytes()


def _vlc():
    import vl_convert as vlc  # lazily: a 40 MB engine, only when a chart is drawn

    family, regular, _ = thai_font()
    folder = str(regular.parent)
    if folder not in _REGISTERED:
        vlc.register_font_directory(folder)
        _REGISTERED.add(folder)
    return vlc, family


def wrap(text: str, width: int = 18) -> str:
    """A long Thai title in lines of about ``width`` characters, broken at spaces (Thai writes one
    between phrases) and, inside a phrase too long for a line, before "และ" ("and": a word boundary
    in these titles) or after a slash; a piece longer than a line stays whole."""
    pieces: list[tuple[str, str]] = []   # (what goes before it when on the same line, the piece)
    for word in str(text).split():
        parts = re.split("(?<=.{4})(?=และ)|(?<=/)", word) if len(word) > width else [word]
        pieces += [(" " if i == 0 else "", part) for i, part in enumerate(parts)]
    lines: list[str] = []
    for gap, piece in pieces:
        if lines and len(lines[-1]) + len(gap) + len(piece) <= width:
            lines[-1] += gap + piece
        else:
            lines.append(piece)
    return "\n".join(lines) or str(text)


WORDS = {
    "progress": ("ความคืบหน้าตามกลุ่มภารกิจ (ขั้นตอนที่เสร็จ / ทั้งหมด)",
                 "Progress by mission group (steps done / all)"),
    "overdue": ("รายการที่เลยกำหนดตามกลุ่มภารกิจ", "Past due, by mission group"),
    "durations": ("ระยะเวลาในแต่ละขั้นตอน (วัน: มัธยฐาน และช่วงควอร์ไทล์ที่ ๑–๓)",
                  "Days in each step (median, and 25th–75th percentile)"),
    "compliance": ("การรายงานและการกำกับติดตามตามรอบ", "Reports and checkpoints per round"),
    "group": ("กลุ่มภารกิจ", "Mission group"), "steps": ("จำนวนขั้นตอน", "Steps"),
    "done": ("เสร็จแล้ว", "done"), "left": ("คงเหลือ", "left"), "count": ("จำนวน", "Count"),
    "what": ("ประเภท", "Kind"), "state": ("ขั้นตอน", "Step"), "days": ("วัน", "Days"),
    "median": ("มัธยฐาน", "median"), "p25": ("ควอร์ไทล์ที่ ๑", "25th percentile"),
    "p75": ("ควอร์ไทล์ที่ ๓", "75th percentile"), "round": ("รอบ", "Round"), "outcome": ("ผล", "Outcome"),
    "n": ("จำนวนครั้ง", "times"),
}


def _w(key: str, lang: str) -> str:
    return WORDS[key][0] if lang == "th" else WORDS[key][1]


def _base(title: str, family: str, rows: int) -> dict:
    # the title is the section's heading and the SVG's <title>, not drawn a second time
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "description": title,
            "width": 200, "height": {"step": 40} if rows else 60, "background": "white",
            "config": {"font": family, "axis": {"labelFontSize": 12, "titleFontSize": 12},
                       "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom", "columns": 1,
                                  "labelLimit": 300},
                       "title": {"fontSize": 15}, "view": {"stroke": None}}}


def _y(field: str, title: str, order: list[str]) -> dict:
    return {"field": field, "type": "nominal", "title": None, "sort": order,
            "axis": {"labelExpr": "split(datum.label, '\\n')", "labelLimit": 180, "labelPadding": 4}}


def _stack(keys: list[tuple[str, str]], domain_title: str) -> dict:
    return {"field": "what", "type": "nominal", "title": domain_title,
            "scale": {"domain": [label for _, label in keys], "range": [COLORS[k] for k, _ in keys]},
            "sort": [label for _, label in keys]}


def chart_specs(report: dict) -> dict[str, dict]:
    """The four charts' Vega-Lite specifications, from ``engine.reports.data.measure_report``'s dict."""
    lang = report["lang"]
    family = thai_font()[0]
    from engine.reports.data import OUTCOME_TITLES, OVERDUE_KINDS

    def pick(pair):
        return pair[0] if lang == "th" else pair[1]

    groups = [wrap(g["title"]) for g in report["groups"]]
    progress = [{"label": wrap(g["title"]), "what": _w(k, lang), "order": i, "title": g["title"],
                 "n": g["steps_done"] if k == "done" else g["steps_total"] - g["steps_done"]}
                for g in report["groups"] for i, k in enumerate(("done", "left"))]
    for p in progress:
        p["said"] = f"{p.pop('title')}: {p['what']} {p['n']}"
    keys = [("done", _w("done", lang)), ("left", _w("left", lang))]
    specs = {"progress": _base(_w("progress", lang), family, len(groups)) | {
        "data": {"values": progress}, "mark": {"type": "bar"},
        "encoding": {"y": _y("label", _w("group", lang), groups),
                     "x": {"field": "n", "type": "quantitative", "stack": "zero", "title": _w("steps", lang),
                           "axis": {"tickMinStep": 1}},
                     "color": _stack(keys, _w("what", lang)), "order": {"field": "order"},
                     "description": {"field": "said"}}}}

    kinds = [(k, pick(OVERDUE_KINDS[k])) for k in ("report", "checkpoint", "process")]
    rows = report["overdue"]["by_group"]
    labels = [wrap(r["title"]) for r in rows]
    overdue = [{"label": wrap(r["title"]), "what": label, "n": r[k], "order": i,
                "said": f"{r['title']}: {label} {r[k]}"} for r in rows for i, (k, label) in enumerate(kinds) if r[k]]
    specs["overdue"] = _base(_w("overdue", lang), family, len(labels)) | {
        "data": {"values": overdue}, "mark": {"type": "bar"},
        "encoding": {"y": _y("label", _w("group", lang), labels),
                     "x": {"field": "n", "type": "quantitative", "stack": "zero", "title": _w("count", lang),
                           "axis": {"tickMinStep": 1}, "scale": {"domainMin": 0, "nice": True}},
                     "color": _stack(kinds, _w("what", lang)), "order": {"field": "order"},
                     "description": {"field": "said"}}}
    if not overdue:  # nothing past due: an empty axis per group, so the chart still names them
        specs["overdue"]["data"]["values"] = [{"label": wrap(r["title"]), "what": kinds[0][1], "n": 0, "order": 0,
                                                "said": f"{r['title']}: 0"} for r in rows]

    states = [wrap(d["title"], 16) for d in report["durations"]]
    durations = [{"label": wrap(d["title"], 16), "median": d["median"], "p25": d["p25"], "p75": d["p75"],
                  "n": d["n"], "said": f"{d['title']}: {_w('median', lang)} {d['median'] if d['n'] else '-'} "
                                       f"{_w('days', lang)} ({_w('n', lang)} {d['n']})"} for d in report["durations"]]
    specs["durations"] = _base(_w("durations", lang), family, len(states)) | {
        "data": {"values": durations},
        "encoding": {"y": _y("label", _w("state", lang), states)},
        "layer": [
            {"mark": {"type": "bar", "color": COLORS["median"], "opacity": 0.85},
             "encoding": {"x": {"field": "median", "type": "quantitative", "title": _w("days", lang)},
                          "description": {"field": "said"},
                          "tooltip": [{"field": "median", "title": _w("median", lang)},
                                      {"field": "n", "title": _w("n", lang)}]}},
            {"mark": {"type": "rule", "color": COLORS["range"], "strokeWidth": 2},
             "encoding": {"x": {"field": "p25", "type": "quantitative"}, "x2": {"field": "p75"}}},
        ]}

    outcomes = [(k, pick(OUTCOME_TITLES[k])) for k in ("on_time", "late", "missing", "pending", "not_applicable")]
    rounds = [wrap(c["label"], 16) for c in report["compliance"]]
    compliance = [{"label": wrap(c["label"], 16), "what": label, "n": c[k], "order": i,
                   "said": f"{c['label']}: {label} {c[k]}"}
                  for c in report["compliance"] for i, (k, label) in enumerate(outcomes) if c[k]]
    specs["compliance"] = _base(_w("compliance", lang), family, len(rounds)) | {
        "data": {"values": compliance}, "mark": {"type": "bar"},
        "encoding": {"y": _y("label", _w("round", lang), rounds),
                     "x": {"field": "n", "type": "quantitative", "stack": "zero", "title": _w("count", lang),
                           "axis": {"tickMinStep": 1}},
                     "color": _stack(outcomes, _w("outcome", lang)), "order": {"field": "order"},
                     "description": {"field": "said"}}}
    for spec in specs.values():  # a band tall enough for the most lines a label has
        lines = max((v["label"].count("\n") + 1 for v in spec["data"]["values"]), default=1)
        if isinstance(spec["height"], dict):
            spec["height"] = {"step": max(30, 15 * lines + 10)}
    return specs


def chart_svg(spec: dict, title: str, desc: str, key: str = "chart") -> str:
    """The chart as SVG for a page: its title and a description as ``<title>``/``<desc>`` (the
    accessible name), scaling to its container's width. The same chart is drawn once (the figures
    change only with the ledger: a page read again costs no drawing; measured ~37 ms a chart)."""
    return _svg(json.dumps(spec, sort_keys=True, ensure_ascii=False), title, desc, key)


@functools.lru_cache(maxsize=64)
def _svg(spec_text: str, title: str, desc: str, key: str) -> str:
    with _DRAWING:
        vlc, _ = _vlc()
        svg = vlc.vegalite_to_svg(json.loads(spec_text))
    svg = re.sub(r'^<svg ([^>]*?)width="(\d+)" height="(\d+)"', r'<svg \1data-width="\2" data-height="\3"',
                 svg, count=1)
    head, _, rest = svg.partition(">")
    return (f'{head} role="img" aria-labelledby="{key}-title {key}-desc" preserveAspectRatio="xMinYMin meet">'
            f'<title id="{key}-title">{html.escape(title)}</title><desc id="{key}-desc">{html.escape(desc)}</desc>'
            f"{rest}")


_SARA_AM = re.compile("([\u0e48-\u0e4b]?)\u0e33")


def _spelled_out(value):
    """SARA AM (ำ) as NIKHAHIT + SARA AA, a tone mark between (the order HarfBuzz's Thai shaper uses):
    resvg draws the precomposed letter with its ring off its place and eats the space after it
    (measured: "จัดทำ กำกับ"), the spelled-out pair right. Same look; only the PNG's text."""
    if isinstance(value, str):
        return _SARA_AM.sub("\u0e4d\\1\u0e32", value)
    if isinstance(value, list):
        return [_spelled_out(v) for v in value]
    if isinstance(value, dict):
        return {k: _spelled_out(v) for k, v in value.items()}
    return value


def chart_png(spec: dict, scale: float = 2.0) -> bytes:
    """The chart as PNG for the DOCX (``scale`` × its CSS pixels)."""
    with _DRAWING:
        vlc, _ = _vlc()
        return vlc.vegalite_to_png(_spelled_out(spec), scale=scale)
