"""What the process page shows of the office's documents: which step drafts which
document, and the documents of the recorded evidence with their sha256 (kept while
the ledger does not move, since each one is a render)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from workflow.documents import KIND_TRIGGER
from workflow.errors import RuamError

# trigger -> the document kind its form drafts
DRAFTS = {trigger: kind for kind, trigger in KIND_TRIGGER.items()}
_SEEN: OrderedDict = OrderedDict()
_KEEP = 64


def recorded_documents(app: Any, fiscal_year: int, task_id: str, lang: str) -> list:
    """``engine.documents.service.documents_of``, remembered until the next ledger record."""
    from engine.documents.service import documents_of

    key = (id(app), fiscal_year, task_id, lang, app.ledger_head()[0], app.definitions_generation)
    if key in _SEEN:
        _SEEN.move_to_end(key)
        return _SEEN[key]
    try:
        found = documents_of(app, fiscal_year, task_id, lang)
    except RuamError as exc:  # e.g. the office's Garuda file unreadable: the page still shows, and says so
        app.log.warning("documents.unavailable", process=f"{fiscal_year}/{task_id}", error=exc.message("en"))
        return []
    _SEEN[key] = found
    while len(_SEEN) > _KEEP:
        _SEEN.popitem(last=False)
    return found


def document_response(rendered: Any) -> Any:
    """A rendered document as a download: its own type, its Thai name, its sha256 as the ETag."""
    from fastapi.responses import Response

    from engine.web.downloads import content_disposition

    return Response(rendered.content, media_type=rendered.media_type, headers={
        "Content-Disposition": content_disposition(rendered.filename, rendered.sha256),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "ETag": f'"{rendered.sha256}"',
        "X-Document-Sha256": rendered.sha256,
    })
