"""The API's routes for API tokens: list them (never a secret), revoke one.

Issuing stays with the local operator (``ruam people token``): a token is shown
once, to whoever runs that command. Revoking is an account change like issuing,
so like issuing it is a log event (``account.token_revoked``), not a ledger record.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from engine.web.api import ERRORS, SignedIn, web_of

router = APIRouter(prefix="/api")

TOKEN_ID = Path(pattern=r"^[0-9a-f]{16}$", description="the token's id, from GET /api/tokens")


@router.get("/tokens", tags=["accounts"], responses=ERRORS)
def list_tokens(request: Request, who: SignedIn,
                person: str | None = Query(default=None, max_length=64, description="one person's tokens"),
                include_revoked: bool = Query(default=False, description="revoked tokens too")) -> list[dict]:
    """API tokens: ``id``, ``person``, ``person_name``, ``label``, ``created_at``, ``last_used_at``
    (to the minute), ``revoked_at``, ``revoked_by``, ``active`` — never the secret. Admins and
    auditors see everyone's; anyone else their own (another ``person`` is 403)."""
    return web_of(request).accounts.tokens(person, include_revoked, asked_by=who.viewer.id)


@router.post("/tokens/{token_id}/revoke", tags=["accounts"], responses=ERRORS)
def revoke_token(request: Request, token_id: Annotated[str, TOKEN_ID], who: SignedIn) -> dict:
    """Revoke a token: refused from the next request on in this server process, within
    ``RUAM_AUTH_CACHE_SECONDS`` in any other. An admin revokes anyone's, a person their own
    (the token making the call included); another's is 404, one revoked before 409."""
    return web_of(request).accounts.revoke_token(token_id, by=who.viewer.id)
