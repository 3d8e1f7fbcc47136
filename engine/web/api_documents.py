"""/api/processes/{fy}/{task}/documents: the office's documents of a process — the list with
each DOCX's sha256, one document (DOCX or PDF), and a draft from a step's evidence that
records nothing."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from engine.web.api import ERRORS, SignedIn, must_see, web_of
from engine.web.documents_view import document_response, recorded_documents
from engine.web.problems import lang_of

router = APIRouter(prefix="/api", tags=["documents"])

FILE = {200: {"description": "the document (DOCX or PDF); its sha256 in ETag and X-Document-Sha256",
              "content": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document": {},
                          "application/pdf": {}}}}


class DraftIn(BaseModel):
    evidence: dict[str, Any] = Field(description="the step's evidence as the form holds it now (not recorded)")
    member: int | None = Field(None, ge=1, description="which letter, counted from 1")
    format: Literal["docx", "pdf"] = "docx"


@router.get("/processes/{fiscal_year}/{task_id}/documents", responses=ERRORS)
def list_documents(request: Request, fiscal_year: int, task_id: str, who: SignedIn) -> list[dict]:
    """The documents the process's record gives now: kind, member, title, number, date (ISO), sha256."""
    must_see(request, who, task_id)
    return [asdict(r) for r in recorded_documents(web_of(request).app, fiscal_year, task_id, lang_of(request))]


@router.get("/processes/{fiscal_year}/{task_id}/documents/{kind}", responses=ERRORS | FILE,
            response_class=Response)
def get_document(request: Request, fiscal_year: int, task_id: str, kind: str, who: SignedIn,
                 member: int | None = Query(None, ge=1),
                 format: Literal["docx", "pdf"] = "docx") -> Response:
    """One document of the recorded evidence: the same bytes every time."""
    from engine.documents.service import render

    must_see(request, who, task_id)
    return document_response(render(web_of(request).app, fiscal_year, task_id, kind, member=member, fmt=format))


@router.post("/processes/{fiscal_year}/{task_id}/documents/{kind}/draft", responses=ERRORS | FILE,
             response_class=Response)
async def draft_document(request: Request, fiscal_year: int, task_id: str, kind: str, body: DraftIn,
                         who: SignedIn) -> Response:
    """The document as the step would give it with these values; nothing is recorded."""
    from engine.documents.service import draft

    def run():
        must_see(request, who, task_id)
        return draft(web_of(request).app, fiscal_year, task_id, kind, body.evidence, member=body.member,
                     fmt=body.format)

    return document_response(await run_in_threadpool(run))
