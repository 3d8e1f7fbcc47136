"""The public page of the ledger's seals (``/public/seals``, no sign-in): the service's
public keys and the checkpoints it signed, so anyone can keep them and act as a witness
(docs/audit.md). The same data as ``GET /api/public/audit/keys`` and ``/api/public/audit/checkpoints``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from engine.web.api_seals import _keys
from engine.web.auth import caller
from engine.web.pages import render, web_of

router = APIRouter(include_in_schema=False)


@router.get("/public/seals")
def public_seals(request: Request) -> Response:
    from engine.audit.seals import checkpoints

    web = web_of(request)
    import base64

    rows = [r | {"root_b64": base64.b64encode(bytes.fromhex(r["root"])).decode()} for r in checkpoints(web.app)[:50]]
    return render(request, "public_seals.html", who=caller(request, web.accounts),
                  keys=_keys(request).listed(), checkpoints=rows)
