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


def published_seqs(app, fiscal_year: int, task_id: str, el=None) -> set[int]:
    """The ledger records behind the documents the task's public page publishes (drafted PDFs
    and the signed scans marked public): the only records whose proofs the public site gives."""
    from engine.ita import public as site

    el = el if el is not None else site.task_page(app, fiscal_year, task_id)
    docs = list(el.documents) + [a for a in el.attachments if a.public]
    return {d.seq for d in docs if d.seq}


def sealed_size(app) -> int:
    """How many of the office's records its newest signed checkpoint covers (0: none yet)."""
    from engine.audit.seals import checkpoints

    signed = checkpoints(app)
    return signed[0]["size"] if signed else 0


@router.get("/public/{fiscal_year}/{task_id}/proofs/{seq}")
def public_proof(request: Request, fiscal_year: int, task_id: str, seq: int) -> Response:
    """The inclusion proof (C2SP tlog-proof) of the record a published document comes from,
    against the newest signed checkpoint covering it: ``ruam audit check-proof FILE --key KEY``
    checks it with no database. Records behind nothing published answer 404."""
    from engine.audit.seals import prove
    from workflow.errors import NotFound

    app = web_of(request).app
    if seq not in published_seqs(app, fiscal_year, task_id):
        raise NotFound("published record", f"{fiscal_year}/{task_id}/{seq}", "บันทึกของเอกสารที่เผยแพร่")
    proof = prove(app, seq)
    name = f"{fiscal_year}-{task_id}-record-{seq}.proof"
    return Response(proof.text(), media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "public, max-age=300"})
