"""Completeness before the OIT form is due: per item of the year's catalogue and per task,
what is complete and what is missing, in plain Thai, each with the page that fixes it.

An item answered from the tasks (participation) is "มี" when at least one task
is complete inside the item's window: its four elements complete and its
documents published. The working group wants every task complete, so the
report (and ``ruam ita check``'s exit code) is complete only when every task
that was not cancelled is. Elements Ruam does not hold (``office.own``) are
listed as the office's own to attach; they neither pass nor fail here.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from engine.app import Ruam
from engine.ita.catalogue import for_year
from engine.ita.elements import TaskElements, task_elements
from workflow import ita as wi
from workflow.ita_catalogue import EVIDENCE, ItaCatalogue, ItaItem

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
# the documents the public expects per step: (the step, the drafted kinds shown beside its signed scan, words)
DOCUMENT_STEPS = (
    ("issue_appointment", ("appointment",), "คำสั่ง/ประกาศแต่งตั้ง", "the appointment order"),
    ("record_meeting", ("minutes",), "รายงานการประชุม", "the minutes"),
)


def public_url(given: str | None = None) -> str:
    """The office's public base URL (``RUAM_PUBLIC_URL``; default http://127.0.0.1:8000), no trailing /."""
    return (given or os.environ.get("RUAM_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")


@dataclass(frozen=True)
class Fix:
    th: str
    en: str
    path: str           # a page of Ruam (relative)


@dataclass
class TaskCheck:
    task: TaskElements
    gaps: list[wi.Gap]
    complete: dict[str, bool]

    @property
    def blocking(self) -> list[wi.Gap]:
        return [g for g in self.gaps if g.blocking]

    @property
    def ok(self) -> bool:
        return not self.task.cancelled and not self.blocking

    def fix(self, gap: wi.Gap) -> Fix:
        return fix_for(self.task, gap)


@dataclass
class ElementCheck:
    id: str
    title: str
    evidence: tuple[str, ...]
    ok: bool | None          # None: not Ruam's to judge (office.own)
    th: str                  # what was found or what is missing
    title_en: str = ""


@dataclass
class ItemCheck:
    item: ItaItem
    window: tuple[dt.date, dt.date]
    elements: list[ElementCheck]
    tasks: list[TaskCheck] = field(default_factory=list)

    @property
    def answer(self) -> bool:
        """มี: every element Ruam judges is met (for a task item: by at least one complete task)."""
        judged = [e for e in self.elements if e.ok is not None]
        if self.item.per_task and not any(t.ok for t in self.tasks):
            return False
        return all(e.ok for e in judged)

    @property
    def complete(self) -> bool:
        """Nothing missing: the answer is มี and every task that was not cancelled is complete."""
        return self.answer and all(t.ok or t.task.cancelled for t in self.tasks)


@dataclass
class Report:
    fiscal_year: int
    catalogue: ItaCatalogue
    items: list[ItemCheck]
    own_items: list[ItaItem]        # items with an element only the office holds (listed, not judged)
    at: dt.datetime

    @property
    def complete(self) -> bool:
        return all(i.complete for i in self.items)


def fix_for(task: TaskElements, gap: wi.Gap) -> Fix:
    fy = task.fiscal_year
    if gap.code == "no_process":
        return Fix("เปิดรอบปีงบประมาณ (คำสั่ง ruam cycle open)", "open the fiscal year (ruam cycle open)", "/dashboard")
    page = f"/processes/{fy}/{task.task_id}"
    if gap.fix == "attachments":
        return Fix("เปิดหน้างานแล้วทำเครื่องหมายเผยแพร่ไฟล์ที่ลงนามแล้ว", "mark the signed scan public on the task's page",
                   page + "#files")
    title = task.step_titles.get(gap.fix)
    if title:
        return Fix(f"ขั้นตอน \u201c{title}\u201d ในหน้างาน", f"the step '{gap.fix}' on the task's page", page)
    return Fix("หน้างาน", "the task's page", page)


def _document_gaps(t: TaskElements) -> list[wi.Gap]:
    done = {s.trigger for s in t.steps}
    drafted = {d.kind for d in t.documents}
    gaps = []
    for step, kinds, th, en in DOCUMENT_STEPS:
        if step not in done:
            continue
        # A document Ruam drafted is unsigned: it is published beside the signed scan (its
        # text twin), never instead of it. The assessor looks for the order as signed.
        public = any(a.public and a.kind == step for a in t.attachments)
        if not public:
            has_file = any(a.kind == step for a in t.attachments)
            if has_file:
                why = "มีไฟล์แนบแต่ยังไม่ได้ทำเครื่องหมายเผยแพร่"
            elif drafted & set(kinds):
                why = "มีเอกสารที่ร่วมร่างให้แล้ว แต่ยังไม่ได้แนบสำเนาที่ลงนามแล้ว"
            else:
                why = "ยังไม่มีไฟล์ที่ลงนามแล้ว"
            gaps.append(wi.Gap("not_published", "documents", f"{th}ยังไม่เผยแพร่ ({why})",
                               f"{en} is not published", "attachments"))
    return gaps


def task_check(t: TaskElements, window: tuple[dt.date, dt.date], documents: bool = True) -> TaskCheck:
    if t.process_id is None:
        gaps = [wi.Gap("no_process", "participants", "ยังไม่ได้เปิดรอบปีงบประมาณของงานนี้",
                       "the task has no process this fiscal year", "process")]
    elif t.cancelled:
        gaps = [wi.Gap("cancelled", "participants", "งานนี้ถูกยกเลิกในปีงบประมาณนี้ (ไม่นับ)",
                       "the task was cancelled this year (not counted)", "process", blocking=False)]
    else:
        gaps = t.gaps_for(window) + (_document_gaps(t) if documents else [])
    return TaskCheck(t, gaps, wi.complete_elements(gaps))


def _calendar_element(tasks: list[TaskElements], kind: str, window: tuple[dt.date, dt.date]) -> tuple[bool, str]:
    entries = {e.id: e for t in tasks for e in (t.reports if kind == "report" else t.supervision)}
    done = [e for e in entries.values() if e.done_on and window[0] <= e.done_on <= window[1]]
    word = "รายงานสรุปผล" if kind == "report" else "การกำกับ ติดตาม"
    if done:
        late = sum(1 for e in done if e.late)
        return True, f"{word}แล้ว {len(done)} รายการ" + (f" (ล่าช้า {late})" if late else "")
    return False, f"ยังไม่มี{word}ที่บันทึกในช่วง {wi.window_words(window)} (ดูหน้าปฏิทิน)"


def _element(item: ItaItem, el, tasks: list[TaskElements], checks: list[TaskCheck],
             window: tuple[dt.date, dt.date], measure: bool) -> ElementCheck:
    oks: list[bool] = []
    words: list[str] = []
    for ev in el.evidence:
        if ev == "office.own":
            words.append(EVIDENCE[ev][0])
            continue
        if ev.startswith("task."):
            name = ev.split(".", 1)[1]
            if name == "documents":
                n = sum(1 for c in checks if c.ok)
                oks.append(n > 0)
                words.append(f"งานที่เผยแพร่เอกสารครบ {n} งาน")
            else:
                n = sum(1 for c in checks if c.complete.get(name) and not c.task.cancelled)
                oks.append(n > 0)
                words.append(f"ครบ {n} จาก {len(checks)} งาน")
        elif ev == "measure.announcement":
            oks.append(measure)
            words.append("ประกาศมาตรการและฐานทางกฎหมายแสดงที่หน้าสาธารณะ" if measure else "ยังไม่มีประกาศมาตรการ")
        elif ev == "calendar.semiannual_report":
            ok, text = _calendar_element(tasks, "report", window)
            oks.append(ok)
            words.append(text)
        elif ev == "calendar.supervision":
            ok, text = _calendar_element(tasks, "checkpoint", window)
            oks.append(ok)
            words.append(text)
    return ElementCheck(el.id, el.title.th, el.evidence, all(oks) if oks else None, "; ".join(words), el.title.en)


def check(app: Ruam, fiscal_year: int, agency: str | None = None,
          elements: list[TaskElements] | None = None) -> Report:
    """The year's items, each with its elements and (for a task item) every task's gaps."""
    catalogue = for_year(fiscal_year, agency)
    tasks = elements if elements is not None else task_elements(app, fiscal_year)
    procedure = app.active().procedure
    measure = bool(procedure.title.th)
    items, own = [], []
    for item in catalogue.items:
        if not item.ruam_holds_all:
            own.append(item)
            continue
        window = wi.period_window(fiscal_year, item.period)
        wants_docs = any("task.documents" in e.evidence for e in item.elements)
        checks = [task_check(t, window, wants_docs) for t in tasks] if item.per_task else []
        els = [_element(item, e, tasks, checks, window, measure) for e in item.elements]
        items.append(ItemCheck(item, window, els, checks))
    return Report(fiscal_year, catalogue, items, own, app.now())
