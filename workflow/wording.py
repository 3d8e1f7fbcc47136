"""The documents' wording as a definition (kind ``documents``): per document kind its
parts in the order of the ระเบียบงานสารบรรณ, each a role and sentences that are
templates over named facts.

The template language is the smallest that does the job: ``{name}`` is replaced
by the fact ``name`` and ``{{``/``}}`` stand for braces; nothing else (no
attributes, indexes, conversions or format specs), so a wording file can never
reach into Python objects. Every placeholder is checked when the file is read
(``ruam definitions check``): a name the document kind does not provide is a
problem naming the file, line and field. ``workflow.documents`` fills them.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

from workflow.definitions import Title

# --------------------------------------------------------------------------- the facts each kind provides

COMMON = ("office_name", "office_address", "letter_code", "telephone", "email", "contact_unit",
          "task_title", "group_title", "fiscal_year", "signer_name", "signer_position", "director_position",
          "subject")
_ORDER_REF = ("order_word", "order_number", "order_date", "body_title", "order_subject")
FACTS: dict[str, tuple[str, ...]] = {
    "appointment": ("doc_word", "issued_word", "number", "date", "body_title", "subject", "legal_basis_text",
                    "analysis_summary", "members_count"),
    "letter": ("number", "date", "subject", "addressee_name", "addressee_position", "addressee_organisation",
               "addressee", "duty", "channel", *_ORDER_REF),
    "minutes": ("meeting_no", "date", "place", "minute_taker", "minutes_summary", "present_count",
                "absent_count", "chair_name", *_ORDER_REF),
    "report": ("number", "date", "subject", "report_kind_title", "summary", "meeting_date", "recipients_count",
               *_ORDER_REF),
    "semiannual_memo": ("number", "date", "subject", "round_title", "period", "summary", "reporter_name",
                        "reporter_position", "item_title"),
    "checkpoint_record": ("number", "date", "subject", "item_title", "round_title", "held_on", "subject_title",
                          "findings", "advice", "recorder_name", "recorder_position"),
}
# the lists a part may repeat over (``each``), and the facts of one item
EACH: dict[str, dict[str, tuple[str, ...]]] = {
    "appointment": {"members": ("no", "name", "position", "organisation", "duty"),
                    "legal_bases": ("no", "title", "section")},
    "letter": {},
    "minutes": {"present": ("no", "name", "position", "duty"), "absent": ("no", "name", "position", "duty"),
                "guests": ("no", "name", "position"), "agenda": ("no", "text")},
    "report": {"recipients": ("no", "name")},
    "semiannual_memo": {"steps": ("no", "title", "date")},
    "checkpoint_record": {"tasks": ("no", "task_title", "findings", "advice")},
}
KINDS = tuple(FACTS)
LAYOUTS = ("order", "letter", "memo", "minutes")
# what a part is (how the DOCX lays it out): see engine.documents.docx
ROLES = ("garuda", "title", "center", "header", "number_address", "date_line", "label", "body", "clause",
         "item", "closing", "signature", "contact", "blank")


@dataclass(frozen=True)
class Part:
    role: str
    text: str = ""
    label: str = ""
    right: str = ""             # number_address: the office's address block (lines)
    label2: str = ""            # header: a second label and value on the same line (ที่ … วันที่ …)
    text2: str = ""
    lines: tuple[str, ...] = ()  # signature, contact: one template per line
    each: str = ""              # repeat over a list of the kind
    when: str = ""              # only when this fact (or list) is not empty


@dataclass(frozen=True)
class DocumentKind:
    kind: str
    title: Title
    layout: str
    subject: str  # the เรื่อง, a template (the fact ``subject``; later kinds see the order's as ``order_subject``)
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Wording:
    id: str
    title: Title
    kinds: tuple[DocumentKind, ...]
    version: str
    content: dict = field(compare=False, hash=False, repr=False)

    kind = "documents"

    def of(self, kind: str) -> DocumentKind | None:
        return next((k for k in self.kinds if k.kind == kind), None)


# --------------------------------------------------------------------------- templates

class TemplateError(ValueError):
    def __init__(self, message: str, th: str) -> None:
        super().__init__(message)
        self.th = th


def placeholders(template: str) -> list[str]:
    """The names a template uses; ``TemplateError`` for anything but ``{name}``."""
    names = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"not a valid template ({exc}); write braces as {{{{ and }}}}",
                            f"แม่แบบไม่ถูกต้อง ({exc}) วงเล็บปีกกาให้เขียน {{{{ และ }}}}") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise TemplateError(f"'{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}' "
                                "is not a placeholder: write {name} only",
                                f"'{{{name}}}' ไม่ใช่ตัวแทนข้อมูล ให้เขียนเป็น {{ชื่อ}} เท่านั้น")
        names.append(name)
    return names


def fill(template: str, facts: dict[str, str]) -> str:
    """The template with each ``{name}`` replaced (checked names only; a missing fact is empty)."""
    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(str(facts.get(name, "")))
    return "".join(out)


# --------------------------------------------------------------------------- the reader's builder

_PART_KEYS = {"role", "text", "label", "right", "label2", "text2", "lines", "each", "when"}


def read_wording(r: Any, m: Any) -> dict:
    """Build a ``Wording`` from a checked ``kind: documents`` mapping (``r`` is the reader's collector)."""
    r.unknown_keys(m, {"kind", "id", "title", "documents", "description"}, "")
    wid = r.ident(m, "id", "")
    title = r.title(m, "")
    kinds: list[DocumentKind] = []
    raw = r.seq(m.get("documents"), "documents", m.line_of("documents"))
    for i, item in enumerate(raw):
        dm = r.mapping(item, f"documents[{i}]", raw.line_of(i))
        if dm is None:
            continue
        r.unknown_keys(dm, {"kind", "title", "layout", "subject", "parts"}, f"documents[{i}]")
        kind = dm.get("kind")
        where = f"documents.{kind}"
        if kind not in FACTS:
            r.problem(f"documents[{i}].kind", f"unknown document kind '{kind}' (expected one of: {', '.join(KINDS)})",
                      dm.line_of("kind"), f"ไม่รู้จักประเภทเอกสาร '{kind}' (ที่มี: {', '.join(KINDS)})")
            continue
        if any(k.kind == kind for k in kinds):
            r.problem(where, "this kind is worded twice", dm.line, "ประเภทเอกสารนี้ซ้ำ")
        layout = dm.get("layout")
        if layout not in LAYOUTS:
            r.problem(f"{where}.layout", f"must be one of {', '.join(LAYOUTS)}", dm.line_of("layout"),
                      f"ต้องเป็นหนึ่งใน {', '.join(LAYOUTS)}")
        subject = dm.get("subject", "")
        if not isinstance(subject, str):
            r.problem(f"{where}.subject", "must be text", dm.line_of("subject"), "ต้องเป็นข้อความ")
            subject = ""
        _check(r, subject, (set(COMMON) | set(FACTS[str(kind)])) - {"subject"}, f"{where}.subject",
               dm.line_of("subject"), str(kind))
        parts = _parts(r, dm, str(kind), where)
        kinds.append(DocumentKind(str(kind), r.title(dm, where), str(layout), subject, tuple(parts)))
    return {"id": wid, "title": title, "kinds": tuple(kinds)}


def _parts(r: Any, dm: Any, kind: str, where: str) -> list[Part]:
    out = []
    raw = r.seq(dm.get("parts"), f"{where}.parts", dm.line_of("parts"))
    for j, item in enumerate(raw):
        w = f"{where}.parts[{j}]"
        pm = r.mapping(item, w, raw.line_of(j))
        if pm is None:
            continue
        r.unknown_keys(pm, _PART_KEYS, w)
        role = pm.get("role")
        if role not in ROLES:
            r.problem(f"{w}.role", f"unknown role '{role}' (expected one of: {', '.join(ROLES)})", pm.line_of("role"),
                      f"ไม่รู้จักบทบาท '{role}' (ที่มี: {', '.join(ROLES)})")
        each = pm.get("each") or ""
        lists = EACH[kind]
        if each and each not in lists:
            r.problem(f"{w}.each", f"'{each}' is not a list of {kind} (it has: {', '.join(lists) or 'none'})",
                      pm.line_of("each"), f"'{each}' ไม่ใช่รายการของเอกสารนี้ (ที่มี: {', '.join(lists) or 'ไม่มี'})")
            each = ""
        known = set(COMMON) | set(FACTS[kind]) | (set(lists[each]) if each else set())
        when = pm.get("when") or ""
        if when and when not in known and when not in lists:
            r.problem(f"{w}.when", f"unknown fact '{when}'", pm.line_of("when"), f"ไม่รู้จักข้อมูล '{when}'")
        texts: dict[str, Any] = {}
        for key in ("text", "label", "right", "label2", "text2"):
            value = pm.get(key, "")
            if not isinstance(value, str):
                r.problem(f"{w}.{key}", "must be text", pm.line_of(key), "ต้องเป็นข้อความ")
                value = ""
            _check(r, value, known, f"{w}.{key}", pm.line_of(key), kind)
            texts[key] = value
        lines = pm.get("lines") or []
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            r.problem(f"{w}.lines", "must be a list of text lines", pm.line_of("lines"), "ต้องเป็นรายการข้อความ")
            lines = []
        for k, line in enumerate(lines):
            _check(r, line, known, f"{w}.lines[{k}]", pm.line_of("lines"), kind)
        out.append(Part(str(role), texts["text"], texts["label"], texts["right"], texts["label2"], texts["text2"],
                        tuple(lines), str(each), str(when)))
    return out


def _check(r: Any, template: str, known: set[str], where: str, line: int, kind: str) -> None:
    try:
        names = placeholders(template)
    except TemplateError as exc:
        r.problem(where, str(exc), line, exc.th)
        return
    for name in names:
        if name not in known:
            r.problem(where, f"unknown placeholder {{{name}}} for {kind} (known: {', '.join(sorted(known))})",
                      line, f"ไม่รู้จักตัวแทนข้อมูล {{{name}}} ในเอกสารประเภทนี้ (ที่มี: {', '.join(sorted(known))})")
