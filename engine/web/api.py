"""The HTTP API. Every route resolves the caller, checks what their role
assignments cover, and calls the engine; the engine re-checks authority itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from pydantic import BaseModel, Field

from engine.audit import verify
from engine.board import index, visible
from engine.feedback import public_processes, public_summary, receive_feedback, require_process
from engine.web.auth import Caller, client_ip, require_caller
from engine.web.problems import Forbidden
from workflow.errors import Conflict, InvalidTransition, UsageError
from workflow.fiscal import fiscal_year_be, parse_moment

router = APIRouter(prefix="/api")

PROBLEM = {"description": "problem details (application/problem+json)",
           "content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {s: PROBLEM for s in (401, 403, 404, 409, 422, 429)}


def web_of(request: Request):
    return request.app.state.web


def signed_in(request: Request) -> Caller:
    return require_caller(request, web_of(request).accounts)


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


@contextmanager
def stale_is_conflict(request: Request, pid: str, expected: int) -> Iterator[None]:
    """A stale version is a conflict, even when the step is no longer possible at all
    (the engine checks the step's legality before the version)."""
    try:
        yield
    except InvalidTransition:
        current = web_of(request).app.process(pid)["version"]
        if expected != current:
            raise Conflict(pid, expected, current) from None
        raise


def moment(text: str | None, name: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise UsageError(name, str(exc)) from None


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


def _record(rec) -> dict:
    return rec.body() | {"hash": rec.hash}


# ---------------------------------------------------------------------------- me
@router.get("/me", tags=["accounts"], responses=ERRORS)
def me(who: SignedIn) -> dict:
    v = who.viewer
    return {"id": v.id, "name": v.name, "position": v.position, "via": who.via,
            "assignments": [{"id": a.id, "role": a.role, "scope": a.scope} for a in v.assignments]}


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


@router.post("/processes/{fiscal_year}/{task_id}/advance", tags=["processes"], responses=ERRORS)
def advance(request: Request, fiscal_year: int, task_id: str, body: AdvanceIn,
            who: SignedIn) -> dict:
    must_see(request, who, task_id)
    pid = process_id(fiscal_year, task_id)
    with stale_is_conflict(request, pid, body.expected_version):
        rec = web_of(request).app.advance(pid, body.trigger, who.viewer.id, body.evidence, body.note,
                                          body.expected_version)
    return _record(rec)


@router.post("/processes/{fiscal_year}/{task_id}/send-back", tags=["processes"], responses=ERRORS)
def send_back(request: Request, fiscal_year: int, task_id: str, body: ReasonIn,
              who: SignedIn) -> dict:
    must_see(request, who, task_id)
    pid = process_id(fiscal_year, task_id)
    with stale_is_conflict(request, pid, body.expected_version):
        return _record(web_of(request).app.send_back(pid, who.viewer.id, body.reason, body.expected_version))


@router.post("/processes/{fiscal_year}/{task_id}/cancel", tags=["processes"], responses=ERRORS)
def cancel(request: Request, fiscal_year: int, task_id: str, body: ReasonIn,
           who: SignedIn) -> dict:
    must_see(request, who, task_id)
    pid = process_id(fiscal_year, task_id)
    with stale_is_conflict(request, pid, body.expected_version):
        return _record(web_of(request).app.cancel(pid, who.viewer.id, body.reason, body.expected_version))


@router.post("/attachments", tags=["processes"], responses=ERRORS)
async def upload(request: Request, file: Annotated[UploadFile, File()], who: SignedIn) -> dict:
    """Store a file by its sha256; name it in evidence as ``{"sha256": …}``."""
    must_hold(who, ("responsible_officer", "group_director"), "upload evidence", "แนบไฟล์หลักฐาน")
    content = await file.read()
    return web_of(request).app.store_attachment(content, file.filename or "file", file.content_type)


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


@router.post("/public/processes/{fiscal_year}/{task_id}/feedback", tags=["public"], responses=ERRORS,
             status_code=201)
def public_feedback(request: Request, fiscal_year: int, task_id: str, body: FeedbackIn) -> dict:
    """Send an opinion; it lands in the ledger and in the task's feedback review."""
    web = web_of(request)
    web.feedback_ip.hit(client_ip(request))
    rec = receive_feedback(web.app, process_id(fiscal_year, task_id), body.opinion, body.name)
    return {"id": rec.data["opinion"], "received_at": rec.at}
