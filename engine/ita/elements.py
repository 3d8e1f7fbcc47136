"""The four ITA elements of every task of a fiscal year, in the announcement's order.

``task_elements(app, fiscal_year)`` is what the public site, the completeness
check, the answer sheet and the yearly report (``engine/reports``) all read:
one ``TaskElements`` per task of the active organization (mission group by
mission group, task by task, as the announcement lists them), whether or not
its process has started. The reading of the history is ``workflow.ita``; this
module adds what only the database knows: the files the office marked public,
the drafted documents, and the calendar (semiannual reports, supervision).

PDPA: participants carry name, position, organisation, the outsider flag and
the committee role; reports and checkpoints carry their texts and dates, never
who recorded them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from engine.app import Ruam
from engine.attachments import references
from engine.calendar_items import calendar_view
from engine.ita.publish import public_marks
from workflow import ita as wi
from workflow.fiscal import bangkok_date

# the title of a file attached to a calendar record of the task
RECORD_TITLES = {"calendar.report_submitted": "รายงานสรุปผลการดำเนินงาน",
                 "calendar.checkpoint_recorded": "บันทึกผลการกำกับ ติดตาม"}


@dataclass(frozen=True)
class DocumentRef:
    """A document of the task: drafted by Ruam (``source="drafted"``, served as PDF) or a
    file the office marked public (``source="scan"``)."""

    source: str
    kind: str                  # appointment / letter / minutes / report / … or the step's trigger for a scan
    title: str
    number: str | None = None
    date: dt.date | None = None
    member: int | None = None
    sha256: str | None = None
    name: str | None = None
    public: bool = True
    path: str | None = None    # where the public site serves it (relative to the base URL)
    seq: int | None = None     # the ledger record it comes from (its inclusion proof: /public/…/proofs/SEQ)

    def as_dict(self) -> dict:
        return {"source": self.source, "kind": self.kind, "title": self.title, "number": self.number,
                "date": self.date.isoformat() if self.date else None, "member": self.member,
                "sha256": self.sha256, "name": self.name, "public": self.public, "path": self.path,
                "seq": self.seq}


@dataclass(frozen=True)
class CalendarEntry:
    """A semiannual report of the task, or a supervision round over its group or the office."""

    id: str
    item: str
    kind: str                  # report / checkpoint
    title: str
    round_title: str
    subject_title: str
    status: str
    status_title: str
    due_on: dt.date
    done_on: dt.date | None = None
    late: bool = False
    texts: dict = field(default_factory=dict)   # summary / findings / advice (the task's own where given)

    def as_dict(self) -> dict:
        return {"id": self.id, "item": self.item, "kind": self.kind, "title": self.title,
                "round_title": self.round_title, "subject_title": self.subject_title, "status": self.status,
                "status_title": self.status_title, "due_on": self.due_on.isoformat(),
                "done_on": self.done_on.isoformat() if self.done_on else None, "late": self.late,
                "texts": dict(self.texts)}


@dataclass(frozen=True)
class TaskElements:
    fiscal_year: int
    task_id: str
    task_title: str
    task_title_en: str
    mission_group: str
    mission_group_title: str
    order: int                         # the task's place in the announcement (1, 2, …)
    process_id: str | None             # None: no process for the task this year
    state: str | None
    state_title: str | None
    final: bool
    cancelled: bool
    topic: str
    participants: list[wi.Participant]
    results: str
    improvements: list[wi.Improvement]
    improvements_text: str
    declined: int
    opinions_received: int
    steps: list[wi.StepDate]
    step_titles: dict[str, str]
    meetings: list[wi.Meeting]
    documents: list[DocumentRef]
    attachments: list[DocumentRef]     # every file the evidence names, public or not (for the check)
    reports: list[CalendarEntry]
    supervision: list[CalendarEntry]
    published_on: dt.date | None       # the first recorded step (the page exists from then)
    updated_at: dt.datetime | None     # the last record of the task
    gaps: list[wi.Gap]                 # against the whole fiscal year (the catalogue may ask a narrower window)
    complete: dict[str, bool]          # the four elements
    reading: wi.Reading

    @property
    def publishable(self) -> bool:
        """Publishable only when its four elements are complete (and the task was not cancelled)."""
        return not self.cancelled and all(self.complete.values())

    @property
    def external_participants(self) -> int:
        return sum(1 for p in self.participants if p.external)

    def gaps_for(self, window: tuple[dt.date, dt.date]) -> list[wi.Gap]:
        return wi.element_gaps(self.reading, window, self.step_titles)

    def as_dict(self) -> dict:
        return {
            "fiscal_year": self.fiscal_year, "task_id": self.task_id, "task_title": self.task_title,
            "mission_group": self.mission_group, "mission_group_title": self.mission_group_title,
            "order": self.order, "process_id": self.process_id, "state": self.state, "final": self.final,
            "cancelled": self.cancelled, "topic": self.topic,
            "participants": [p.as_dict() for p in self.participants], "results": self.results,
            "improvements": [i.as_dict() for i in self.improvements], "improvements_text": self.improvements_text,
            "declined": self.declined, "opinions_received": self.opinions_received,
            "steps": [s.as_dict() for s in self.steps], "documents": [d.as_dict() for d in self.documents],
            "reports": [r.as_dict() for r in self.reports], "supervision": [s.as_dict() for s in self.supervision],
            "published_on": self.published_on.isoformat() if self.published_on else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "complete": dict(self.complete), "publishable": self.publishable,
            "gaps": [g.as_dict() for g in self.gaps],
        }


# --------------------------------------------------------------------------- documents
def drafted_documents(app: Ruam, fiscal_year: int, task_id: str) -> list[DocumentRef]:
    """The documents Ruam drafts for the task (``engine.documents.service.documents_of``), each
    served as PDF at ``/public/{fy}/{task}/documents/{kind}[?member=N]``."""
    from engine.documents import service  # noqa: PLC0415 - python-docx only when asked
    out = []
    for ref in service.documents_of(app, fiscal_year, task_id, lang="th"):
        member = getattr(ref, "member", None)
        path = f"/public/{fiscal_year}/{task_id}/documents/{ref.kind}" + (f"?member={member}" if member is not None
                                                                            else "")
        day = getattr(ref, "date", None)
        out.append(DocumentRef("drafted", ref.kind, ref.title, getattr(ref, "number", None),
                               day if isinstance(day, dt.date) else None, member, getattr(ref, "sha256", None),
                               None, True, path))
    return out


def _with_steps(documents: list[DocumentRef], steps: list) -> list[DocumentRef]:
    """Each drafted document with the ledger record of the step it is drafted from (the latest firing)."""
    from dataclasses import replace

    from workflow.documents import KIND_TRIGGER

    last = {s.trigger: s.seq for s in steps}
    return [replace(d, seq=last.get(KIND_TRIGGER.get(d.kind, ""))) for d in documents]


def _scans(history: list[dict], fiscal_year: int, task_id: str, step_titles: dict[str, str]) -> list[DocumentRef]:
    marks = public_marks(history)
    out, seen = [], set()
    for body in history:
        data = body.get("data") or {}
        step = data.get("trigger") or body.get("kind")
        for ref in references(data.get("evidence")):
            if ref["sha256"] in seen:
                continue
            seen.add(ref["sha256"])
            public = marks.get(ref["sha256"], False)
            title = step_titles.get(step) or RECORD_TITLES.get(step) or ref["name"] or ""
            out.append(DocumentRef("scan", step, title, sha256=ref["sha256"], seq=body.get("seq"),
                                   name=ref["name"], public=public,
                                   path=f"/public/{fiscal_year}/{task_id}/files/{ref['sha256']}" if public else None))
    return out


# --------------------------------------------------------------------------- the calendar
def _calendar(app: Ruam, fiscal_year: int) -> tuple[list[dict], dict[str, dict]]:
    """The year's calendar items (with status) and, for the done ones, their record's evidence."""
    view = calendar_view(app, fiscal_year)
    evidence: dict[str, dict] = {}
    with app.store.reading() as tx:
        for row in tx.calendar_items(fiscal_years=[fiscal_year]):
            if row.get("last_seq") and row.get("status") == "done":
                recs = tx.records(after_seq=row["last_seq"] - 1, limit=1)
                if recs and recs[0].kind.startswith("calendar.") and (recs[0].data or {}).get("item_id") == row["id"]:
                    evidence[row["id"]] = recs[0].data.get("evidence") or {}
    return view["items"], evidence


def _entry(item: dict, ev: dict | None, task_id: str) -> CalendarEntry:
    texts: dict = {}
    if ev:
        for key in ("summary", "document", "findings", "advice", "held_on"):
            if ev.get(key):
                texts[key] = ev[key]
        own = next((t for t in ev.get("tasks") or [] if t.get("task") == task_id), None)
        if own:
            texts["task_findings"], texts["task_advice"] = own.get("findings"), own.get("advice")
    done = item.get("completed_at")
    return CalendarEntry(item["id"], item["item"], item["kind"], item["title"], item["round_title"],
                         item["subject_title"], item["status"], item["status_title"], item["due_on"],
                         bangkok_date(done) if isinstance(done, dt.datetime) else None, bool(item.get("late")), texts)


# --------------------------------------------------------------------------- the elements
def task_elements(app: Ruam, fiscal_year: int) -> list[TaskElements]:
    """The four elements of every task of ``fiscal_year``, in the announcement's order."""
    defs = app.active()
    org, procedure = defs.organization, defs.procedure
    step_titles = {t.trigger: t.title.th for t in procedure.transitions}
    with app.store.reading() as tx:
        rows = {r["task_id"]: r for r in tx.processes(fiscal_year=fiscal_year)}
        histories = {task: [rec.body() for rec in tx.records_for(r["id"])] for task, r in rows.items()}
    items, cal_evidence = _calendar(app, fiscal_year)
    whole_year = wi.period_window(fiscal_year, "in_year")
    out: list[TaskElements] = []
    order = 0
    for group in org.mission_groups:
        for task in group.tasks:
            order += 1
            row, history = rows.get(task.id), histories.get(task.id, [])
            proc = app.definition(row["procedure_version"]) if row else procedure
            titles = {t.trigger: t.title.th for t in proc.transitions} if row else step_titles  # type: ignore[union-attr]
            reading = wi.read_history(history)
            state = proc.state(row["state"]) if row else None  # type: ignore[union-attr]
            gaps = wi.element_gaps(reading, whole_year, titles)
            mine = [i for i in items if (i["per"] == "task" and i["subject"] == task.id)]
            over = [i for i in items if (i["per"] == "mission_group" and i["subject"] == group.id)
                    or i["per"] == "office"]
            published = [s for s in reading.steps]
            out.append(TaskElements(
                fiscal_year=fiscal_year, task_id=task.id, task_title=task.title.th, task_title_en=task.title.en,
                mission_group=group.id, mission_group_title=group.title.th, order=order,
                process_id=row["id"] if row else None, state=row["state"] if row else None,
                state_title=state.title.th if state else None, final=bool(state and state.final),
                cancelled=bool(row and row["state"] == "cancelled"),
                topic=reading.topic, participants=reading.participants, results=reading.results,
                improvements=reading.improvements, improvements_text=reading.improvements_text,
                declined=reading.declined, opinions_received=reading.opinions_received, steps=reading.steps,
                step_titles=titles, meetings=reading.meetings,
                documents=_with_steps(drafted_documents(app, fiscal_year, task.id), reading.steps) if row else [],
                attachments=_scans(history, fiscal_year, task.id, titles),
                reports=[_entry(i, cal_evidence.get(i["id"]), task.id) for i in mine if i["kind"] == "report"],
                supervision=[_entry(i, cal_evidence.get(i["id"]), task.id) for i in over if i["kind"] == "checkpoint"],
                published_on=bangkok_date(published[0].recorded_at) if published else None,
                updated_at=reading.last_at, gaps=gaps, complete=wi.complete_elements(gaps), reading=reading))
    return out
