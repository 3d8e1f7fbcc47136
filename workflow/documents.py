"""The office's documents as a model: paragraphs with roles, built from the evidence the
ledger holds, the organization's letterhead and the wording definition (pure, no I/O).

``build(kind, Sources, member=…)`` → ``DocumentModel``. Every number and date is
written in Thai digits (U+0E50–0E59), years in BE; an order's or announcement's
date says "พ.ศ." (``สั่ง ณ วันที่ ๕ มกราคม พ.ศ. ๒๕๗๐``), a letter's and a memo's
does not (``๕ มกราคม ๒๕๗๐``). Codes and addresses that need Arabic (e-mail,
URLs) are left as typed. ``engine.documents.docx`` lays the model out.

Where the evidence is silent the document keeps the secretary's blank: a letter
number not yet given prints as the office's letter code and a slash ("ที่ ศธ ๐๔๐๐๐/")
for the hand to fill in, a signer not in the letterhead prints a blank name line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from workflow.definitions import Letterhead, Organization, Procedure
from workflow.errors import RuamError
from workflow.fiscal import BE_OFFSET, THAI_MONTHS, fiscal_year_bounds, parse_date, to_thai_digits
from workflow.wording import DocumentKind, Wording, fill

KIND_TRIGGER = {"appointment": "issue_appointment", "letter": "send_notifications", "minutes": "record_meeting",
                "report": "send_report"}
DUTY = {"committee": {"chair": "ประธานกรรมการ", "member": "กรรมการ", "secretary": "กรรมการและเลขานุการ"},
        "working_group": {"chair": "ประธานคณะทำงาน", "member": "คณะทำงาน", "secretary": "คณะทำงานและเลขานุการ"}}
BODY = {"committee": "คณะกรรมการ", "working_group": "คณะทำงาน"}
DOC_WORD = {"order": ("คำสั่ง", "สั่ง"), "announcement": ("ประกาศ", "ประกาศ")}
REPORT_KIND = {"minutes": "รายงานการประชุม", "summary": "สรุปผลการดำเนินงาน"}
BLANK_NAME = "\u00a0" * 40  # a signature's name line left for the hand


class DocumentUnavailable(RuamError):
    """The document cannot be made (yet): the step that gives its facts is not recorded, or no such copy."""

    code = "document_unavailable"
    http_status = 404


@dataclass(frozen=True)
class Para:
    role: str
    text: str = ""
    label: str = ""
    label2: str = ""
    text2: str = ""
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentModel:
    kind: str
    layout: str
    title: str        # the kind's Thai title (what the lists show)
    subject: str
    number: str       # as printed (Thai digits), "" when none was given
    date: str         # ISO date of the document, "" when none
    paragraphs: tuple[Para, ...]
    fields: dict = field(default_factory=dict, compare=False)  # the number/date facts as printed (tests look)


@dataclass(frozen=True)
class Sources:
    """What a document is built from (``engine.documents.service`` gathers it)."""

    wording: Wording
    organization: Organization
    procedure: Procedure
    fiscal_year: int
    task_id: str
    steps: dict                                  # trigger -> evidence of its latest firing (drafts override)
    history: tuple = ()                          # ({trigger, at(ISO), evidence}, …) of the process, oldest first
    people: dict = field(default_factory=dict)   # person id -> {"name", "position"}
    calendar_record: dict | None = None          # the semiannual report / checkpoint record for those kinds
    meeting_no: int = 1


# --------------------------------------------------------------------------- Thai dates and numbers

def as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        try:
            return parse_date(str(value))
        except ValueError:
            return None


def thai_date(value: Any, *, be_word: bool = False) -> str:
    """``๕ มกราคม ๒๕๗๐`` (``๕ มกราคม พ.ศ. ๒๕๗๐`` with ``be_word``); "" for no date."""
    day = as_date(value)
    if day is None:
        return ""
    year = f"พ.ศ. {day.year + BE_OFFSET}" if be_word else str(day.year + BE_OFFSET)
    return to_thai_digits(f"{day.day} {THAI_MONTHS[day.month - 1]} {year}")


def thai_number(text: Any) -> str:
    return to_thai_digits(" ".join(str(text or "").split()))


def _lines(text: Any) -> list[str]:
    return [" ".join(x.split()) for x in str(text or "").splitlines() if x.strip()]


# --------------------------------------------------------------------------- facts

def _common(src: Sources, kind: DocumentKind) -> dict[str, str]:
    org = src.organization
    lh = org.letterhead or Letterhead("", "", "", "", "", "", ())
    task = org.task(src.task_id)
    group = org.mission_group(task.mission_group) if task else None
    signer = lh.signer_of(kind.kind)
    director = lh.signer_of("appointment")
    return {
        "office_name": lh.office_name or org.title.th, "office_address": lh.address,
        "letter_code": thai_number(lh.letter_code), "telephone": thai_number(lh.telephone), "email": lh.email,
        "contact_unit": lh.contact_unit, "task_title": task.title.th if task else src.task_id,
        "group_title": group.title.th if group else "", "fiscal_year": to_thai_digits(str(src.fiscal_year)),
        "signer_name": signer.name if signer else BLANK_NAME, "signer_position": signer.position if signer else "",
        "director_position": director.position if director else "",
    }


def _order(src: Sources) -> dict:
    return src.steps.get("issue_appointment") or {}


def _order_facts(src: Sources) -> dict[str, str]:
    order = _order(src)
    word = DOC_WORD.get(order.get("document_kind", "order"), DOC_WORD["order"])
    facts = {"order_word": word[0], "order_number": thai_number(order.get("number")),
             "order_date": thai_date(order.get("date")), "body_title": BODY.get(order.get("body", "committee"), "")}
    appointment = src.wording.of("appointment")
    if appointment is not None:
        facts["order_subject"] = fill(appointment.subject, {**_common(src, appointment), **facts})
    return facts


def _duty(order: dict, role: Any) -> str:
    return DUTY.get(order.get("body", "committee"), DUTY["committee"]).get(str(role), "")


def _members(order: dict) -> list[dict]:
    return [m for m in order.get("members") or [] if isinstance(m, dict)]


def _person(src: Sources, person_id: Any) -> tuple[str, str]:
    p = src.people.get(person_id) or {}
    return str(p.get("name") or BLANK_NAME), str(p.get("position") or "")


def _numbered(items: list[dict]) -> list[dict]:
    return [{**item, "no": to_thai_digits(str(i))} for i, item in enumerate(items, 1)]


def _blank_number(src: Sources) -> str:
    lh = src.organization.letterhead
    return f"{thai_number(lh.letter_code)}/" if lh else ""


def _appointment(src: Sources, member: int | None) -> tuple[dict, dict]:
    order = _order(src)
    word = DOC_WORD.get(order.get("document_kind", "order"), DOC_WORD["order"])
    analysis = src.steps.get("complete_analysis") or {}
    bases = [b for b in analysis.get("legal_bases") or [] if isinstance(b, dict)]
    basis = " และ".join(" ".join(x for x in (str(b.get("title", "")).strip(), str(b.get("section") or "").strip())
                                 if x) for b in bases)
    members = [{"name": m.get("name", ""), "position": m.get("position", ""),
                "organisation": m.get("organisation", ""), "duty": _duty(order, m.get("role"))}
               for m in _ordered_members(order)]
    facts = {"doc_word": word[0], "issued_word": word[1], "number": thai_number(order.get("number")),
             "date": thai_date(order.get("date"), be_word=True), "body_title": BODY.get(order.get("body"), ""),
             "legal_basis_text": thai_number(basis), "analysis_summary": str(analysis.get("summary", "")),
             "members_count": to_thai_digits(str(len(members))), "iso_date": order.get("date")}
    signed_by = " ".join(str(order.get("signed_by") or "").split())
    lh = src.organization.letterhead
    if signed_by and lh is not None:
        named = next((s for s in lh.signers if signed_by in (s.position, s.name, s.id)), None)
        if named is None:  # a position the letterhead does not know: print it under a blank name line
            facts.update(signer_name=BLANK_NAME, signer_position=signed_by)
    lists = {"members": _numbered(members),
             "legal_bases": _numbered([{"title": b.get("title", ""), "section": b.get("section", "")} for b in bases])}
    return facts, lists


def _ordered_members(order: dict) -> list[dict]:
    """The chair first, the members, the secretary last (as an order lists them)."""
    rank = {"chair": 0, "member": 1, "secretary": 2}
    return sorted(_members(order), key=lambda m: rank.get(str(m.get("role")), 1))


def _letter(src: Sources, member: int | None) -> tuple[dict, dict]:
    letters = [x for x in (src.steps.get("send_notifications") or {}).get("letters") or [] if isinstance(x, dict)]
    index = (member or 1) - 1
    if not 0 <= index < len(letters):
        raise DocumentUnavailable(f"there is no letter {member or 1} (the step recorded {len(letters)})",
                                  f"ไม่มีหนังสือแจ้งฉบับที่ {to_thai_digits(str(member or 1))} "
                                  f"(บันทึกไว้ {to_thai_digits(str(len(letters)))} ฉบับ)")
    letter = letters[index]
    order = _order(src)
    who = next((m for m in _members(order) if m.get("name") == letter.get("member")), {})
    name = str(letter.get("member", ""))
    facts = {**_order_facts(src), "number": thai_number(letter.get("number")), "date": thai_date(letter.get("date")),
             "addressee_name": name, "addressee_position": str(who.get("position", "")),
             "addressee_organisation": str(who.get("organisation", "")), "addressee": name,
             "duty": _duty(order, who.get("role")) or "ผู้ได้รับแต่งตั้ง", "channel": str(letter.get("channel", "")),
             "iso_date": letter.get("date")}
    return facts, {}


def _minutes(src: Sources, member: int | None) -> tuple[dict, dict]:
    meeting = src.steps.get("record_meeting") or {}
    order = _order(src)
    attendees = [a for a in meeting.get("attendees") or [] if isinstance(a, dict)]
    came = {str(a.get("name", "")).strip() for a in attendees}
    members = _ordered_members(order)
    member_names = {str(m.get("name", "")).strip() for m in members}

    def row(m: dict) -> dict:
        return {"name": m.get("name", ""), "position": " ".join(x for x in (str(m.get("position", "")),
                str(m.get("organisation", ""))) if x), "duty": _duty(order, m.get("role"))}

    present = [row(m) for m in members if str(m.get("name", "")).strip() in came]
    absent = [row(m) for m in members if str(m.get("name", "")).strip() not in came]
    guests = [{"name": a.get("name", ""), "position": a.get("position") or ""} for a in attendees
              if str(a.get("name", "")).strip() not in member_names]
    agenda = [re.sub(r"^(ระเบียบวาระที่|วาระที่)?\s*[0-9๐-๙]+[.)]?\s*", "", x) or x for x in _lines(meeting.get("agenda"))]
    chair = next((m["name"] for m in members if m.get("role") == "chair" and m.get("name", "").strip() in came), "")
    facts = {**_order_facts(src), "meeting_no": to_thai_digits(f"{src.meeting_no}/{src.fiscal_year}"),
             "date": thai_date(meeting.get("date")), "place": str(meeting.get("place", "")),
             "minute_taker": str(meeting.get("minute_taker", "")), "minutes_summary": str(meeting.get("minutes_summary", "")),
             "present_count": to_thai_digits(str(len(present))), "absent_count": to_thai_digits(str(len(absent))),
             "chair_name": chair, "iso_date": meeting.get("date")}
    return facts, {"present": _numbered(present), "absent": _numbered(absent), "guests": _numbered(guests),
                   "agenda": _numbered([{"text": x} for x in agenda])}


def _report(src: Sources, member: int | None) -> tuple[dict, dict]:
    sent = src.steps.get("send_report") or {}
    recipients = [{"name": r.get("name", "")} for r in sent.get("recipients") or [] if isinstance(r, dict)]
    facts = {**_order_facts(src), "number": _blank_number(src), "date": thai_date(sent.get("date")),
             "report_kind_title": REPORT_KIND.get(sent.get("report_kind"), ""), "summary": str(sent.get("summary", "")),
             "meeting_date": thai_date((src.steps.get("record_meeting") or {}).get("date")),
             "recipients_count": to_thai_digits(str(len(recipients))), "iso_date": sent.get("date")}
    return facts, {"recipients": _numbered(recipients)}


def _calendar_record(src: Sources) -> dict:
    if not src.calendar_record:
        raise DocumentUnavailable("nothing of the calendar is recorded for this document yet",
                                  "ยังไม่มีการบันทึกรายงานหรือผลการกำกับติดตามสำหรับเอกสารนี้")
    return src.calendar_record


def _semiannual(src: Sources, member: int | None) -> tuple[dict, dict]:
    rec = _calendar_record(src)
    ev = rec.get("evidence") or {}
    first, last = fiscal_year_bounds(src.fiscal_year)
    due = as_date(rec.get("due_on")) or last
    steps = []
    for h in src.history:
        day = as_date((h.get("evidence") or {}).get("date")) or as_date(h.get("at"))
        if h.get("trigger") in src.procedure.triggers() and day and first <= day <= due and h.get("kind") == "advance":
            steps.append({"title": src.procedure.trigger_title(h["trigger"]).th, "date": thai_date(day)})
    name, position = _person(src, rec.get("actor"))
    facts = {"number": thai_number(ev.get("document")) or _blank_number(src), "date": thai_date(rec.get("at")),
             "round_title": str(rec.get("round_title", "")), "item_title": str(rec.get("item_title", "")),
             "period": f"{thai_date(first)} ถึงวันที่ {thai_date(due)}", "summary": str(ev.get("summary", "")),
             "reporter_name": name, "reporter_position": position, "signer_name": name, "signer_position": position,
             "iso_date": rec.get("at")}
    return facts, {"steps": _numbered(steps)}


def _checkpoint(src: Sources, member: int | None) -> tuple[dict, dict]:
    rec = _calendar_record(src)
    ev = rec.get("evidence") or {}
    org = src.organization
    tasks = [t for t in ev.get("tasks") or [] if isinstance(t, dict) and t.get("task") == src.task_id]
    rows = [{"task_title": (org.task(t["task"]).title.th if org.task(t["task"]) else t["task"]),
             "findings": t.get("findings", ""), "advice": t.get("advice", "")} for t in tasks]
    name, position = _person(src, rec.get("actor"))
    facts = {"number": _blank_number(src), "date": thai_date(rec.get("at")),
             "item_title": str(rec.get("item_title", "")), "round_title": str(rec.get("round_title", "")),
             "held_on": thai_date(ev.get("held_on") or rec.get("at")), "subject_title": str(rec.get("subject_title", "")),
             "findings": str(ev.get("findings", "")), "advice": str(ev.get("advice", "")),
             "recorder_name": name, "recorder_position": position, "signer_name": name, "signer_position": position,
             "iso_date": rec.get("at")}
    return facts, {"tasks": _numbered(rows)}


_BUILDERS = {"appointment": _appointment, "letter": _letter, "minutes": _minutes, "report": _report,
             "semiannual_memo": _semiannual, "checkpoint_record": _checkpoint}
KINDS = tuple(_BUILDERS)


# --------------------------------------------------------------------------- the model

def build(kind: str, src: Sources, member: int | None = None) -> DocumentModel:
    """The document of ``kind`` from ``src`` (``member``: which letter, counted from 1)."""
    wording = src.wording.of(kind)
    if wording is None or kind not in _BUILDERS:
        raise DocumentUnavailable(f"no document kind '{kind}' (known: {', '.join(KINDS)})",
                                  f"ไม่รู้จักประเภทเอกสารนี้ (รหัส {', '.join(KINDS)})")
    if kind in KIND_TRIGGER and not src.steps.get(KIND_TRIGGER[kind]):
        step = src.procedure.trigger_title(KIND_TRIGGER[kind])
        raise DocumentUnavailable(f"the step '{step.en}' is not recorded yet",
                                  f"ยังไม่ได้บันทึกขั้นตอน “{step.th}”")
    own, lists = _BUILDERS[kind](src, member)
    day = as_date(own.pop("iso_date", None))
    iso = day.isoformat() if day else ""
    facts = {**_common(src, wording), **own}
    facts["subject"] = fill(wording.subject, facts)
    paragraphs: list[Para] = []
    for part in wording.parts:
        if part.when and not (lists.get(part.when) or facts.get(part.when)):
            continue
        items = lists.get(part.each, []) if part.each else [{}]
        for item in items:
            f = {**facts, **{k: str(v) for k, v in item.items()}}
            paragraphs.extend(_paras(part, f))
    number = facts.get("number", "")
    return DocumentModel(kind=kind, layout=wording.layout, title=wording.title.th, subject=facts["subject"],
                         number=number if number != _blank_number(src) else "", date=iso,
                         paragraphs=tuple(paragraphs),
                         fields={k: facts[k] for k in ("number", "date", "order_number", "order_date", "meeting_date",
                                                        "held_on", "fiscal_year", "meeting_no") if facts.get(k)})


def _paras(part, f: dict) -> list[Para]:
    if part.role in ("signature", "contact"):
        return [Para(part.role, lines=tuple(fill(x, f) for x in part.lines))]
    if part.lines:  # one paragraph per line template (a clause with its sub-lines)
        return [Para(part.role, text=fill(x, f)) for x in part.lines]
    text = fill(part.text, f)
    if part.role in ("body", "clause") and "\n" in text:  # a multi-line fact: one paragraph per line
        return [Para(part.role, text=x, label=fill(part.label, f)) for x in _lines(text)]
    return [Para(part.role, text=text, label=fill(part.label, f), label2=fill(part.label2, f),
                 text2=fill(part.right or part.text2, f))]
