"""The calendar's rules, checked by the audit: ``CalendarExtension`` folds
``calendar.*`` records (through ``CalendarFold``) and checks each against the
calendar definition in force and against what each tick had to do.

One class holding one rule set and the state its checks share: at about 560
lines it stays one module, so that each rule is read beside the state it reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workflow.calendar.fold import (
    PER_TH,
    CalendarFold,
    Msg,
    at_bangkok,
    at_bangkok_th,
    audit_record,
    kind_th,
    not_in_force,
    wrong_due_on,
    wrong_item_id,
    wrong_responsible,
)
from workflow.calendar.schedule import (
    OFFICE,
    OPEN,
    Occurrence,
    fiscal_year_of,
    item_id,
    not_applicable_at_start,
    occurrence,
    occurrences,
    reminder_plan,
    responsible_moment,
    status_title,
    subjects,
)
from workflow.definitions import Calendar, CalendarItemSpec, Organization
from workflow.ledger import Record, format_instant, parse_instant
from workflow.replay import Fold, FoldExtension

_CHECKED_CLOSINGS = ("calendar.item_opened", "calendar.report_submitted", "calendar.checkpoint_recorded",
                     "calendar.extra_round_recorded")
_CREATIONS = ("calendar.item_opened", "calendar.item_not_applicable")
_CLOSINGS = {"calendar.report_submitted": "report", "calendar.checkpoint_recorded": "checkpoint"}
_CLOSINGS_TH = {"calendar.report_submitted": "การส่งรายงาน", "calendar.checkpoint_recorded": "บันทึกผลการนิเทศ"}
# what one tick writes, all stamped with the tick's one ``now`` and appended in one transaction
_TICK_KINDS = frozenset({"calendar.started", *_CREATIONS, "calendar.reminder_queued", "calendar.item_overdue"})
_KNOWN = _TICK_KINDS | set(_CLOSINGS) | {"calendar.extra_round_recorded"}
SYSTEM_ACTOR = "system"


@dataclass(slots=True)
class _Facts:
    """What the rules remember of one created item (memory: one of these per item)."""

    spec: CalendarItemSpec | None   # from the calendar version the item was created under
    occ: Occurrence | None          # its computed window (None: not a scheduled round, or an extra one)
    created_at: str
    named: str | None               # the first person named responsible when it opened
    next_duty: dt.datetime | None = None  # cache: from when a tick owes it a reminder or the overdue flag


@dataclass(slots=True)
class _Schedule:
    """The occurrences of one fiscal year under one (calendar, organization) not yet required, latest
    opening first: a check up to an instant pops from the end, so each is looked at once."""

    key: tuple[str, str]
    pending: list[Occurrence]


@dataclass(slots=True)
class _Run:
    """The records of one tick so far (same instant, contiguous): its duties are checked when it ends."""

    rec: Record
    moment: dt.datetime
    calendar: str | None
    organization: str | None


class CalendarExtension(FoldExtension):
    """Folds ``calendar.*`` records for the audit.

    Besides the item states and who was named and who closed each item
    (``authority``), every record is checked against the calendar definition
    in force (``calendar`` findings): an item's fiscal year, item, round and
    subject exist in the calendar and organization it names, which were the
    active ones; its window dates are the computed ones; it was created no
    earlier than its window opens, by the tick, after the calendar started, and
    as not applicable exactly when it was due before the start; reminders follow
    ``reminder_plan``; an overdue flag comes after the due day; closings come
    after the opening, once, with the right ``late`` flag. At the end of each
    tick (the next calendar record with another time, or the end of the ledger)
    whatever that tick had to do by its instant must have been done: every
    occurrence whose window had opened exists, every open item past due is
    flagged, every reminder due is queued. ``finish`` also names the items that
    should exist by the last record's time. Memory grows with the number of
    items, never with records; ``Fold.processes`` is not used.
    """

    name = "calendar"
    prefixes = ("calendar.",)

    def __init__(self) -> None:
        self.state = CalendarFold()
        self.facts: dict[str, _Facts] = {}
        self._open: set[str] = set()          # open and not flagged overdue: what a tick still owes
        self._missing: set[str] = set()       # occurrences already reported missing
        self._missed: set[tuple[str, int | None]] = set()  # reminders (days) / overdue flags (None) reported
        self._extras: dict[tuple[int, str], int] = {}
        self._schedules: dict[int, _Schedule] = {}
        self._subjects: dict[tuple[str, str], frozenset[str]] = {}
        self._run: _Run | None = None
        self._tick_definitions: tuple[str | None, str | None] | None = None  # (calendar, organization) of the last tick
        self._started: dt.datetime | None = None
        self._started_fy: int | None = None

    # -- the fold ------------------------------------------------------------------------
    def apply(self, fold: Fold, rec) -> None:
        kind = rec.kind
        if kind not in _KNOWN:
            fold.unchecked[kind] += 1  # a calendar kind this version does not know: counted, not judged
            return
        if self._run is not None and (rec.at != self._run.rec.at or kind not in _TICK_KINDS):
            self._end_run(fold)
        moment = rec.moment
        data = rec.data
        iid = data.get("item_id")
        facts: _Facts | None = None
        if kind == "calendar.started":
            self._check_start(fold, rec, moment, data)
        elif kind in _CREATIONS:
            facts = self._check_creation(fold, rec, moment, data)
        elif kind == "calendar.extra_round_recorded":
            facts = self._check_extra(fold, rec, moment, data)
        elif kind == "calendar.reminder_queued":
            self._check_reminder(fold, rec, moment, data)
        elif kind == "calendar.item_overdue":
            self._check_overdue(fold, rec, moment, data)
        else:
            self._check_closing(fold, rec, moment, data)
        before = len(self.state.problems)
        self.state.apply(kind, rec.seq, rec.at, rec.actor, data)
        for _seq, message in self.state.problems[before:]:
            fold.finding("calendar", rec, message.en, message.th)
        if kind == "calendar.started" and before == len(self.state.problems):
            self._started, self._started_fy = parse_instant(data["started_at"]), data["fiscal_year"]
        self.state.problems.clear()  # reported: memory stays with the items, not with a tampered ledger's findings
        if iid is not None:
            if facts is not None and iid not in self.facts:
                self.facts[iid] = facts
            elif kind == "calendar.reminder_queued" and iid in self.facts:
                self.facts[iid].next_duty = None  # its next reminder changed
            item = self.state.items.get(iid)
            if item is not None and item["status"] == OPEN and not item["overdue"]:
                self._open.add(iid)
            else:
                self._open.discard(iid)
        if kind in _CHECKED_CLOSINGS:
            problem = audit_record(self.state.items.get(iid), kind, rec.actor, rec.role,
                                   moment, data, fold.assignments.values(), fold.definition)
            if problem:
                fold.finding("authority", rec, problem.en, problem.th)
        if kind in _TICK_KINDS:
            self._run = _Run(rec, moment, fold.active.get("calendar"), fold.active.get("organization"))
            self._tick_definitions = (self._run.calendar, self._run.organization)

    def finish(self, fold: Fold) -> None:
        if self._run is not None:
            self._end_run(fold)
        last = fold.last_folded
        if self._started is None or last is None:
            return
        # Under the definitions the last tick used: a calendar or organization loaded since takes effect
        # at the next tick (which the per-tick check then holds to it), so what it adds is not missing yet.
        calendar, organization = self._tick_definitions or (fold.active.get("calendar"),
                                                            fold.active.get("organization"))
        self._require_items(fold, last, calendar, organization, last.moment, at_end=True)

    def snapshot(self, fold: Fold) -> dict:
        return {iid: dict(item) for iid, item in sorted(self.state.items.items())}

    # -- helpers -------------------------------------------------------------------------
    def _definitions(self, fold: Fold, calendar: str | None,
                     organization: str | None) -> tuple[Calendar | None, Organization | None]:
        cal = fold.definition(calendar) if calendar else None
        org = fold.definition(organization) if organization else None
        return (cal if isinstance(cal, Calendar) else None, org if isinstance(org, Organization) else None)

    def _subjects_of(self, org: Organization, per: str) -> frozenset[str]:
        key = (org.version, per)
        if key not in self._subjects:
            self._subjects[key] = frozenset(subjects(org, per))
        return self._subjects[key]

    def _in_force(self, fold: Fold, rec, data: dict, out: list[Msg]) -> None:
        for kind in ("calendar", "organization"):
            active = fold.active.get(kind)
            if data.get(kind) != active:
                out.append(not_in_force(kind, data.get(kind), active))

    def _report(self, fold: Fold, rec, what: str, problems: list[Msg]) -> None:
        for problem in problems:
            fold.finding("calendar", rec, *problem.prefixed(what))

    def _conclude(self, fold: Fold, rec, iid: str, facts, out: list[Msg]) -> None:
        """The checks every record about an open item ends with: the responsible officer
        it names, the process it names, then the findings."""
        if rec.responsible != facts.named:
            out.append(wrong_responsible(rec.responsible, facts.named))
        self._check_process(rec, facts.spec, facts.occ.fiscal_year, facts.occ.subject, out)
        self._report(fold, rec, iid, out)

    def _check_process(self, rec, spec: CalendarItemSpec | None, fy: int, subject: str, out: list[Msg]) -> None:
        """A record about a per-task item may name that task's process of the year; no other process.
        (Whether the process existed, so must have been named, needs the processes: not checked here.)"""
        if rec.process is None:
            return
        if spec is None or spec.per != "task" or rec.process != f"{fy}/{subject}":
            if spec is not None and spec.per == "task":
                out.append(Msg(f"names process {rec.process}; it may name only {fy}/{subject}",
                               f"ระบุกระบวนการ {rec.process} แต่ระบุได้เฉพาะ {fy}/{subject}"))
            else:
                out.append(Msg(f"names process {rec.process}; it may name only none",
                               f"ระบุกระบวนการ {rec.process} แต่รายการนี้ต้องไม่ระบุกระบวนการใด"))

    # -- record by record ----------------------------------------------------------------
    def _check_start(self, fold: Fold, rec, moment: dt.datetime, data: dict) -> None:
        out: list[Msg] = []
        if rec.actor != SYSTEM_ACTOR:
            out.append(Msg(f"started by {rec.actor}; only the tick (system) starts the calendar",
                           f"เริ่มใช้โดย {rec.actor} แต่ผู้เริ่มใช้ปฏิทินได้มีเพียงการตรวจปฏิทินของระบบ (tick)"))
        if data.get("started_at") != rec.at:
            out.append(Msg(f"started_at is {data.get('started_at')}, but the record is stamped {rec.at}",
                           f"started_at เป็น {data.get('started_at')} แต่บันทึกลงเวลา {rec.at}"))
        if data.get("fiscal_year") != fiscal_year_of(moment):
            out.append(Msg(f"fiscal_year is {data.get('fiscal_year')}, but {at_bangkok(moment)} is in fiscal year "
                           f"{fiscal_year_of(moment)}",
                           f"fiscal_year เป็น {data.get('fiscal_year')} แต่ {at_bangkok_th(moment)} อยู่ในปีงบประมาณ "
                           f"{fiscal_year_of(moment)}"))
        if data.get("calendar") != fold.active.get("calendar"):
            out.append(not_in_force("calendar", data.get("calendar"), fold.active.get("calendar")))
        self._report(fold, rec, "calendar.started", out)

    def _check_creation(self, fold: Fold, rec, moment: dt.datetime, data: dict) -> _Facts:
        iid = data["item_id"]
        fy, item, round_id, subject = data["fiscal_year"], data["item"], data["round"], data["subject"]
        named = next((r["person"] for r in data.get("responsible") or ()), None)
        out: list[Msg] = []
        facts = _Facts(None, None, rec.at, named)
        if rec.actor != SYSTEM_ACTOR or rec.role != SYSTEM_ACTOR:
            out.append(Msg(f"created by {rec.actor} ({rec.role}); only the tick (system) creates items",
                           f"สร้างโดย {rec.actor} ({rec.role}) แต่ผู้สร้างรายการได้มีเพียงการตรวจปฏิทินของระบบ "
                           "(tick)"))
        if iid != item_id(fy, item, round_id, subject):
            out.append(wrong_item_id(iid, item_id(fy, item, round_id, subject)))
        self._in_force(fold, rec, data, out)
        cal, org = self._definitions(fold, data.get("calendar"), data.get("organization"))
        started = self._started
        if started is None:
            out.append(Msg("created before the calendar started (no calendar.started record before it)",
                           "สร้างก่อนเริ่มใช้ปฏิทิน (ไม่มีบันทึก calendar.started ก่อนหน้า)"))
        if cal is None or org is None:
            cal_v, org_v = str(data.get("calendar"))[:12], str(data.get("organization"))[:12]
            out.append(Msg(f"calendar {cal_v} or organization {org_v} is not stored",
                           f"ไม่พบปฏิทิน {cal_v} หรือโครงสร้างหน่วยงาน {org_v} ที่เก็บไว้"))
            self._report(fold, rec, iid, out)
            return facts
        spec = cal.item(item)
        if spec is None:
            items = ", ".join(i.id for i in cal.items)
            out.append(Msg(f"calendar {cal.version[:12]} has no item '{item}' (items: {items})",
                           f"ปฏิทิน {cal.version[:12]} ไม่มีรายการ '{item}' (รายการที่มี: {items})"))
            self._report(fold, rec, iid, out)
            return facts
        facts.spec = spec
        if data.get("kind") != spec.kind:
            out.append(Msg(f"kind is '{data.get('kind')}', but {item} is a {spec.kind}",
                           f"kind เป็น '{data.get('kind')}' แต่ {item} เป็น{kind_th(spec.kind)}"))
        occ = occurrence(spec, round_id, subject, fy) if isinstance(fy, int) else None
        if occ is None:
            rounds = ", ".join(r.id for r in spec.rounds)
            out.append(Msg(f"{item} has no round '{round_id}' in calendar {cal.version[:12]} (rounds: {rounds})",
                           f"{item} ไม่มีรอบ '{round_id}' ในปฏิทิน {cal.version[:12]} (รอบที่มี: {rounds})"))
        if subject not in self._subjects_of(org, spec.per):
            out.append(Msg(f"'{subject}' is not a {spec.per.replace('_', ' ')} of organization {org.version[:12]}",
                           f"'{subject}' ไม่ใช่{PER_TH.get(spec.per, spec.per)}ในโครงสร้างหน่วยงาน "
                           f"{org.version[:12]}"))
        self._check_process(rec, spec, fy, subject, out)
        if self._started_fy is not None and isinstance(fy, int) and not (
                self._started_fy <= fy <= fiscal_year_of(moment)):
            out.append(Msg(f"fiscal year {fy} is outside the calendar's span at {at_bangkok(moment)}: from "
                           f"{self._started_fy} (its start) to {fiscal_year_of(moment)}",
                           f"ปีงบประมาณ {fy} อยู่นอกช่วงของปฏิทิน ณ {at_bangkok_th(moment)}: ตั้งแต่ปีงบประมาณ "
                           f"{self._started_fy} (ปีที่เริ่มใช้) ถึง {fiscal_year_of(moment)}"))
        if occ is None:
            self._report(fold, rec, iid, out)
            return facts
        facts.occ = occ
        for key, want in (("opens_on", occ.opens_on), ("due_on", occ.due_on)):
            if data.get(key) != want.isoformat():
                out.append(Msg(f"{key} is {data.get(key)}; calendar {cal.version[:12]} gives {want.isoformat()}",
                               f"{key} เป็น {data.get(key)} แต่ปฏิทิน {cal.version[:12]} กำหนด {want.isoformat()}"))
        if moment < occ.opens_at:
            out.append(Msg(f"created at {at_bangkok(moment)}, before its window opens ({at_bangkok(occ.opens_at)})",
                           f"สร้างเมื่อ {at_bangkok_th(moment)} ก่อนเปิดรอบ ({at_bangkok_th(occ.opens_at)})"))
        if started is not None:
            na = not_applicable_at_start(occ, started)
            if rec.kind == "calendar.item_not_applicable":
                if not na:
                    out.append(Msg(f"recorded not applicable, but it is due by the end of "
                                   f"{occ.due_on.isoformat()}, after the calendar started ({at_bangkok(started)}): "
                                   "it should have opened",
                                   f"บันทึกว่าไม่อยู่ในรอบ แต่ครบกำหนดเมื่อสิ้นวันที่ {occ.due_on.isoformat()} "
                                   f"ซึ่งหลังเริ่มใช้ปฏิทิน ({at_bangkok_th(started)}): ควรเปิดรอบ"))
                if data.get("started_at") != format_instant(started):
                    out.append(Msg(f"started_at is {data.get('started_at')}; the calendar started "
                                   f"{format_instant(started)}",
                                   f"started_at เป็น {data.get('started_at')} แต่ปฏิทินเริ่มใช้เมื่อ "
                                   f"{format_instant(started)}"))
                if data.get("reason") != "started_after_due":
                    out.append(Msg(f"reason is '{data.get('reason')}', not 'started_after_due'",
                                   f"reason เป็น '{data.get('reason')}' ไม่ใช่ 'started_after_due'"))
            else:
                if na:
                    out.append(Msg(f"opened, but it was due by the end of {occ.due_on.isoformat()}, before the "
                                   f"calendar started ({at_bangkok(started)}): it should be not applicable",
                                   f"เปิดรอบแล้ว แต่ครบกำหนดเมื่อสิ้นวันที่ {occ.due_on.isoformat()} ก่อนเริ่มใช้ปฏิทิน "
                                   f"({at_bangkok_th(started)}): ควรบันทึกว่าไม่อยู่ในรอบ"))
                want_at = format_instant(responsible_moment(occ, started))
                if data.get("resolved_at") != want_at:
                    out.append(Msg(f"resolved_at is {data.get('resolved_at')}; the responsible people are "
                                   f"those of {want_at} (its opening, or the start if later)",
                                   f"resolved_at เป็น {data.get('resolved_at')} แต่ผู้รับผิดชอบต้องเป็นผู้ดำรงบทบาท ณ "
                                   f"{want_at} (เวลาเปิดรอบ หรือเวลาเริ่มใช้ปฏิทินหากช้ากว่า)"))
        if rec.kind == "calendar.item_opened" and rec.responsible != named:
            out.append(Msg(f"the record names {rec.responsible} as responsible, but the item names {named} first",
                           f"บันทึกระบุ {rec.responsible} เป็นผู้รับผิดชอบ แต่รายการระบุ {named} เป็นคนแรก"))
        self._report(fold, rec, iid, out)
        return facts

    def _check_extra(self, fold: Fold, rec, moment: dt.datetime, data: dict) -> _Facts:
        iid = data["item_id"]
        fy, item, round_id, subject = data["fiscal_year"], data["item"], data["round"], data["subject"]
        out: list[Msg] = []
        if iid != item_id(fy, item, round_id, subject):
            out.append(wrong_item_id(iid, item_id(fy, item, round_id, subject)))
        self._in_force(fold, rec, data, out)
        if fy != fiscal_year_of(moment):
            out.append(Msg(f"an extra round of fiscal year {fy} recorded at {at_bangkok(moment)}, in fiscal year "
                           f"{fiscal_year_of(moment)}",
                           f"บันทึกครั้งเพิ่มเติมของปีงบประมาณ {fy} เมื่อ {at_bangkok_th(moment)} ซึ่งอยู่ในปีงบประมาณ "
                           f"{fiscal_year_of(moment)}"))
        n = self._extras.get((fy, item), 0) + 1
        self._extras[(fy, item)] = n
        if round_id != f"extra{n}":
            out.append(Msg(f"round is '{round_id}'; as extra round {n} of {fy}/{item} it is 'extra{n}'",
                           f"round เป็น '{round_id}' แต่ในฐานะครั้งเพิ่มเติมครั้งที่ {n} ของ {fy}/{item} "
                           f"ต้องเป็น 'extra{n}'"))
        cal, _org = self._definitions(fold, data.get("calendar"), data.get("organization"))
        spec = cal.item(item) if cal is not None else None
        if spec is None:
            cal_v = str(data.get("calendar"))[:12]
            out.append(Msg(f"calendar {cal_v} has no item '{item}' (or is not stored)",
                           f"ปฏิทิน {cal_v} ไม่มีรายการ '{item}' (หรือไม่พบปฏิทินที่เก็บไว้)"))
        else:
            if spec.kind != "checkpoint" or data.get("kind") != spec.kind:
                out.append(Msg(f"kind is '{data.get('kind')}'; extra rounds are for checkpoints ({item} is a "
                               f"{spec.kind})",
                               f"kind เป็น '{data.get('kind')}' แต่ครั้งเพิ่มเติมมีได้เฉพาะการนิเทศ (checkpoint) "
                               f"({item} เป็น{kind_th(spec.kind)})"))
            if spec.minimum_count is None or spec.per != OFFICE:
                out.append(Msg(f"{item} has a fixed number of rounds (required_count) or is not for the office: "
                               "no extra rounds",
                               f"{item} กำหนดจำนวนครั้งไว้แน่นอน (required_count) หรือไม่ใช่รายการของสำนักงาน: "
                               "เพิ่มครั้งไม่ได้"))
        if subject != OFFICE:
            out.append(Msg(f"subject is '{subject}', not '{OFFICE}'", f"subject เป็น '{subject}' ไม่ใช่ '{OFFICE}'"))
        self._check_process(rec, spec, fy, subject, out)
        self._report(fold, rec, iid, out)
        return _Facts(spec, None, rec.at, rec.actor)

    def _item(self, fold: Fold, rec, data: dict, what: Msg) -> tuple[dict | None, _Facts | None]:
        iid = data["item_id"]
        item, facts = self.state.items.get(iid), self.facts.get(iid)
        if item is None:
            fold.finding("calendar", rec, f"{what.en} for {iid}, which no earlier record created",
                         f"{what.th}สำหรับ {iid} ซึ่งไม่มีบันทึกก่อนหน้าที่สร้างรายการนี้")
        return item, facts

    def _check_reminder(self, fold: Fold, rec, moment: dt.datetime, data: dict) -> None:
        iid = data["item_id"]
        item, facts = self._item(fold, rec, data, Msg("a reminder", "การแจ้งเตือน"))
        if item is None or facts is None:
            return
        out: list[Msg] = []
        if rec.actor != SYSTEM_ACTOR:
            out.append(Msg(f"queued by {rec.actor}; only the tick (system) queues reminders",
                           f"จัดคิวโดย {rec.actor} แต่ผู้จัดคิวการแจ้งเตือนได้มีเพียงการตรวจปฏิทินของระบบ (tick)"))
        if item["status"] != OPEN or item["overdue"]:
            was = "overdue" if item["overdue"] else item["status"]
            out.append(Msg(f"reminder for an item that was {was}",
                           f"การแจ้งเตือนสำหรับรายการที่มีสถานะ '{status_title(was)}'"))
        spec, occ = facts.spec, facts.occ
        if spec is None or occ is None:
            self._report(fold, rec, iid, out)
            return
        if data.get("due_on") != occ.due_on.isoformat():
            out.append(wrong_due_on(data.get("due_on"), occ.due_on))
        handled = {d for d in spec.reminder_days if (iid, d) in self.state.reminders}
        days, superseded = reminder_plan(occ.due_on, spec.reminder_days, moment, handled)
        got = (data.get("days_before"), sorted(data.get("superseded") or []))
        queued = Msg(f"reminder {got[0]} day(s) before (superseding {got[1]}) queued at {at_bangkok(moment)}",
                     f"จัดคิวการแจ้งเตือนล่วงหน้า {got[0]} วัน (แทนที่ {got[1]}) เมื่อ {at_bangkok_th(moment)}")
        if days is None:
            plan = ", ".join(f"{d} day(s) before at {at_bangkok(occ.reminder_at(d))}" for d in sorted(spec.reminder_days))
            plan_th = ", ".join(f"ล่วงหน้า {d} วัน เมื่อ {at_bangkok_th(occ.reminder_at(d))}"
                                for d in sorted(spec.reminder_days))
            out.append(Msg(f"{queued.en}, but none was due then (plan: {plan or 'no reminders'}; already handled: "
                           f"{sorted(handled)})",
                           f"{queued.th} แต่ขณะนั้นไม่มีการแจ้งเตือนที่ถึงกำหนด (แผน: {plan_th or 'ไม่มีการแจ้งเตือน'}; "
                           f"ดำเนินการแล้ว: {sorted(handled)})"))
        elif got != (days, superseded):
            out.append(Msg(f"{queued.en}; the plan then gives {days} day(s) before (superseding {superseded})",
                           f"{queued.th} แต่ตามแผนขณะนั้นต้องเป็นการแจ้งเตือนล่วงหน้า {days} วัน "
                           f"(แทนที่ {superseded})"))
        self._conclude(fold, rec, iid, facts, out)

    def _check_overdue(self, fold: Fold, rec, moment: dt.datetime, data: dict) -> None:
        iid = data["item_id"]
        facts = self.facts.get(iid)
        if iid not in self.state.items or facts is None:
            return  # CalendarFold reports an overdue flag for an item that was not open
        out: list[Msg] = []
        if rec.actor != SYSTEM_ACTOR:
            out.append(Msg(f"flagged by {rec.actor}; only the tick (system) flags items overdue",
                           f"ระบุว่าเกินกำหนดโดย {rec.actor} แต่ผู้ระบุว่าเกินกำหนดได้มีเพียงการตรวจปฏิทินของระบบ "
                           "(tick)"))
        spec, occ = facts.spec, facts.occ
        if spec is None or occ is None:
            self._report(fold, rec, iid, out)
            return
        if data.get("due_on") != occ.due_on.isoformat():
            out.append(wrong_due_on(data.get("due_on"), occ.due_on))
        if moment < occ.overdue_at:
            out.append(Msg(f"flagged overdue at {at_bangkok(moment)}, before its due day {occ.due_on.isoformat()} "
                           f"ended (overdue from {at_bangkok(occ.overdue_at)})",
                           f"ระบุว่าเกินกำหนดเมื่อ {at_bangkok_th(moment)} ก่อนสิ้นวันครบกำหนด {occ.due_on.isoformat()} "
                           f"(เกินกำหนดตั้งแต่ {at_bangkok_th(occ.overdue_at)})"))
        self._conclude(fold, rec, iid, facts, out)

    def _check_closing(self, fold: Fold, rec, moment: dt.datetime, data: dict) -> None:
        iid = data["item_id"]
        item, facts = self.state.items.get(iid), self.facts.get(iid)
        if item is None or facts is None:
            return  # CalendarFold reports a closing of an item that was not open
        out: list[Msg] = []
        if facts.spec is not None and facts.spec.kind != _CLOSINGS[rec.kind]:
            out.append(Msg(f"a {rec.kind.split('.', 1)[1].replace('_', ' ')} for a {facts.spec.kind}",
                           f"{_CLOSINGS_TH[rec.kind]}สำหรับรายการประเภท{kind_th(facts.spec.kind)}"))
        if rec.at < facts.created_at:
            out.append(Msg(f"closed at {rec.at}, before the item was opened ({facts.created_at})",
                           f"ปิดรายการเมื่อ {rec.at} ก่อนที่รายการจะเปิด ({facts.created_at})"))
        occ = facts.occ
        if occ is not None:
            if moment < occ.opens_at:
                out.append(Msg(f"closed at {at_bangkok(moment)}, before its window opens ({at_bangkok(occ.opens_at)})",
                               f"ปิดรายการเมื่อ {at_bangkok_th(moment)} ก่อนเปิดรอบ ({at_bangkok_th(occ.opens_at)})"))
            late = moment >= occ.overdue_at
            if data.get("late") is not late:
                out.append(Msg(f"late is {data.get('late')}; closed at {at_bangkok(moment)}, "
                               f"{'after' if late else 'before'} its due day {occ.due_on.isoformat()} ended, "
                               f"it is {late}",
                               f"late เป็น {data.get('late')} แต่ปิดรายการเมื่อ {at_bangkok_th(moment)} "
                               f"{'หลัง' if late else 'ก่อน'}สิ้นวันครบกำหนด {occ.due_on.isoformat()} "
                               f"จึงต้องเป็น {late}"))
            if data.get("due_on") != occ.due_on.isoformat():
                out.append(wrong_due_on(data.get("due_on"), occ.due_on))
            self._check_process(rec, facts.spec, occ.fiscal_year, occ.subject, out)
        if rec.responsible != rec.actor:
            out.append(Msg(f"the record names {rec.responsible} as responsible, not the one who closed it "
                           f"({rec.actor})",
                           f"บันทึกระบุ {rec.responsible} เป็นผู้รับผิดชอบ ไม่ใช่ผู้ปิดรายการ ({rec.actor})"))
        self._report(fold, rec, iid, out)

    # -- what each tick owed -------------------------------------------------------------
    def _end_run(self, fold: Fold) -> None:
        run, self._run = self._run, None
        if run is None or self._started is None:
            return
        self._require_items(fold, run.rec, run.calendar, run.organization, run.moment, at_end=False)
        for iid in sorted(self._open):
            facts = self.facts.get(iid)
            if facts is None or facts.spec is None or facts.occ is None:
                continue
            occ, spec = facts.occ, facts.spec
            if facts.next_duty is None:
                facts.next_duty = min([occ.overdue_at, *(occ.reminder_at(d) for d in spec.reminder_days
                                                         if (iid, d) not in self.state.reminders)])
            if run.moment < facts.next_duty:
                continue  # nothing was due yet: reminder_plan would give nothing, and it is not overdue
            if run.moment >= occ.overdue_at:
                if (iid, None) not in self._missed:
                    self._missed.add((iid, None))
                    fold.finding("calendar", run.rec, f"{iid}: the tick at {at_bangkok(run.moment)} did not flag it "
                                                      f"overdue; it is due by the end of {occ.due_on.isoformat()}"
                                                      f" (overdue from {at_bangkok(occ.overdue_at)})",
                                 f"{iid}: การตรวจปฏิทิน (tick) เมื่อ {at_bangkok_th(run.moment)} ไม่ได้ระบุว่าเกินกำหนด "
                                 f"ทั้งที่ครบกำหนดเมื่อสิ้นวันที่ {occ.due_on.isoformat()} "
                                 f"(เกินกำหนดตั้งแต่ {at_bangkok_th(occ.overdue_at)})")
                continue
            handled = {d for d in spec.reminder_days if (iid, d) in self.state.reminders}
            days, _superseded = reminder_plan(occ.due_on, spec.reminder_days, run.moment, handled)
            if days is not None and (iid, days) not in self._missed:
                self._missed.add((iid, days))
                fold.finding("calendar", run.rec, f"{iid}: the tick at {at_bangkok(run.moment)} did not queue the "
                                                  f"reminder {days} day(s) before its due day "
                                                  f"{occ.due_on.isoformat()} (due at {at_bangkok(occ.reminder_at(days))})",
                             f"{iid}: การตรวจปฏิทิน (tick) เมื่อ {at_bangkok_th(run.moment)} ไม่ได้จัดคิวการแจ้งเตือน"
                             f"ล่วงหน้า {days} วันก่อนวันครบกำหนด {occ.due_on.isoformat()} "
                             f"(ถึงเวลาแจ้งเตือน {at_bangkok_th(occ.reminder_at(days))})")

    def _require_items(self, fold: Fold, rec, calendar: str | None, organization: str | None,
                       until: dt.datetime, at_end: bool) -> None:
        """Every occurrence whose window opened by ``until`` (fiscal years from the start's on) exists."""
        cal, org = self._definitions(fold, calendar, organization)
        started = self._started
        if cal is None or org is None or self._started_fy is None or started is None:
            return
        key = (cal.version, org.version)
        for fy in range(self._started_fy, fiscal_year_of(until) + 1):
            schedule = self._schedules.get(fy)
            if schedule is None or schedule.key != key:  # a new calendar or organization: its items from the start
                schedule = self._schedules[fy] = _Schedule(key, sorted(
                    occurrences(cal, org, fy), key=lambda o: (o.opens_at, o.id), reverse=True))
            pending = schedule.pending
            while pending and pending[-1].opens_at <= until:
                occ = pending.pop()
                if occ.id in self.state.items or occ.id in self._missing:
                    continue
                self._missing.add(occ.id)
                if at_end:
                    message = Msg(f"{occ.id} is missing: its window opened {at_bangkok(occ.opens_at)}, before the "
                                  f"ledger's last record ({at_bangkok(until)}), and the calendar started "
                                  f"{at_bangkok(started)} (no tick recorded it)",
                                  f"ไม่พบรายการ {occ.id}: เปิดรอบเมื่อ {at_bangkok_th(occ.opens_at)} ก่อนบันทึกล่าสุด "
                                  f"({at_bangkok_th(until)}) และปฏิทินเริ่มใช้เมื่อ {at_bangkok_th(started)} "
                                  "(ไม่มีการตรวจปฏิทินใดบันทึกรายการนี้)")
                else:
                    message = Msg(f"{occ.id} is missing: the tick at {at_bangkok(until)} did not create it, though its "
                                  f"window opened {at_bangkok(occ.opens_at)}",
                                  f"ไม่พบรายการ {occ.id}: การตรวจปฏิทิน (tick) เมื่อ {at_bangkok_th(until)} "
                                  f"ไม่ได้สร้างรายการนี้ ทั้งที่เปิดรอบเมื่อ {at_bangkok_th(occ.opens_at)}")
                fold.finding("calendar", rec, message.en, message.th)
