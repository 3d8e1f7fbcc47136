"""The four ITA elements of a task's year, and what keeps them from being complete.

The NACC's OIT form asks, for participation (การเปิดโอกาสให้เกิดการมีส่วนร่วม),
four elements: (1) the topic, (2) who took part — outsiders among them —, (3)
the results, (4) how the results improved the office's work; from ITA 2567 an
item scores only when every element is there and the activity fell inside the
assessed window. Everything here is read from a process's ledger history (the
record bodies, oldest first): pure, no clock, no I/O.

PDPA: of people only name, position, organisation and whether they come from
outside the office leave this module (with their role in the committee); no
e-mail, no national id, no account names (the ledger's actors never appear).

Rules of reading the history:
- a step sent back (``send_back``) no longer counts: the step it undid is dropped;
- ``next_round`` keeps every earlier meeting: a task may meet several times a year;
- decisions of ``next_round`` and ``close`` together are the opinions decided;
  an opinion adopted (or adopted in part) with its action is an improvement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from workflow.fiscal import fiscal_year_bounds, format_date_be

ELEMENTS = ("topic", "participants", "results", "improvements")
ELEMENT_TITLES = {
    "topic": ("ประเด็นหรือเรื่องที่เปิดโอกาสให้มีส่วนร่วม", "Topic"),
    "participants": ("ผู้มีส่วนร่วม (บุคคลภายนอก)", "Who took part (outsiders)"),
    "results": ("ผลการมีส่วนร่วม", "Results"),
    "improvements": ("การนำผลไปปรับปรุงการดำเนินงาน", "How the results improved the work"),
}
ADOPTED = ("adopt", "adopt_in_part")
# who may mark a task's file public (``attachment.published``): the task's people, or the administrator
PUBLISH_ROLES = ("responsible_officer", "group_director", "deputy_esa_director", "admin")
# the steps whose date is the activity's date, and the evidence field holding it
DATED_STEPS = {"issue_appointment": "date", "record_meeting": "date", "send_report": "date"}
PERIOD_RULES = ("in_year", "first_half", "oct_to_aug")
PERIOD_TITLES = {
    "in_year": ("ภายในปีงบประมาณ (๑ ต.ค. – ๓๐ ก.ย.)", "within the fiscal year (1 Oct – 30 Sep)"),
    "first_half": ("ภายในหกเดือนแรกของปีงบประมาณ (๑ ต.ค. – ๓๑ มี.ค.)", "first six months (1 Oct – 31 Mar)"),
    "oct_to_aug": ("๑ ต.ค. – ๓๑ ส.ค. ของปีงบประมาณ", "1 Oct – 31 Aug of the fiscal year"),
}


@dataclass(frozen=True)
class Participant:
    name: str
    position: str
    organisation: str
    external: bool
    appointed: bool            # named in the appointment order
    attended: int              # meetings attended
    body_role: str | None = None  # chair / member / secretary in the committee

    def as_dict(self) -> dict:
        return {"name": self.name, "position": self.position, "organisation": self.organisation,
                "external": self.external, "appointed": self.appointed, "attended": self.attended,
                "body_role": self.body_role}


@dataclass(frozen=True)
class Improvement:
    opinion: str
    decision: str               # adopt / adopt_in_part
    action: str
    source_is_public: bool      # came through the public form

    def as_dict(self) -> dict:
        return {"opinion": self.opinion, "decision": self.decision, "action": self.action,
                "source_is_public": self.source_is_public}


@dataclass(frozen=True)
class StepDate:
    trigger: str
    date: dt.date | None        # the date the evidence gives (the order's, the meeting's …)
    recorded_at: dt.datetime    # when Ruam recorded the step
    seq: int

    def as_dict(self) -> dict:
        return {"trigger": self.trigger, "date": self.date.isoformat() if self.date else None,
                "recorded_at": self.recorded_at.isoformat(), "seq": self.seq}


@dataclass(frozen=True)
class Meeting:
    date: dt.date | None
    place: str
    agenda: str
    minutes_summary: str
    external_attendees: int
    attendees: int
    seq: int


@dataclass
class Reading:
    """A process's history read into what the ITA elements need (before the engine adds
    documents and the calendar)."""

    topic: str = ""
    topic_from: str = ""        # "close" (the closing summary) or "agenda" (the meetings' agendas)
    participants: list[Participant] = field(default_factory=list)
    results: str = ""
    results_from: str = ""      # "close", or "report" (summaries sent to the appointees)
    improvements: list[Improvement] = field(default_factory=list)
    improvements_text: str = ""  # the closing summary's "how the results improved the work"
    declined: int = 0
    steps: list[StepDate] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    attachments: list[dict] = field(default_factory=list)  # {sha256, name, trigger, seq}
    opinions_received: int = 0
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None


def _instant(text: str) -> dt.datetime:
    """A ledger instant (UTC, 'Z')."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _files(evidence: dict) -> list[dict]:
    out = []
    for item in evidence.get("attachments") or []:
        f = item.get("file") if isinstance(item, dict) else None
        if isinstance(f, dict) and isinstance(f.get("sha256"), str):
            out.append({"sha256": f["sha256"], "name": str(f.get("name") or "")})
    return out


def forward_steps(history: list[dict]) -> list[dict]:
    """The transitions that still count: each ``send_back`` drops the step it undid."""
    kept: list[dict] = []
    for body in history:
        if body.get("kind") != "process.transitioned":
            continue
        data = body.get("data") or {}
        trigger = data.get("trigger")
        if trigger == "send_back":
            if kept:
                kept.pop()
            continue
        if trigger == "cancel":
            continue
        kept.append(body)
    return kept


def read_history(history: list[dict]) -> Reading:
    """The elements' raw material from a process's record bodies (oldest first)."""
    out = Reading()
    moments = [_instant(b["at"]) for b in history if b.get("at")]
    if moments:
        out.first_at, out.last_at = min(moments), max(moments)
    out.opinions_received = sum(1 for b in history if b.get("kind") == "feedback.received")
    public_ids = {(b.get("data") or {}).get("opinion") for b in history if b.get("kind") == "feedback.received"}
    members: list[dict] = []
    proposed: dict[str, dict] = {}
    attended: dict[str, dict] = {}
    agendas, summaries, decisions = [], [], []
    close: dict = {}
    for body in forward_steps(history):
        data = body["data"]
        trigger, ev = data.get("trigger"), data.get("evidence") or {}
        when = _instant(body["at"])
        field_name = DATED_STEPS.get(trigger)
        out.steps.append(StepDate(trigger, _date(ev.get(field_name)) if field_name else None, when, body["seq"]))
        out.attachments += [f | {"trigger": trigger, "seq": body["seq"]} for f in _files(ev)]
        if trigger == "complete_analysis":
            proposed = {p["name"]: p for p in ev.get("proposed_appointees") or [] if isinstance(p, dict)}
        elif trigger == "issue_appointment":
            members = [m for m in ev.get("members") or [] if isinstance(m, dict)]
        elif trigger == "record_meeting":
            people = [a for a in ev.get("attendees") or [] if isinstance(a, dict)]
            for a in people:
                seen = attended.setdefault(a.get("name", ""), {"count": 0} | a)
                seen["count"] += 1
            out.meetings.append(Meeting(_date(ev.get("date")), _text(ev.get("place")), _text(ev.get("agenda")),
                                        _text(ev.get("minutes_summary")), sum(1 for a in people if a.get("external")),
                                        len(people), body["seq"]))
            if _text(ev.get("agenda")):
                agendas.append(_text(ev.get("agenda")))
        elif trigger == "send_report":
            if _text(ev.get("summary")):
                summaries.append(_text(ev.get("summary")))
        elif trigger in ("next_round", "close"):
            decisions += [d for d in ev.get("decisions") or [] if isinstance(d, dict)]
            if trigger == "close":
                close = ev
    # participants: the appointees in the order's order, then anyone else who attended
    by_name: dict[str, Participant] = {}
    for m in members:
        name = _text(m.get("name"))
        a = attended.get(name, {})
        by_name[name] = Participant(name, _text(m.get("position")), _text(m.get("organisation")),
                                    bool(m.get("external")), True, a.get("count", 0), m.get("role"))
    for name, a in attended.items():
        if name in by_name or not name:
            continue
        org = _text((proposed.get(name) or {}).get("organisation"))
        by_name[name] = Participant(name, _text(a.get("position")), org, bool(a.get("external")), False,
                                    a.get("count", 0), None)
    out.participants = list(by_name.values())
    if _text(close.get("topic")):
        out.topic, out.topic_from = _text(close.get("topic")), "close"
    elif agendas:
        out.topic, out.topic_from = "; ".join(dict.fromkeys(agendas)), "agenda"
    if _text(close.get("results")):
        out.results, out.results_from = _text(close.get("results")), "close"
    elif summaries:
        out.results, out.results_from = "; ".join(summaries), "report"
    out.improvements_text = _text(close.get("improvements"))
    for d in decisions:
        if d.get("decision") in ADOPTED and _text(d.get("action_or_reason")):
            out.improvements.append(Improvement(_text(d.get("opinion")), d["decision"],
                                                _text(d.get("action_or_reason")),
                                                d.get("opinion_id") in public_ids and bool(d.get("opinion_id"))))
        elif d.get("decision") == "decline":
            out.declined += 1
    return out


# --------------------------------------------------------------------------- windows
def period_window(fiscal_year: int, rule: str) -> tuple[dt.date, dt.date]:
    """The days (inclusive) an activity must fall in for an item of ``fiscal_year``."""
    first, last = fiscal_year_bounds(fiscal_year)
    if rule == "first_half":
        return first, dt.date(last.year, 3, 31)
    if rule == "oct_to_aug":
        return first, dt.date(last.year, 8, 31)
    if rule == "in_year":
        return first, last
    raise ValueError(f"unknown period rule {rule!r}")


def window_words(window: tuple[dt.date, dt.date]) -> str:
    return f"{format_date_be(window[0])} – {format_date_be(window[1])}"


# --------------------------------------------------------------------------- completeness
@dataclass(frozen=True)
class Gap:
    """One thing missing from a task's evidence, in words, with the step that fixes it."""

    code: str            # no_outsider, outside_window, no_topic, no_result, no_improvement, not_published, ...
    element: str         # topic / participants / results / improvements / documents / dates
    th: str
    en: str
    fix: str             # a trigger of the procedure, "attachments", "documents" or "process"
    blocking: bool = True

    def as_dict(self) -> dict:
        return {"code": self.code, "element": self.element, "th": self.th, "en": self.en, "fix": self.fix,
                "blocking": self.blocking}


def element_gaps(r: Reading, window: tuple[dt.date, dt.date], step_titles: dict[str, str] | None = None
                 ) -> list[Gap]:
    """What keeps the four elements from being complete for an activity in ``window``."""
    titles = step_titles or {}
    words = window_words(window)
    gaps: list[Gap] = []
    if not r.topic:
        gaps.append(Gap("no_topic", "topic", "ยังไม่มีประเด็นที่ให้มีส่วนร่วม (ยังไม่ได้บันทึกการประชุมหรือสรุปผล)",
                        "no topic yet (no meeting or closing summary recorded)", "record_meeting"))
    inside = [m for m in r.meetings if m.date and window[0] <= m.date <= window[1]]
    outside = [m for m in r.meetings if m.date and not window[0] <= m.date <= window[1]]
    if not r.meetings:
        gaps.append(Gap("no_activity", "participants", "ยังไม่มีการประชุม/ดำเนินงานร่วมกับผู้มีส่วนได้ส่วนเสีย",
                        "no meeting or joint work recorded", "record_meeting"))
    elif not any(m.external_attendees for m in inside):
        if inside:
            gaps.append(Gap("no_outsider", "participants",
                            f"ไม่มีกิจกรรมที่มีบุคคลภายนอกเข้าร่วมในช่วง {words}",
                            f"no activity with an outsider between {window[0]} and {window[1]}", "record_meeting"))
        else:
            gaps.append(Gap("activity_outside_window", "participants",
                            f"การประชุมทุกครั้งอยู่นอกช่วงที่ประเมิน ({words})",
                            f"every meeting falls outside the assessed window ({window[0]} – {window[1]})",
                            "record_meeting"))
    for m in outside:
        gaps.append(Gap("outside_window", "dates",
                        f"{titles.get('record_meeting', 'การประชุม')} ลงวันที่ {format_date_be(m.date)} "
                        f"อยู่นอกช่วง {words}",
                        f"the meeting of {m.date} is outside {window[0]} – {window[1]}", "record_meeting",
                        blocking=bool(not inside)))
    for s in r.steps:
        if s.trigger != "record_meeting" and s.date and not window[0] <= s.date <= window[1]:
            gaps.append(Gap("outside_window", "dates",
                            f"{titles.get(s.trigger, s.trigger)} ลงวันที่ {format_date_be(s.date)} อยู่นอกช่วง {words}",
                            f"{s.trigger} dated {s.date} is outside {window[0]} – {window[1]}", s.trigger,
                            blocking=False))
    if not r.results:
        gaps.append(Gap("no_result", "results", "ยังไม่มีผลการมีส่วนร่วม (ยังไม่ได้ส่งสรุปผลหรือปิดรอบ)",
                        "no results yet (no summary sent, no closing summary)", "send_report"))
    if not r.improvements and not r.improvements_text:
        gaps.append(Gap("no_improvement", "improvements",
                        "ยังไม่มีการนำผลไปปรับปรุงงาน (ไม่มีความคิดเห็นที่นำไปปรับปรุงและยังไม่ได้สรุปการปรับปรุง)",
                        "no improvement yet (no opinion adopted, no closing summary of improvements)", "close"))
    return gaps


def complete_elements(gaps: list[Gap]) -> dict[str, bool]:
    """Each of the four elements: complete unless a blocking gap names it."""
    blocked = {g.element for g in gaps if g.blocking}
    if any(g.element == "dates" and g.blocking for g in gaps):
        blocked.add("participants")
    return {e: e not in blocked for e in ELEMENTS}
