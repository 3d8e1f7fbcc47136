"""The ITA (OIT) item catalogue as data: one YAML document per (fiscal year, agency type).

A catalogue names, for the items Ruam can give evidence for, the item's code
in that year's OIT form (codes are renumbered every year and differ by agency
type), its Thai title, the elements it requires, the period the activity must
fall in (``in_year``; ``first_half``: the first six months; ``oct_to_aug``:
1 Oct – 31 Aug), and which of Ruam's evidence satisfies each element. Every
item has a ``concept`` (``participation``, ``ita_result_analysis``,
``internal_integrity_measures`` …): the crosswalk across years is the same
concept under each year's code. ``source`` and ``confidence`` say how sure the
data is (``confirmed``: the NACC's own list; ``seen``: seen in an office's
published answers; ``inferred``: read from the rules; ``uncertain``: to check
against the year's form). A code not known yet is ``null`` and must be
``uncertain``.

``read_catalogue(text, file)`` checks one document and raises
``DefinitionError`` listing every problem with file, line and field (as
``workflow.reader`` does); ``check_catalogues`` adds what shows across files.
Pure: callers pass text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workflow.definitions import Title
from workflow.errors import DefinitionError, Problem
from workflow.ita import PERIOD_RULES
from workflow.reader import ID_RE, Reader, parse_yaml

KIND = "ita_catalogue"
CODE_RE = re.compile(r"^[A-Za-z]{1,3}[0-9]{1,3}(\.[0-9]{1,2})?$")
CONFIDENCE = ("confirmed", "seen", "inferred", "uncertain")
CONFIDENCE_TITLES = {
    "confirmed": ("ยืนยันจากคู่มือของสำนักงาน ป.ป.ช.", "confirmed by the NACC's list"),
    "seen": ("พบในแบบตอบของหน่วยงานที่เผยแพร่", "seen in an agency's published answers"),
    "inferred": ("อนุมานจากหลักเกณฑ์", "inferred from the rules"),
    "uncertain": ("ยังไม่แน่นอน ควรตรวจกับแบบ OIT ของปีนั้น", "uncertain: check against the year's form"),
}
# Ruam's evidence an element may name; "office.own" = Ruam holds none, the office attaches it itself
EVIDENCE = {
    "task.topic": ("ประเด็นที่ให้มีส่วนร่วม (บันทึกการประชุม/สรุปผลปิดรอบ)", "the topic (meeting / closing summary)"),
    "task.participants": ("ผู้ได้รับแต่งตั้งและผู้เข้าร่วมประชุม (บุคคลภายนอก)", "appointees and attendees (outsiders)"),
    "task.results": ("ผลการมีส่วนร่วม (สรุปผลที่ส่งผู้ได้รับแต่งตั้ง/สรุปผลปิดรอบ)", "results (summary sent / closing)"),
    "task.improvements": ("ความคิดเห็นที่นำไปปรับปรุงและการดำเนินการ", "opinions adopted and what was done"),
    "task.documents": ("คำสั่ง หนังสือ รายงานการประชุมที่เผยแพร่", "the order, letters, minutes published"),
    "measure.announcement": ("ประกาศมาตรการและฐานทางกฎหมาย", "the measure's announcement and legal basis"),
    "calendar.semiannual_report": ("รายงานสรุปผลรอบ ๖ เดือน/๑๒ เดือน", "the semiannual reports"),
    "calendar.supervision": ("ผลการกำกับ ติดตามของผู้บริหารและ ก.ต.ป.น.", "the supervision results"),
    "office.own": ("ไม่อยู่ในรวม: สำนักงานจัดเตรียมเอง", "not held by Ruam: the office attaches it"),
}
TASK_EVIDENCE = ("task.topic", "task.participants", "task.results", "task.improvements")


@dataclass(frozen=True)
class ItaElement:
    id: str
    title: Title
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class ItaItem:
    code: str | None
    concept: str
    title: Title
    period: str
    confidence: str
    source: str
    elements: tuple[ItaElement, ...]
    line: int | None = None

    @property
    def ruam_holds_all(self) -> bool:
        """Every element is evidence Ruam keeps (none is the office's own)."""
        return all("office.own" not in e.evidence for e in self.elements)

    @property
    def per_task(self) -> bool:
        """The item is answered from the tasks' four elements (participation)."""
        return any(ev in TASK_EVIDENCE for e in self.elements for ev in e.evidence)


@dataclass(frozen=True)
class ItaCatalogue:
    fiscal_year: int
    agency_type: str
    agency_title: Title
    source: str
    items: tuple[ItaItem, ...]
    file: str | None = None
    carried_from: int | None = None   # a later year using this year's catalogue until its own is added

    def item(self, concept: str) -> ItaItem | None:
        return next((i for i in self.items if i.concept == concept), None)


def _text(r: Reader, m: Any, key: str, where: str, required: bool = True) -> str:
    value = m.get(key)
    if value is None:
        if required:
            r.problem(f"{where}.{key}" if where else key, "is required", m.line)
        return ""
    if not isinstance(value, str) or not value.strip():
        r.problem(f"{where}.{key}" if where else key, "must be text", m.line_of(key))
        return ""
    return value.strip()


def read_catalogue(text: str, file: str | None = None) -> ItaCatalogue:
    """One catalogue document, checked (every problem at once, with its line)."""
    r = Reader(file)
    data = parse_yaml(text, file)
    m = r.mapping(data, "(document)", 1)
    if m is None:
        raise DefinitionError(r.problems)
    r.unknown_keys(m, {"kind", "fiscal_year", "agency_type", "agency_title", "source", "items", "description"}, "")
    if m.get("kind") != KIND:
        r.problem("kind", f"must be {KIND}, not '{m.get('kind')}'", m.line_of("kind") if "kind" in m else m.line)
    fy = m.get("fiscal_year")
    if isinstance(fy, bool) or not isinstance(fy, int) or not 2550 <= fy <= 2700:
        r.problem("fiscal_year", "must be a BE fiscal year (2550–2700)",
                  m.line_of("fiscal_year") if "fiscal_year" in m else m.line)
        fy = 0
    agency = r.ident(m, "agency_type", "")
    agency_title = r.title(m, "", key="agency_title")
    source = _text(r, m, "source", "")
    items: list[ItaItem] = []
    codes: dict[str, int] = {}
    concepts: dict[str, int] = {}
    raw_items = r.seq(m.get("items"), "items", m.line_of("items") if "items" in m else m.line)
    for i, raw in enumerate(raw_items):
        where = f"items[{i}]"
        im = r.mapping(raw, where, raw_items.line_of(i))
        if im is None:
            continue
        r.unknown_keys(im, {"code", "concept", "title", "period", "confidence", "source", "elements", "note"}, where)
        code = im.get("code")
        confidence = im.get("confidence")
        if confidence not in CONFIDENCE:
            r.problem(f"{where}.confidence", f"must be one of {', '.join(CONFIDENCE)}",
                      im.line_of("confidence") if "confidence" in im else im.line)
        if code is None:
            if confidence != "uncertain":
                r.problem(f"{where}.code", "an item without a code must have confidence: uncertain", im.line)
        elif not isinstance(code, str) or not CODE_RE.match(code):
            r.problem(f"{where}.code", f"'{code}' is not an item code like O19 or o25", im.line_of("code"))
            code = str(code)
        elif code.upper() in codes:
            r.problem(f"{where}.code", f"{code} already used at line {codes[code.upper()]}", im.line_of("code"))
        else:
            codes[code.upper()] = im.line_of("code")
        concept = r.ident(im, "concept", where)
        if concept and concept in concepts:
            r.problem(f"{where}.concept", f"'{concept}' already used at line {concepts[concept]}",
                      im.line_of("concept"))
        concepts.setdefault(concept, im.line)
        period = im.get("period")
        if period not in PERIOD_RULES:
            r.problem(f"{where}.period", f"must be one of {', '.join(PERIOD_RULES)}",
                      im.line_of("period") if "period" in im else im.line)
        elements: list[ItaElement] = []
        raw_elements = r.seq(im.get("elements"), f"{where}.elements", im.line_of("elements") if "elements" in im
                             else im.line)
        seen: set[str] = set()
        for j, rawe in enumerate(raw_elements):
            ewhere = f"{where}.elements[{j}]"
            em = r.mapping(rawe, ewhere, raw_elements.line_of(j))
            if em is None:
                continue
            r.unknown_keys(em, {"id", "title", "evidence"}, ewhere)
            eid = r.ident(em, "id", ewhere)
            if eid in seen:
                r.problem(f"{ewhere}.id", f"'{eid}' is listed twice", em.line_of("id"))
            seen.add(eid)
            evidence = r.seq(em.get("evidence"), f"{ewhere}.evidence", em.line_of("evidence") if "evidence" in em
                             else em.line)
            for ev in evidence:
                if ev not in EVIDENCE:
                    r.problem(f"{ewhere}.evidence", f"unknown evidence '{ev}' (known: {', '.join(EVIDENCE)})",
                              em.line_of("evidence"))
            elements.append(ItaElement(eid, r.title(em, ewhere), tuple(str(e) for e in evidence)))
        items.append(ItaItem(code if isinstance(code, str) else None, concept, r.title(im, where),
                             str(period), str(confidence), _text(r, im, "source", where), tuple(elements),
                             raw_items.line_of(i)))
    if r.problems:
        raise DefinitionError(r.problems)
    return ItaCatalogue(int(fy), agency, agency_title, source, tuple(items), file)


def is_catalogue_text(text: str) -> bool:
    """Whether a YAML text says ``kind: ita_catalogue`` (to route it to this reader)."""
    return re.search(r"(?m)^kind:\s*['\"]?" + KIND + r"['\"]?\s*(#.*)?$", text) is not None


def check_catalogues(texts: list[tuple[str, str]]) -> list[ItaCatalogue]:
    """Every document checked, and no (fiscal year, agency type) given twice."""
    problems: list[Problem] = []
    out: list[ItaCatalogue] = []
    for name, text in texts:
        try:
            out.append(read_catalogue(text, name))
        except DefinitionError as exc:
            problems.extend(exc.problems)
    seen: dict[tuple[int, str], str] = {}
    for c in out:
        key = (c.fiscal_year, c.agency_type)
        if key in seen:
            problems.append(Problem("fiscal_year", f"{c.fiscal_year}/{c.agency_type} is also given in {seen[key]}",
                                    c.file, None,
                                    f"ปี {c.fiscal_year} ประเภท {c.agency_type} ซ้ำกับไฟล์ {seen[key]}"))
        seen.setdefault(key, c.file or "")
    if problems:
        raise DefinitionError(problems)
    return out


def merge(shipped: list[ItaCatalogue], office: list[ItaCatalogue]) -> list[ItaCatalogue]:
    """The office's own files replace the shipped ones for the same (year, agency type)."""
    own = {(c.fiscal_year, c.agency_type) for c in office}
    return sorted([c for c in shipped if (c.fiscal_year, c.agency_type) not in own] + office,
                  key=lambda c: (c.fiscal_year, c.agency_type))


def catalogue_for(catalogues: list[ItaCatalogue], fiscal_year: int, agency_type: str) -> ItaCatalogue | None:
    """The year's catalogue for the agency type; a later year with none carries the latest earlier
    one (``carried_from`` says so: its codes are a guess until the office adds the year's file)."""
    mine = [c for c in catalogues if c.agency_type == agency_type]
    exact = next((c for c in mine if c.fiscal_year == fiscal_year), None)
    if exact is not None:
        return exact
    earlier = [c for c in mine if c.fiscal_year < fiscal_year]
    if not earlier:
        return None
    last = max(earlier, key=lambda c: c.fiscal_year)
    return ItaCatalogue(fiscal_year, last.agency_type, last.agency_title, last.source, last.items, last.file,
                        carried_from=last.fiscal_year)


def crosswalk(catalogues: list[ItaCatalogue], concept: str) -> list[tuple[int, str, str | None, str]]:
    """(fiscal year, agency type, code, confidence) of one concept across the catalogues, oldest first."""
    rows = []
    for c in sorted(catalogues, key=lambda c: (c.fiscal_year, c.agency_type)):
        item = c.item(concept)
        if item is not None:
            rows.append((c.fiscal_year, c.agency_type, item.code, item.confidence))
    return rows


def valid_agency_type(text: str) -> bool:
    return bool(ID_RE.match(text or ""))
