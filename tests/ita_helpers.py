"""A fiscal year's ITA evidence as an office would build it: one task done whole with its
signed scans marked public, the others cancelled or left part way."""

from __future__ import annotations

from engine.ita.publish import mark_public
from tests import steps

SCAN = b"%PDF-1.4\n% a signed order, scanned\n"
MINUTES = b"%PDF-1.4\n% the signed minutes, scanned\n"


def with_scans(app) -> tuple[list, dict, dict]:
    """The happy path of the demo task with a signed order and signed minutes attached."""
    order = app.store_attachment(SCAN, "คำสั่งแต่งตั้ง.pdf")
    minutes = app.store_attachment(MINUTES, "รายงานการประชุม.pdf")
    path = list(steps.HAPPY_PATH)
    path[1] = ("issue_appointment", steps.DIRECTOR, steps.appointment() | {"attachments": [{"file": order}]})
    path[3] = ("record_meeting", steps.OFFICER, steps.meeting() | {"attachments": [{"file": minutes}]})
    return path, order, minutes


def complete_task(app, publish: bool = True) -> tuple[dict, dict]:
    path, order, minutes = with_scans(app)
    steps.run(app, path)
    if publish:
        for f in (order, minutes):
            mark_public(app, steps.PROCESS, f["sha256"], steps.DIRECTOR)
    return order, minutes


def cancel_others(app, fiscal_year: int = 2570) -> None:
    for row in app.processes(fiscal_year):
        if row["task_id"] != steps.TASK:
            app.cancel(row["id"], "esa_director", "ไม่มีกิจกรรมในปีนี้")
