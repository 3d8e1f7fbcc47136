"""The HTTP API. Every route resolves the caller, checks what their role
assignments cover, and calls the engine; the engine re-checks authority itself."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from engine.accounts import CacheMiss
from engine.attachments import process_attachments, read_attachment
from engine.audit.live import history, replay_as_of, verify
from engine.board import calendar_for, index, visible
from engine.calendar_items import record_checkpoint, submit_report
from engine.feedback import public_processes, public_summary, receive_feedback, require_process
from engine.web.auth import (
    FEEDBACK_TOKEN_SECONDS,
    HONEYPOT,
    SESSION_COOKIE,
    Caller,
    check_feedback_form,
    client_ip,
    feedback_purpose,
    require_caller,
)
from engine.web.downloads import download
from engine.web.problems import Forbidden, lang_of
from workflow.errors import UsageError
from workflow.fiscal import fiscal_year_be, parse_moment, to_arabic_digits

router = APIRouter(prefix="/api")

PROBLEM = {"description": "problem details (application/problem+json)",
           "content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {s: PROBLEM for s in (401, 403, 404, 409, 422, 429)}


def web_of(request: Request):
    # the request's office's (engine.web.offices.OfficeRouter), else the default office's
    return request.scope.get("state", {}).get("ruam_web") or request.app.state.web


async def signed_in(request: Request) -> Caller:
    """Who is asking. On the event loop when Accounts remembers the token or session and
    the person (no database): a synchronous dependency cost each request a second trip
    through the thread pool. Otherwise in a worker thread, as before."""
    accounts = web_of(request).accounts
    try:
        return require_caller(request, accounts, cached_only=True)
    except CacheMiss:
        return await run_in_threadpool(require_caller, request, accounts)


SignedIn = Annotated[Caller, Depends(signed_in)]


def process_id(fiscal_year: int, task_id: str) -> str:
    return f"{fiscal_year}/{task_id}"


def must_see(request: Request, who: Caller, task_id: str) -> None:
    if not who.viewer.sees_task(web_of(request).organization(), task_id):
        raise Forbidden(f"see or act on {task_id}: no role of yours covers its group",
                        f"ดูหรือดำเนินการงาน {task_id}: คุณไม่มีบทบาทในกลุ่มของงานนี้")


def must_hold(who: Caller, roles: tuple[str, ...], what_en: str, what_th: str) -> None:
    if not who.viewer.holds(*roles):
        raise Forbidden(f"{what_en} (needs one of: {', '.join(roles)})",
                        f"{what_th} (ต้องมีบทบาท: {', '.join(roles)})")


def as_of_moment(text: str, name: str) -> dt.datetime:
    """A date means the end of that day in Bangkok (as an auditor's "as at 31 March");
    a date-time is taken as given."""
    found = moment(text, name)
    if found is None:
        raise UsageError(name, "is required", "ต้องระบุ")
    raw = to_arabic_digits(text.strip())
    if "T" not in raw and " " not in raw:
        try:
            found = found + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
        except OverflowError:
            raise UsageError(name, f"'{text}' is out of range", f"'{text}' อยู่นอกช่วงที่รองรับ") from None
    return found


def moment(text: str | None, name: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return parse_moment(text)
    except (ValueError, OverflowError) as exc:
        raise UsageError(name, str(exc), getattr(exc, "th", None)) from None


# ---------------------------------------------------------------------------- bodies
class AdvanceIn(BaseModel):
    trigger: str = Field(min_length=1, max_length=64)
    evidence: dict[str, Any] = Field(default_factory=dict)
    note: str | None = Field(default=None, max_length=2000)
    expected_version: int = Field(ge=0, description="the version you read; 409 if it has changed")


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=5000)
    expected_version: int = Field(ge=0)


class PersonIn(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=256)
    position: str = Field(default="", max_length=256)
    email: str | None = Field(default=None, max_length=256)


class AssignIn(BaseModel):
    role: str = Field(min_length=1, max_length=64)
    scope: str | None = Field(default=None, max_length=128)
    valid_from: str | None = Field(default=None, max_length=40, description="Bangkok time; BE or CE")
    valid_until: str | None = Field(default=None, max_length=40)


class EndIn(BaseModel):
    until: str | None = Field(default=None, max_length=40)


class DocumentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="file name, for messages")
    text: str = Field(min_length=1, max_length=2_000_000, description="the YAML document")


class DefinitionsIn(BaseModel):
    documents: list[DocumentIn] = Field(min_length=1, max_length=10)


class FeedbackIn(BaseModel):
    opinion: str = Field(min_length=1, max_length=5000)
    name: str | None = Field(default=None, max_length=200)
    token: str = Field(min_length=1, max_length=200,
                       description="from GET …/feedback-token: good for one opinion, sent no sooner than its "
                                   "not_before and before its expires_at")
    website: str = Field(default="", max_length=2000,
                         description="leave it out or empty: the page form's hidden field, which bots fill")


class FileRef(BaseModel):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="from POST /api/attachments")
    name: str = Field(default="", max_length=200)
    size: int | None = Field(default=None, ge=0)


class ReportIn(BaseModel):
    summary: str = Field(min_length=1, max_length=20000, description="the summary of the round's results")
    document: str | None = Field(default=None, max_length=500, description="the signed report's reference")
    item: str | None = Field(default=None, max_length=64, description="the report item, if the calendar has several")
    files: list[FileRef] = Field(default_factory=list, max_length=20)


class TaskFindingIn(BaseModel):
    task: str = Field(min_length=1, max_length=128)
    findings: str = Field(min_length=1, max_length=20000)
    advice: str = Field(min_length=1, max_length=20000)


class CheckpointIn(BaseModel):
    findings: str = Field(min_length=1, max_length=20000)
    advice: str = Field(min_length=1, max_length=20000)
    held_on: dt.date | None = Field(default=None, description="the day of the supervision visit or meeting")
    tasks: list[TaskFindingIn] = Field(default_factory=list, max_length=500,
                                       description="a group's checkpoint: findings and advice for every task")
    files: list[FileRef] = Field(default_factory=list, max_length=20)


def _record(rec) -> dict:
    return rec.body() | {"hash": rec.hash}


# ---------------------------------------------------------------------------- me
@router.get("/me", tags=["accounts"], responses=ERRORS)
def me(who: SignedIn) -> dict:
    v = who.viewer
    return {"id": v.id, "name": v.name, "position": v.position, "via": who.via,
            "assignments": [{"id": a.id, "role": a.role, "scope": a.scope} for a in v.assignments]}


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024, description="at least 10 characters, unlike the current one")
    new_password_again: str | None = Field(default=None, max_length=1024,
                                           description="if given, must equal new_password")


@router.post("/me/password", tags=["accounts"], responses=ERRORS)
def change_password(request: Request, body: PasswordChangeIn, who: SignedIn) -> dict:
    """Change your own password. A wrong current password counts as a failed sign-in (5 in 15 minutes
    lock the account); 20 attempts per address per 5 minutes. Every other web session of yours ends;
    the session making the call (if any) and API tokens stay."""
    web = web_of(request)
    web.password_ip.hit(client_ip(request))
    keep = request.cookies.get(SESSION_COOKIE) if who.via == "session" else None
    ended = web.accounts.change_password(who.viewer.id, body.current_password, body.new_password,
                                         body.new_password_again, keep_session=keep)
    return {"person": who.viewer.id, "other_sessions_ended": ended}


# ---------------------------------------------------------------------------- processes
@router.get("/processes", tags=["processes"], responses=ERRORS)
def list_processes(request: Request, who: SignedIn,
                   fiscal_year: int | None = Query(default=None, ge=2400, le=2800),
                   group: str | None = Query(default=None, max_length=128),
                   state: str | None = Query(default=None, max_length=64)) -> list[dict]:
    web = web_of(request)
    idx = index(web.organization())
    rows = web.app.processes(fiscal_year, group, state)
    return [r for r in rows if visible(who.viewer, idx, r["task_id"])]


@router.get("/processes/{fiscal_year}/{task_id}", tags=["processes"], responses=ERRORS)
def show_process(request: Request, fiscal_year: int, task_id: str, who: SignedIn) -> dict:
    """State, history, and the triggers the caller may fire now with their evidence fields."""
    must_see(request, who, task_id)
    return web_of(request).app.process(process_id(fiscal_year, task_id), who.viewer.id)


RECORD = {200: {"description": "the ledger record the step appended: seq, prev_hash, kind, at, actor, role, "
                                "responsible, process, data, hash",
                 "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}}}}


async def _step(request: Request, who: Caller, task_id: str, fire) -> Response:
    """Run a step in one trip to the thread pool, and answer with its record as JSON
    made once (orjson). A synchronous route takes two trips (FastAPI validates its
    return value in the pool as well), and a returned dict is validated, converted
    and encoded again: together a visible share of a step's time."""

    def run():
        must_see(request, who, task_id)
        return fire(web_of(request).app)

    rec = await run_in_threadpool(run)
    return Response(orjson.dumps(_record(rec)), media_type="application/json")


@router.post("/processes/{fiscal_year}/{task_id}/advance", tags=["processes"], response_model=None,
             responses=ERRORS | RECORD)
async def advance(request: Request, fiscal_year: int, task_id: str, body: AdvanceIn,
                  who: SignedIn) -> Response:
    pid = process_id(fiscal_year, task_id)
    return await _step(request, who, task_id, lambda app: app.advance(
        pid, body.trigger, who.viewer.id, body.evidence, body.note, body.expected_version))


@router.post("/processes/{fiscal_year}/{task_id}/send-back", tags=["processes"], response_model=None,
             responses=ERRORS | RECORD)
async def send_back(request: Request, fiscal_year: int, task_id: str, body: ReasonIn,
                    who: SignedIn) -> Response:
    pid = process_id(fiscal_year, task_id)
    return await _step(request, who, task_id,
                       lambda app: app.send_back(pid, who.viewer.id, body.reason, body.expected_version))


@router.post("/processes/{fiscal_year}/{task_id}/cancel", tags=["processes"], response_model=None,
             responses=ERRORS | RECORD)
async def cancel(request: Request, fiscal_year: int, task_id: str, body: ReasonIn,
                 who: SignedIn) -> Response:
    pid = process_id(fiscal_year, task_id)
    return await _step(request, who, task_id,
                       lambda app: app.cancel(pid, who.viewer.id, body.reason, body.expected_version))


@router.post("/attachments", tags=["processes"], responses=ERRORS)
async def upload(request: Request, file: Annotated[UploadFile, File()], who: SignedIn) -> dict:
    """Store a file by its sha256; name it in evidence as ``{"sha256": …}``."""
    must_hold(who, ("responsible_officer", "group_director"), "upload evidence", "แนบไฟล์หลักฐาน")
    content = await file.read()
    return web_of(request).app.store_attachment(content, file.filename or "file", file.content_type)


@router.get("/processes/{fiscal_year}/{task_id}/attachments", tags=["processes"], responses=ERRORS)
def attachments(request: Request, fiscal_year: int, task_id: str, who: SignedIn) -> list[dict]:
    """The files the process's evidence names (step by step, oldest first), each with its download URL."""
    must_see(request, who, task_id)
    pid = process_id(fiscal_year, task_id)
    return [ref | {"url": f"/api/processes/{pid}/attachments/{ref['sha256']}"}
            for ref in process_attachments(web_of(request).app, pid)]


@router.get("/processes/{fiscal_year}/{task_id}/attachments/{sha256}", tags=["processes"],
            responses=ERRORS | {200: {"description": "the file, as a download (Content-Disposition: attachment)",
                                      "content": {"application/octet-stream": {}}}},
            response_class=Response)
def attachment(request: Request, fiscal_year: int, task_id: str,
               sha256: Annotated[str, Path(pattern=r"^[0-9a-fA-F]{64}$", description="the file's sha256")],
               who: SignedIn) -> Response:
    """Download a file the process's evidence names, for whoever may see the process; 404 for any
    other hash (stored or not)."""
    must_see(request, who, task_id)
    pid = process_id(fiscal_year, task_id)
    found = read_attachment(web_of(request).app, pid, sha256)
    web_of(request).app.log.info("attachment.downloaded", by=who.viewer.id, process=pid, sha256=found.sha256)
    return download(found)


# ---------------------------------------------------------------------------- people (admin)
@router.get("/people", tags=["people"], responses=ERRORS)
def people(request: Request, who: SignedIn) -> list[dict]:
    must_hold(who, ("admin", "auditor"), "list people", "ดูรายชื่อบุคคล")
    return web_of(request).app.people()


@router.post("/people", tags=["people"], responses=ERRORS, status_code=201)
def add_person(request: Request, body: PersonIn, who: SignedIn) -> dict:
    must_hold(who, ("admin",), "add people", "เพิ่มบุคคล")
    return _record(web_of(request).app.add_person(body.id, body.name, body.position, body.email,
                                                  actor=who.viewer.id))


@router.post("/people/{person_id}/assignments", tags=["people"], responses=ERRORS, status_code=201)
def assign(request: Request, person_id: str, body: AssignIn, who: SignedIn) -> dict:
    must_hold(who, ("admin",), "assign roles", "มอบหมายบทบาท")
    return _record(web_of(request).app.assign_role(person_id, body.role, body.scope or None,
                                                   moment(body.valid_from, "valid_from"),
                                                   moment(body.valid_until, "valid_until"), actor=who.viewer.id))


@router.post("/assignments/{assignment_id}/end", tags=["people"], responses=ERRORS)
def end_assignment(request: Request, assignment_id: int, body: EndIn, who: SignedIn) -> dict:
    must_hold(who, ("admin",), "end role assignments", "สิ้นสุดการมอบหมาย")
    return _record(web_of(request).app.end_assignment(assignment_id, moment(body.until, "until"),
                                                      actor=who.viewer.id))


@router.post("/definitions", tags=["people"], responses=ERRORS)
def load_definitions(request: Request, body: DefinitionsIn, who: SignedIn) -> list[dict]:
    """Validate, store and activate definition documents (procedure, organization, calendar)."""
    must_hold(who, ("admin",), "load definitions", "โหลดนิยาม")
    return web_of(request).app.register_definitions([(d.name, d.text) for d in body.documents],
                                                    actor=who.viewer.id)


# ---------------------------------------------------------------------------- audit
@router.get("/audit/verify", tags=["audit"], responses=ERRORS)
def audit_verify(request: Request, who: SignedIn) -> dict:
    """Hash chain intact, every step legal, the live state equal to the replay."""
    must_hold(who, ("auditor", "admin"), "run the audit", "ตรวจสอบบันทึก")
    return verify(web_of(request).app).as_dict()


@router.get("/audit/replay", tags=["audit"], responses=ERRORS)
def audit_replay(request: Request, who: SignedIn,
                 as_of: str = Query(min_length=1, max_length=40,
                                    description="a date (the end of that day, Bangkok) or a date-time; BE or CE")
                 ) -> dict:
    """Processes, role assignments and calendar items as they stood at a moment, replayed from the ledger."""
    must_hold(who, ("auditor", "admin"), "replay the ledger", "ย้อนดูสถานะจากบันทึก")
    return replay_as_of(web_of(request).app, as_of_moment(as_of, "as_of"))


@router.get("/audit/export", tags=["audit"], responses=ERRORS | {200: {
    "description": "the export file (a download); its seal is in the X-Ruam-Seal headers and at "
                   "/api/audit/exports/{export_id}/seal",
    "content": {"application/x-ndjson": {}, "text/csv": {}}}})
def audit_export(request: Request, who: SignedIn,
                 format: Literal["jsonl", "csv"] = Query(default="jsonl")) -> FileResponse:
    """Export the whole ledger (JSON Lines, or CSV for spreadsheets) with its seal to print and sign."""
    must_hold(who, ("auditor", "admin"), "export the ledger", "ส่งออกบันทึก")
    web = web_of(request)
    export_id, seal = web.exports.make(web.app, format, exported_by=who.viewer.id)
    web.app.log.info("audit.exported", by=who.viewer.id, export=export_id, records=seal["records"])
    return _export_file(web, export_id, "file", seal)


def _export_file(web, export_id: str, part: str, seal: dict) -> FileResponse:
    path = web.exports.file(export_id, part)
    media = ("application/x-ndjson" if path.name.endswith("jsonl") else "text/csv; charset=utf-8")
    return FileResponse(path, media_type=media, filename=path.name, headers={
        "X-Ruam-Export-Id": export_id, "X-Ruam-Seal": f"{seal['head_seq']}:{seal['head_hash']}",
        "X-Ruam-Seal-Records": str(seal["records"]), "X-Ruam-File-Sha256": seal.get("file_sha256", ""),
        "X-Ruam-Seal-Verdict": (seal.get("verdict") or {}).get("verdict", ""),
        "Cache-Control": "no-store"})


@router.get("/audit/exports/{export_id}/seal", tags=["audit"], responses=ERRORS)
def audit_seal(request: Request, export_id: str, who: SignedIn) -> dict:
    """The seal of an export made here: records, head, definitions, the file's sha256."""
    must_hold(who, ("auditor", "admin"), "read export seals", "ดูตราประทับการส่งออก")
    return web_of(request).exports.seal(export_id)


@router.get("/audit/exports/{export_id}/{part}", tags=["audit"], responses=ERRORS | {200: {
    "description": "the export file again, or the definitions beside a CSV export",
    "content": {"application/x-ndjson": {}, "text/csv": {}}}})
def audit_export_file(request: Request, export_id: str, part: Literal["file", "definitions"],
                      who: SignedIn) -> FileResponse:
    must_hold(who, ("auditor", "admin"), "download exports", "ดาวน์โหลดไฟล์ส่งออก")
    web = web_of(request)
    return _export_file(web, export_id, part, web.exports.seal(export_id))


@router.get("/audit/history/{fiscal_year}/{task_id}", tags=["audit"], responses=ERRORS)
def audit_history(request: Request, fiscal_year: int, task_id: str, who: SignedIn) -> dict:
    """One process's timeline from the ledger; each entry with its hash and whether it still matches."""
    if not who.viewer.holds("auditor", "admin"):
        must_see(request, who, task_id)
    return history(web_of(request).app, process_id(fiscal_year, task_id))


# ---------------------------------------------------------------------------- calendar
@router.get("/calendar", tags=["calendar"], responses=ERRORS)
def calendar(request: Request, who: SignedIn,
             fiscal_year: int | None = Query(default=None, ge=2400, le=2800),
             overdue: bool = Query(default=False, description="only the overdue items")) -> dict:
    """Reports and supervision checkpoints of a fiscal year with their status (scheduled, open, overdue,
    done, done_late, not_applicable), window, due day and people, as far as the caller's roles reach."""
    return calendar_for(web_of(request).app, who.viewer, fiscal_year, overdue, lang_of(request))


@router.post("/reports/{fiscal_year}/{task_id}/{round_id}", tags=["calendar"], responses=ERRORS,
             status_code=201)
def report(request: Request, fiscal_year: int, task_id: str, round_id: str, body: ReportIn,
           who: SignedIn) -> dict:
    """Submit a semiannual summary report (round h1 or h2); late if after its due day."""
    must_see(request, who, task_id)
    rec = submit_report(web_of(request).app, fiscal_year, task_id, round_id, who.viewer.id, body.summary,
                        body.document, body.item, [f.model_dump() for f in body.files])
    return _record(rec)


@router.post("/checkpoints/{item_id:path}", tags=["calendar"], responses=ERRORS, status_code=201)
def checkpoint(request: Request, item_id: str, body: CheckpointIn, who: SignedIn) -> dict:
    """Record a supervision checkpoint (``FY/ITEM/ROUND/SUBJECT``), or the committee's extra round
    (``FY/ITEM/extra``): findings and advice, and for a group's checkpoint one row per task of the group."""
    evidence = body.model_dump(exclude_none=True)
    rec = record_checkpoint(web_of(request).app, item_id, who.viewer.id, evidence)
    return _record(rec)


# ---------------------------------------------------------------------------- public
@router.get("/public/processes", tags=["public"], responses=ERRORS)
def public_list(request: Request, fiscal_year: int | None = Query(default=None, ge=2400, le=2800)) -> list[dict]:
    app = web_of(request).app
    return public_processes(app, fiscal_year or fiscal_year_be(app.now().date()))


@router.get("/public/processes/{fiscal_year}/{task_id}", tags=["public"], responses=ERRORS)
def public_show(request: Request, fiscal_year: int, task_id: str) -> dict:
    """What the task's committee did: published dates and summaries; names and positions only."""
    app = web_of(request).app
    require_process(app, process_id(fiscal_year, task_id))
    return public_summary(app, process_id(fiscal_year, task_id))


@router.get("/public/processes/{fiscal_year}/{task_id}/feedback-token", tags=["public"], responses=ERRORS)
def public_feedback_token(request: Request, fiscal_year: int, task_id: str) -> dict:
    """A signed form token for one opinion on this process, as the page's form carries: send it
    with the opinion no sooner than ``not_before`` and before ``expires_at``; it is good once."""
    web = web_of(request)
    pid = process_id(fiscal_year, task_id)
    require_process(web.app, pid)
    now = web.app.now()
    return {"token": web.signer.issue(feedback_purpose(pid)), "issued_at": now,
            "not_before": now + dt.timedelta(seconds=web.min_fill_seconds),
            "expires_at": now + dt.timedelta(seconds=FEEDBACK_TOKEN_SECONDS), "honeypot": HONEYPOT}


@router.post("/public/processes/{fiscal_year}/{task_id}/feedback", tags=["public"], responses=ERRORS,
             status_code=201)
def public_feedback(request: Request, fiscal_year: int, task_id: str, body: FeedbackIn) -> dict:
    """Send an opinion with a token from ``…/feedback-token``; it lands in the ledger and in the
    task's feedback review. Refused: a forged, foreign or expired token (403 ``csrf``), a filled
    ``website`` (422 ``honeypot``), sent sooner than ``not_before`` (422 ``too_quick``), too many
    from one address (429, ``Retry-After``), a token used before (409 ``form_token_used``)."""
    web = web_of(request)
    pid = process_id(fiscal_year, task_id)
    signed = check_feedback_form(web, request, pid, body.token, body.website)
    rec = receive_feedback(web.app, pid, body.opinion, body.name, form_token=(signed.id, signed.expires_at))
    return {"id": rec.data["opinion"], "received_at": rec.at}
