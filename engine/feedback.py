"""Public participation (seed §2.4): opinions from the public form, and what the
public may read about a task's year.

An opinion is a ledger record (``feedback.received``, actor ``public``) plus a
row in the feedback projection, in one transaction; the task's
``reviewing_feedback`` step cannot close until every opinion has a decision.

PDPA: the public summary carries what the office published (dates, document
numbers, summaries) and, of people, only the names, positions and committee
roles of appointees (the ITA elements on the same page, ``engine.ita``, add
their organisations and whether they come from outside the office). Nothing about who sent an opinion is published; the
form takes no contact details and the sender's address is never stored.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from typing import Any

from engine.app import Ruam
from engine.throttle import spend_form_token
from workflow.errors import NotFound, Refused, UsageError
from workflow.ledger import Entry, Record

PUBLIC = "public"
MAX_OPINION = 5000
MAX_NAME = 200


class FeedbackClosed(Refused):
    code = "feedback_closed"
    http_status = 409

    def __init__(self, process: str) -> None:
        self.process = process
        super().__init__(f"{process} is finished for this fiscal year and takes no more opinions",
                         f"{process} สิ้นสุดรอบปีงบประมาณแล้ว จึงไม่รับความคิดเห็นเพิ่ม")


def receive_feedback(app: Ruam, process_id: str, opinion: str, name: str | None = None,
                     form_token: tuple[str, dt.datetime] | None = None) -> Record:
    """Record one opinion from the public on a task's process (any state but a final one).

    ``form_token``: (id, expiry) of the signed form it came with; spent in the same
    transaction, so a second opinion with it is refused (``FormTokenUsed``) with
    nothing written, and a refused opinion leaves the token unspent."""
    text = unicodedata.normalize("NFC", opinion or "").strip()
    if not text:
        raise UsageError("opinion", "is required", "ต้องกรอกความคิดเห็น")
    if len(text) > MAX_OPINION:
        raise UsageError("opinion", f"is longer than {MAX_OPINION} characters",
                         f"ยาวเกิน {MAX_OPINION} ตัวอักษร")
    sender = unicodedata.normalize("NFC", name or "").strip() or None
    if sender and len(sender) > MAX_NAME:
        raise UsageError("name", f"is longer than {MAX_NAME} characters", f"ยาวเกิน {MAX_NAME} ตัวอักษร")
    now = app.now()
    feedback_id = "op-" + secrets.token_hex(6)
    with app.store.transaction() as tx:
        proc, procedure, _org = app._load(tx, process_id)
        if procedure.state(proc["state"]).final:
            raise FeedbackClosed(process_id)
        if form_token is not None:
            spend_form_token(tx, *form_token)
        tx.add_feedback(feedback_id, process_id, now)
        [rec] = tx.append([Entry(kind="feedback.received", at=now, actor=PUBLIC, role=PUBLIC,
                                 process=process_id,
                                 data={"opinion": feedback_id, "text": text, "name": sender,
                                       "state": proc["state"]})])
    app.log.info("feedback.received", process=process_id, opinion=feedback_id, seq=rec.seq)
    return rec


def opinions(history: list[dict]) -> dict[str, dict]:
    """Opinions received through Ruam, by id, from a process's history."""
    out = {}
    for body in history:
        if body["kind"] == "feedback.received":
            d = body["data"]
            out[d["opinion"]] = {"id": d["opinion"], "text": d.get("text", ""), "name": d.get("name"),
                                 "at": body["at"]}
    return out


def _people(items: Any, keys: tuple[str, ...] = ("name", "position", "role")) -> list[dict]:
    return [{k: i[k] for k in keys if k in i} for i in items or [] if isinstance(i, dict)]


# What each step publishes, field by field: nothing else leaves the office.
def _public_step(trigger: str, evidence: dict) -> dict:
    if trigger == "issue_appointment":
        return {"document_kind": evidence.get("document_kind"), "number": evidence.get("number"),
                "date": evidence.get("date"), "body": evidence.get("body"),
                "members": _people(evidence.get("members"))}
    if trigger == "record_meeting":
        return {"date": evidence.get("date"), "place": evidence.get("place"), "agenda": evidence.get("agenda"),
                "minutes_summary": evidence.get("minutes_summary"),
                "attendees": _people(evidence.get("attendees"), ("name", "position"))}
    if trigger == "send_report":
        return {"report_kind": evidence.get("report_kind"), "date": evidence.get("date"),
                "summary": evidence.get("summary")}
    if trigger == "close":
        return {k: evidence.get(k) for k in ("topic", "participants", "results", "improvements")} | {
            "decisions": [{"decision": d.get("decision"), "opinion": d.get("opinion"),
                           "action_or_reason": d.get("action_or_reason")}
                          for d in evidence.get("decisions") or []]}
    if trigger == "next_round":
        return {"decisions": [{"decision": d.get("decision"), "opinion": d.get("opinion"),
                               "action_or_reason": d.get("action_or_reason")}
                              for d in evidence.get("decisions") or []]}
    return {}


PUBLISHED_TRIGGERS = ("issue_appointment", "record_meeting", "send_report", "next_round", "close")


def public_summary(app: Ruam, process_id: str) -> dict:
    """What a task's committee did this fiscal year, as the public may see it."""
    info = app.process(process_id)
    steps = []
    for body in info["history"]:
        d = body["data"]
        if body["kind"] != "process.transitioned" or d.get("trigger") not in PUBLISHED_TRIGGERS:
            continue
        steps.append({"trigger": d["trigger"], "at": body["at"], "to": d["to"],
                      "published": _public_step(d["trigger"], d.get("evidence") or {})})
    return {"id": info["id"], "fiscal_year": info["fiscal_year"], "task_id": info["task_id"],
            "task_title": info["task_title"], "task_title_en": info["task_title_en"],
            "state": info["state"], "state_title": info["state_title"],
            "state_title_en": info["state_title_en"], "final": info["final"],
            "opinions_received": sum(1 for b in info["history"] if b["kind"] == "feedback.received"),
            "steps": steps}


def public_processes(app: Ruam, fiscal_year: int) -> list[dict]:
    rows = app.processes(fiscal_year)
    if not rows:
        return []
    return [{"id": r["id"], "task_id": r["task_id"], "task_title": r["task_title"],
             "task_title_en": r["task_title_en"], "state": r["state"], "state_title": r["state_title"],
             "state_title_en": r["state_title_en"], "updated_at": r["updated_at"]} for r in rows]


def require_process(app: Ruam, process_id: str) -> None:
    with app.store.reading() as tx:
        if tx.get_process(process_id) is None:
            raise NotFound("process", process_id, "กระบวนการ")
