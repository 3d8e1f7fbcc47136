"""The pages a walk visits: every GET route of the web app outside /api (read from its
router, so a new page is visited without touching the walks), each with sample path
parameters and its other states; and a scene to visit them in. Used by the phone-width
walk (tests/test_browser_phone.py) and the Thai walk (tests/test_thai_walk.py)."""

from __future__ import annotations

import re
from urllib.parse import quote

from tests import steps

TASK = steps.TASK
GROUP_R1 = "2570/director_supervision/r1/mission_administration"
COMMITTEE_R1 = "2570/committee_supervision/r1/office"
VISITORS = [None, "officer_teacher_welfare", "director_administration", "deputy_4", "ktpn_1", "auditor", "admin"]

# a sample value for each path parameter of a page
PARAMS = {"fiscal_year": "2570", "task_id": TASK, "round_id": "h1", "item_id": GROUP_R1, "code": "en",
          "sha256": "0" * 64, "kind": "appointment"}
# more ways to see some pages (their messages, their other states)
VARIANTS = {
    "/": ["?lang=en"],
    "/calendar": ["?overdue=1", "?fiscal_year=2570&done=" + quote(GROUP_R1), "?lang=en"],
    "/dashboard": ["?group=mission_administration", "?lang=en"],
    "/processes/{fiscal_year}/{task_id}": ["?done=send_back", "?lang=en"],
    "/checkpoints/{item_id:path}": [COMMITTEE_R1, "2570/committee_supervision/extra"],
    "/audit": ["?run=1&as_of=2027-03-01", "?export={export}", "?as_of=2400-01-01"],
    "/admin/people": ["?done=add"],
    "/account/password": ["?done=1"],
    "/documents/register": ["?fiscal_year=2570", "?year=2569"],
    "/public/{fiscal_year}/{task_id}": ["?received=op-1", "?lang=en"],
    "/reports": ["?half=1", "?fiscal_year=2570&half=2", "?lang=en"],
}
SWEEP_SHOTS = {"/dashboard": "dashboard"}
NOT_PAGES = {"/healthz", "/openapi.json",  # GET routes outside /api that answer JSON, or files
             "/ita/sheet/{fiscal_year}.{fmt}",  # the OIT answer sheet (XLSX / CSV)
             "/processes/{fiscal_year}/{task_id}/documents/{kind}",  # a document of the record (a file)
             "/public/{fiscal_year}/{task_id}/documents/{kind}",  # a drafted document (a PDF file)
             "/public/{fiscal_year}/{task_id}/proofs/{seq}",  # a published document's proof (a text file)
             "/reports/measure.{fmt}", "/reports/style.css", "/reports/font/{weight}.ttf"}  # the measure's report
PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def page_paths(web) -> list[str]:
    """Every GET route outside /api that the application serves (its pages)."""
    try:  # FastAPI keeps an included router as one branch; this walks into it
        from fastapi.routing import iter_route_contexts

        routes = list(iter_route_contexts(web.routes))
    except ImportError:
        routes = web.routes
    return sorted({r.path for r in routes if "GET" in (getattr(r, "methods", None) or ())
                   and not r.path.startswith("/api/") and r.path not in NOT_PAGES})


def concrete(path: str, export_id: str) -> list[str]:
    """The route's URL with sample parameters, and its variants."""
    names = PARAM.findall(path)
    missing = [n for n in names if n not in PARAMS]
    assert not missing, f"page {path}: add a sample value for {missing} to PARAMS"
    base = PARAM.sub(lambda m: PARAMS[m.group(1)], path)
    out = [base]
    for v in VARIANTS.get(path, ()):
        v = v.replace("{export}", export_id)
        out.append(base + v if v.startswith("?") else PARAM.sub(lambda m: v, path))  # else: the one parameter
    return out


def build_scene(web, clock) -> str:
    """10 March 2570 BE: a process part way, the first-half items open, an opinion, an export."""
    from engine.calendar import tick
    from tests.calendar_helpers import bkk

    ruam = web.state.web.app
    clock.set(bkk(2027, 3, 10, 10))
    tick(ruam)
    steps.run(ruam, steps.HAPPY_PATH[:4])
    from engine.feedback import receive_feedback

    receive_feedback(ruam, steps.PROCESS, "ขอให้เผยแพร่รายงานการประชุมทางเว็บไซต์ของสำนักงาน " * 3, "ผู้ปกครอง")
    export_id, _seal = web.state.web.exports.make(ruam, "jsonl")
    return export_id
