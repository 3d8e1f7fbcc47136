"""The office's documents of a process: list them, render one (DOCX; PDF through
``engine.documents.pdf`` when it is installed), draft one from a form's values
without recording anything.

The facts come from the ledger: the latest firing of each step, the process's
calendar records (semiannual reports) and the checkpoints that cover its task.
A recorded document is rendered under the organization version the process runs
under (its letterhead as it was; the active one when that version had none) and
the active wording definition (the shipped one when none is stored), so the same
evidence gives the same bytes every time.

Members, reports and checkpoints are counted from 1 (``member=1`` is the first
letter), as the officer counts them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow.definitions import Organization, Procedure
from workflow.documents import KIND_TRIGGER, KINDS, DocumentModel, DocumentUnavailable, Sources, build
from workflow.errors import EvidenceInvalid, Refused, UsageError
from workflow.evidence import validate_evidence
from workflow.fiscal import to_bangkok, to_thai_digits
from workflow.wording import Wording

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
FORMATS = ("docx", "pdf")
CHECKPOINT_KINDS = ("calendar.checkpoint_recorded", "calendar.extra_round_recorded")  # the records of a checkpoint

__all__ = ["FORMATS", "KINDS", "DocumentRef", "Rendered", "documents_of", "draft", "model_of", "render"]


@dataclass(frozen=True)
class DocumentRef:
    kind: str
    member: int | None
    title: str
    number: str
    date: dt.date | None  # the document's date (None when none)
    sha256: str      # of the DOCX
    label: str = ""  # which copy, in words (the addressee, the round)


@dataclass(frozen=True)
class Rendered:
    content: bytes
    filename: str
    media_type: str
    sha256: str


# --------------------------------------------------------------------------- gathering the facts

@dataclass
class _Context:
    procedure: Procedure
    organization: Organization
    wording: Wording
    fiscal_year: int
    task_id: str
    steps: dict
    history: tuple
    people: dict
    reports: list      # calendar records of the task's semiannual reports, oldest first
    checkpoints: list  # checkpoint records covering the task, oldest first
    meetings: int
    garuda: bytes | None


def _context(app: Any, fiscal_year: int, task_id: str) -> _Context:
    pid = f"{fiscal_year}/{task_id}"
    proc = app.process(pid)
    procedure = app.definition(proc["procedure_version"])
    organization = app.definition(proc["organization_version"])
    active = app.active()
    if organization.letterhead is None and active.organization.letterhead is not None:
        organization = active.organization
    steps: dict[str, dict] = {}
    history, reports, meetings = [], [], 0
    for rec in proc["history"]:
        data = rec.get("data") or {}
        if rec["kind"] == "process.transitioned":
            trigger = data.get("trigger")
            steps[trigger] = data.get("evidence") or {}
            meetings += trigger == "record_meeting"
            history.append({"trigger": trigger, "kind": data.get("kind"), "at": _day(rec["at"]),
                            "evidence": data.get("evidence") or {}})
        elif rec["kind"] == "calendar.report_submitted":
            reports.append(_calendar_facts(app, active, rec))
    group = organization.task(task_id).mission_group if organization.task(task_id) else None
    checkpoints = [_calendar_facts(app, active, rec.body())
                   for rec in _checkpoint_records(app, fiscal_year, {group, "office", task_id})]
    people = {p["id"]: {"name": p["name"], "position": p.get("position") or ""} for p in app.people()}
    return _Context(procedure, organization, wording_of(app), fiscal_year, task_id, steps, tuple(history), people,
                    reports, checkpoints, max(meetings, 1), _garuda(organization))


def _checkpoint_records(app: Any, fiscal_year: int, subjects: set) -> list:
    """The checkpoints of the year that cover the task (its group's, the office's), oldest first:
    each calendar item done names the seq of the record that closed it (``last_seq``), so the
    ledger is read at those rows only, never scanned whole."""
    out = []
    with app.store.reading() as tx:
        for row in tx.calendar_items(fiscal_years=[fiscal_year]):
            if row["kind"] != "checkpoint" or row["subject"] not in subjects or row["status"] != "done":
                continue
            found = tx.records(after_seq=row["last_seq"] - 1, limit=1)
            if found and found[0].kind in CHECKPOINT_KINDS and found[0].data.get("item_id") == row["id"]:
                out.append(found[0])
            else:  # a later record about the item moved last_seq on: find its closing record the long way
                out.extend(r for r in tx.records() if r.kind in CHECKPOINT_KINDS
                           and r.data.get("item_id") == row["id"])
    return sorted(out, key=lambda r: r.seq)


def _day(at: Any) -> str:
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    return to_bangkok(at).date().isoformat()


def _calendar_facts(app: Any, active: Any, rec: dict) -> dict:
    data = rec.get("data") or {}
    parts = str(data.get("item_id", "")).split("/")
    cal = active.calendar
    spec = cal.item(parts[1]) if cal is not None and len(parts) > 1 else None
    rnd = next((r for r in spec.rounds if r.id == parts[2]), None) if spec and len(parts) > 2 else None
    round_title = rnd.title.th if rnd else ""
    if not rnd and len(parts) > 2 and parts[2].startswith("extra"):  # an extra round of the committee's
        round_title = f"ครั้งเพิ่มเติมที่ {to_thai_digits(parts[2].removeprefix('extra') or '1')}"
    from workflow.calendar.schedule import subject_title

    subject = parts[3] if len(parts) > 3 else ""
    return {"actor": rec.get("actor"), "at": _day(rec["at"]), "due_on": data.get("due_on"),
            "item_title": spec.title.th if spec else "", "round_title": round_title,
            "subject_title": subject_title(active.organization, spec.per, subject) if spec else subject,
            "evidence": data.get("evidence") or {}}


def wording_of(app: Any) -> Wording:
    """The active wording definition, else the shipped one."""
    with app.store.reading() as tx:
        version = tx.active_definitions().get("documents")
    if version:
        found = app.definition_or_none(version)
        if isinstance(found, Wording):
            return found
    return shipped_wording()


_SHIPPED: list[Wording] = []


def shipped_wording() -> Wording:
    if not _SHIPPED:
        from definitions import shipped_texts
        from workflow.reader import load_definition

        name, text = next(t for t in shipped_texts() if t[0].endswith("documents/saraban.yaml"))
        _SHIPPED.append(load_definition(text, name))  # type: ignore[arg-type]
    return _SHIPPED[0]


def _garuda(org: Organization) -> bytes | None:
    """The office's emblem image, when its letterhead names one whose bytes match the sha256 given."""
    lh = org.letterhead
    if lh is None or not lh.garuda_path:
        return None
    try:
        data = Path(lh.garuda_path).read_bytes()
    except OSError as exc:
        raise Refused(f"the Garuda image {lh.garuda_path} cannot be read ({exc.strerror})",
                      f"อ่านไฟล์ภาพครุฑ {lh.garuda_path} ไม่ได้ ({exc.strerror})") from None
    if lh.garuda_sha256 and hashlib.sha256(data).hexdigest() != lh.garuda_sha256:
        raise Refused(f"the Garuda image {lh.garuda_path} is not the file the letterhead names (sha256 differs)",
                      f"ไฟล์ภาพครุฑ {lh.garuda_path} ไม่ตรงกับที่ระบุไว้ในหัวหนังสือ (sha256 ไม่ตรง)")
    return data


def _sources(ctx: _Context, kind: str, member: int | None) -> Sources:
    record = None
    if kind in ("semiannual_memo", "checkpoint_record"):
        found = ctx.reports if kind == "semiannual_memo" else ctx.checkpoints
        index = (member or len(found)) - 1  # the latest unless one is named
        if not 0 <= index < len(found):
            raise DocumentUnavailable(
                f"no {'semiannual report' if kind == 'semiannual_memo' else 'checkpoint'} {member or ''} is recorded",
                f"ยังไม่มี{'รายงานรอบ ๖ เดือน/๑๒ เดือน' if kind == 'semiannual_memo' else 'บันทึกการกำกับติดตาม'}"
                f"{' ลำดับที่ ' + to_thai_digits(str(member)) if member else ''} ของงานนี้")
        record = found[index]
    return Sources(ctx.wording, ctx.organization, ctx.procedure, ctx.fiscal_year, ctx.task_id, ctx.steps,
                   ctx.history, ctx.people, record, ctx.meetings)


def _check(kind: str, fmt: str) -> None:
    if kind not in KINDS:
        raise UsageError("KIND", f"'{kind}' is not a document kind ({', '.join(KINDS)})",
                         f"ไม่รู้จักประเภทเอกสารนี้ (รหัส {', '.join(KINDS)})")
    if fmt not in FORMATS:
        raise UsageError("--format", f"'{fmt}' is not docx or pdf", "รูปแบบไฟล์ต้องเป็น docx หรือ pdf")


# --------------------------------------------------------------------------- the interface

def model_of(app: Any, fiscal_year: int, task_id: str, kind: str, *, member: int | None = None) -> DocumentModel:
    _check(kind, "docx")
    return build(kind, _sources(_context(app, fiscal_year, task_id), kind, member), member)


def documents_of(app: Any, fiscal_year: int, task_id: str, lang: str = "th") -> list[DocumentRef]:
    """Every document the process's record can give now, each with the sha256 of its DOCX."""
    ctx = _context(app, fiscal_year, task_id)
    out = []
    for kind in KINDS:
        for member, label in _copies(ctx, kind):
            try:
                model = build(kind, _sources(ctx, kind, member), member)
            except DocumentUnavailable:
                continue
            data = _docx(model, ctx)
            wording = ctx.wording.of(kind)
            title = wording.title.get(lang) if wording else kind
            out.append(DocumentRef(kind, member, title, model.number,
                                   dt.date.fromisoformat(model.date) if model.date else None,
                                   hashlib.sha256(data).hexdigest(), label))
    return out


def _copies(ctx: _Context, kind: str) -> list[tuple[int | None, str]]:
    if kind == "letter":
        letters = (ctx.steps.get("send_notifications") or {}).get("letters") or []
        return [(i, str(x.get("member", ""))) for i, x in enumerate(letters, 1) if isinstance(x, dict)]
    if kind == "semiannual_memo":
        return [(i, r["round_title"]) for i, r in enumerate(ctx.reports, 1)]
    if kind == "checkpoint_record":
        return [(i, f"{r['round_title']} {r['subject_title']}".strip()) for i, r in enumerate(ctx.checkpoints, 1)]
    if kind in KIND_TRIGGER and not ctx.steps.get(KIND_TRIGGER[kind]):
        return []
    return [(None, "")]


def render(app: Any, fiscal_year: int, task_id: str, kind: str, *, member: int | None = None,
           fmt: str = "docx") -> Rendered:
    """The document of the recorded evidence: the same bytes every time for the same record."""
    _check(kind, fmt)
    ctx = _context(app, fiscal_year, task_id)
    model = build(kind, _sources(ctx, kind, member), member)
    return _rendered(model, _docx(model, ctx), fiscal_year, task_id, member, fmt)


def draft(app: Any, fiscal_year: int, task_id: str, kind: str, evidence_values: dict,
          member: int | None = None, fmt: str = "docx") -> Rendered:
    """The document as it would be if the step were recorded with ``evidence_values`` now
    (the form's values, checked as the step checks them); nothing is recorded."""
    _check(kind, fmt)
    trigger = KIND_TRIGGER.get(kind)
    if trigger is None:
        raise UsageError("KIND", f"a {kind} is drafted from the calendar's form, not a step's",
                         "เอกสารประเภทนี้ร่างจากแบบฟอร์มในปฏิทิน ไม่ใช่จากขั้นตอนของกระบวนการ")
    ctx = _context(app, fiscal_year, task_id)
    spec = next((t for t in ctx.procedure.transitions if t.trigger == trigger), None)
    if spec is None:
        raise UsageError("KIND", f"the procedure has no step {trigger}", "ขั้นตอนการดำเนินงานไม่มีขั้นตอนนี้")
    if not isinstance(evidence_values, dict):
        raise EvidenceInvalid(trigger, [])
    ctx.steps = {**ctx.steps, trigger: validate_evidence(trigger, spec.evidence, evidence_values)}
    if trigger == "record_meeting":
        ctx.meetings += 1
    model = build(kind, _sources(ctx, kind, member), member)
    return _rendered(model, _docx(model, ctx), fiscal_year, task_id, member, fmt, prefix="ร่าง-")


def _docx(model: DocumentModel, ctx: _Context) -> bytes:
    from engine.documents.docx import render_docx

    lh = ctx.organization.letterhead
    return render_docx(model, ctx.garuda, author=lh.office_name if lh else ctx.organization.title.th)


def _rendered(model: DocumentModel, data: bytes, fy: int, task: str, member: int | None, fmt: str,
              prefix: str = "") -> Rendered:
    name = f"{prefix}{fy}-{task}-{model.kind}{'-' + str(member) if member else ''}"
    if fmt == "pdf":
        data = pdf_of([data])[0]
        return Rendered(data, f"{name}.pdf", PDF_TYPE, hashlib.sha256(data).hexdigest())
    return Rendered(data, f"{name}.docx", DOCX_TYPE, hashlib.sha256(data).hexdigest())


_PDF_CACHE: OrderedDict[str, bytes] = OrderedDict()  # DOCX sha256 -> its PDF (the same DOCX, the same PDF)
_PDF_CACHE_SIZE = 128
_PDF_LOCK = threading.Lock()


def pdf_of(docx_list: list[bytes]) -> list[bytes]:
    """PDFs of DOCX files: the ones made before from the same bytes, the rest in one LibreOffice run.

    The public site serves drafted documents to anyone; without this every hit
    would start LibreOffice (1–5 s and ~200 MB). LibreOffice's output is made
    deterministic by ``engine.documents.pdf``, so a cached PDF is the PDF.
    """
    from engine.documents import pdf

    keys = [hashlib.sha256(d).hexdigest() for d in docx_list]
    with _PDF_LOCK:
        known = {k: _PDF_CACHE[k] for k in keys if k in _PDF_CACHE}
    todo = [(k, d) for k, d in zip(keys, docx_list) if k not in known]
    if todo:
        made = pdf.to_pdf([d for _k, d in todo])
        with _PDF_LOCK:
            for (k, _d), data in zip(todo, made):
                known[k] = _PDF_CACHE[k] = data
                _PDF_CACHE.move_to_end(k)
            while len(_PDF_CACHE) > _PDF_CACHE_SIZE:
                _PDF_CACHE.popitem(last=False)
    return [known[k] for k in keys]
