"""The drafted documents the public site serves as PDF.

``render_public`` calls ``engine.documents.service.render(app, fy, task, kind,
member=…, fmt="pdf")`` for a document ``engine.ita.elements.drafted_documents``
lists for the task; any other answers ``DocumentsNotAvailable`` (404, in Thai).
"""

from __future__ import annotations

from typing import Any

from engine.app import Ruam
from workflow.errors import NotFound

KINDS = ("appointment", "letter", "minutes", "report", "semiannual_memo", "checkpoint_record")


class DocumentsNotAvailable(NotFound):
    def __init__(self, what: str) -> None:
        super().__init__("document", what, "เอกสาร")


def render_public(app: Ruam, fiscal_year: int, task_id: str, kind: str, member: int | None = None) -> Any:
    """The PDF of one drafted document of the task (bytes, filename, media_type, sha256)."""
    from engine.ita.elements import drafted_documents

    what = f"{fiscal_year}/{task_id}/{kind}" + (f"/{member}" if member is not None else "")
    if kind not in KINDS:
        raise DocumentsNotAvailable(what)
    listed = [d for d in drafted_documents(app, fiscal_year, task_id) if d.kind == kind and d.member == member]
    if not listed:
        raise DocumentsNotAvailable(what)
    from engine.documents import service  # noqa: PLC0415

    return service.render(app, fiscal_year, task_id, kind, member=member, fmt="pdf")
