"""The API's routes for seals: the proof file of one record (signed in), and, public,
the service's verifier keys and the checkpoints it signed (anyone keeping them is a
witness: a split view shows as two checkpoints of one size, or two that are not
consistent).

The key directory is ``RUAM_KEY_DIR``, else ``ruam-keys/`` next to a SQLite database
(``engine.audit.keys.default_key_dir``), as for ``ruam audit key``.
"""

from __future__ import annotations

import os
from pathlib import Path as FilePath

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse

from engine.web.api import ERRORS, SignedIn, web_of

router = APIRouter(prefix="/api")


def _keys(request: Request):
    from engine.audit.keys import Keys, default_key_dir, office_key_dir

    given = os.environ.get("RUAM_KEY_DIR")
    app = web_of(request).app
    return Keys(office_key_dir(FilePath(given) if given else default_key_dir(app.store.url), app.store.office_code))


@router.get("/audit/proof/{seq}", tags=["audit"], responses=ERRORS, response_class=PlainTextResponse)
def proof(request: Request, who: SignedIn, seq: int = Path(ge=1, le=2**62, description="the record's number")):
    """The record's proof file (C2SP ``tlog-proof``: the record, its index, its inclusion path and the
    newest signed checkpoint covering it), ``text/plain``; check it offline with ``ruam audit check-proof``.
    404 if there is no such record or no seal covers it yet."""
    from engine.audit.seals import prove

    text = prove(web_of(request).app, seq).text()
    return PlainTextResponse(text, headers={"Content-Disposition": f'attachment; filename="ruam-{seq}.tlog-proof"'})


@router.get("/public/audit/keys", tags=["audit"], responses=ERRORS)
def keys(request: Request) -> dict:
    """Public: the service's verifier keys (``active`` signs now; ``retired`` ones checked older checkpoints)."""
    return {"keys": [{"key": v.text(), "status": s} for v, s in _keys(request).listed()]}


@router.get("/public/audit/checkpoints", tags=["audit"], responses=ERRORS)
def checkpoints(request: Request, limit: int = Query(default=20, ge=1, le=500)) -> list[dict]:
    """Public: the checkpoints the service signed, newest first (``size``, ``note``: the signed text, and
    ``signed_at``). Keep them: ``ruam audit verify --since FILE`` starts from one."""
    from engine.audit.seals import checkpoints as signed

    return [{"size": r["size"], "note": r["note"], "signed_at": r["signed_at"]}
            for r in signed(web_of(request).app)[:limit]]


@router.get("/public/audit/checkpoints/{size}", tags=["audit"], responses=ERRORS, response_class=PlainTextResponse)
def checkpoint_file(request: Request, size: int = Path(ge=0, le=2**62)):
    """Public: one signed checkpoint as a file (for ``ruam audit verify --since FILE``); 404 if none of that size."""
    from engine.audit.seals import checkpoints as signed
    from workflow.errors import NotFound

    found = next((r for r in signed(web_of(request).app) if r["size"] == size), None)
    if found is None:
        raise NotFound("checkpoint", str(size), "จุดตรวจขนาด")
    return PlainTextResponse(found["note"], headers={
        "Content-Disposition": f'attachment; filename="ruam-{size}.checkpoint"'})
