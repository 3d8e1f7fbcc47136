"""RFC 7807 problem details from Ruam's typed errors, naming each bad field."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from workflow.errors import Conflict, EvidenceInvalid, RuamError, UsageError

PROBLEM_JSON = "application/problem+json"


class NotSignedIn(RuamError):
    code = "not_signed_in"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("sign in first, or send 'Authorization: Bearer TOKEN'",
                         "โปรดเข้าสู่ระบบก่อน หรือส่ง 'Authorization: Bearer TOKEN'")


class Forbidden(RuamError):
    """The signed-in person holds no role that covers this page or action."""

    code = "forbidden"
    http_status = 403

    def __init__(self, what_en: str, what_th: str) -> None:
        super().__init__(f"you may not {what_en}", f"คุณไม่มีสิทธิ์{what_th}")


class CsrfRefused(RuamError):
    code = "csrf"
    http_status = 403

    def __init__(self) -> None:
        super().__init__("the form has expired or did not come from Ruam; reload the page and try again",
                         "แบบฟอร์มหมดอายุหรือไม่ได้มาจากระบบ โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง")


class RateLimited(RuamError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, seconds: int) -> None:
        self.retry_after = seconds
        super().__init__(f"too many requests; try again in {seconds} seconds",
                         f"ส่งคำขอถี่เกินไป โปรดลองใหม่ในอีก {seconds} วินาที")


def problem_body(exc: RuamError, lang: str, instance: str | None = None) -> dict:
    body: dict = {"type": f"/problems/{exc.code}", "title": exc.code, "status": exc.http_status,
                  "detail": exc.message(lang), "code": exc.code}
    if instance:
        body["instance"] = instance
    details = exc.details()
    errors = []
    if hasattr(exc, "field_problems"):  # problems already worded in both languages
        errors = exc.field_problems(lang)
    elif isinstance(exc, EvidenceInvalid):
        errors = [{"field": p.field, "problem": _worded(p.problem, p.problem_th, lang)} for p in exc.problems]
    elif isinstance(exc, UsageError):
        errors = [{"field": exc.field, "problem": exc.message(lang).partition(": ")[2] or exc.message(lang)}]
    elif "problems" in details:
        errors = [{k: _worded(p.get(k), p.get("problem_th"), lang) if k == "problem" else p.get(k)
                   for k in ("field", "problem", "file", "line") if p.get(k) is not None}
                  for p in details["problems"]]
    if errors:
        body["errors"] = errors
    if isinstance(exc, Conflict):
        body["expected_version"], body["current_version"] = exc.expected, exc.found
    return body


def _worded(problem, problem_th, lang: str):
    return problem_th if lang == "th" and problem_th else problem


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get("ruam_lang")
    return "en" if asked == "en" else "th"


def problem_response(exc: RuamError, request: Request) -> JSONResponse:
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, NotSignedIn):
        headers["WWW-Authenticate"] = 'Bearer realm="ruam"'
    return JSONResponse(problem_body(exc, lang_of(request), request.url.path), status_code=exc.http_status,
                        media_type=PROBLEM_JSON, headers=headers)


def validation_response(exc: RequestValidationError, request: Request) -> JSONResponse:
    th = lang_of(request) == "th"
    errors = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]
        errors.append({"field": ".".join(loc) or "body", "problem": err.get("msg", "invalid")})
    detail = "; ".join(f"{e['field']}: {e['problem']}" for e in errors)
    body = {"type": "/problems/usage", "title": "usage", "status": 422, "code": "usage",
            "detail": ("คำขอไม่ถูกต้อง: " if th else "the request is not valid: ") + detail,
            "errors": errors, "instance": request.url.path}
    return JSONResponse(body, status_code=422, media_type=PROBLEM_JSON)
