"""Which stored files the office has marked public (the signed scans on its public site).

Marking a file public (or withdrawing it) is a ledger record
``attachment.published`` on the task's process: ``{sha256, name, public}``.
Only the task's people — its responsible officer, the group director, a
deputy director of its mission group — or the administrator may mark; the
file must be one the process's evidence names. The latest mark wins; a file
never marked is not public. Only marked files are served without sign-in.
"""

from __future__ import annotations

from engine.app import Ruam, parse_process_id
from engine.attachments import StoredFile, read_attachment, references
from workflow.authority import acting_role
from workflow.errors import NotFound, Refused
from workflow.ita import PUBLISH_ROLES
from workflow.ledger import Entry, Record

KIND = "attachment.published"
MARKERS = PUBLISH_ROLES


class MayNotPublish(Refused):
    code = "not_allowed"
    http_status = 403


def public_marks(history: list[dict]) -> dict[str, bool]:
    """sha256 -> public, from a process's record bodies (the latest mark wins)."""
    marks: dict[str, bool] = {}
    for body in history:
        if body.get("kind") == KIND:
            d = body.get("data") or {}
            if isinstance(d.get("sha256"), str):
                marks[d["sha256"]] = bool(d.get("public"))
    return marks


def mark_public(app: Ruam, process_id: str, sha256: str, actor: str, public: bool = True) -> Record:
    """Record that the office publishes (or withdraws) one of the process's files."""
    parse_process_id(process_id)
    sha = (sha256 or "").strip().lower()
    now = app.now()
    with app.store.transaction() as tx:
        proc, _procedure, org = app._load(tx, process_id)
        records = tx.records_for(process_id)
        named = next((ref for rec in records for ref in references((rec.data or {}).get("evidence"))
                      if ref["sha256"] == sha), None)
        if named is None:
            raise NotFound("attachment", f"{process_id}/{sha[:12]}", "ไฟล์แนบ")
        scopes = org.scopes_covering(proc["task_id"])
        role = acting_role(tx.assignments(scopes=scopes), actor, MARKERS, scopes, now)
        if role is None:
            raise MayNotPublish(f"{actor} may not publish the files of {process_id}",
                             f"ผู้ใช้นี้ไม่มีสิทธิ์เผยแพร่ไฟล์ของงานนี้ (เฉพาะผู้รับผิดชอบงาน ผู้อำนวยการกลุ่ม "
                             f"รองผู้อำนวยการที่กำกับ หรือผู้ดูแลระบบ)")
        [rec] = tx.append([Entry(kind=KIND, at=now, actor=actor, role=role, process=process_id,
                                 data={"sha256": sha, "name": named["name"], "public": bool(public)})])
    app.log.info("attachment.published", process=process_id, sha256=sha, public=bool(public), seq=rec.seq)
    return rec


def read_public_attachment(app: Ruam, process_id: str, sha256: str) -> StoredFile:
    """A file of the process, only if the office marked it public (else NotFound, the same answer
    as for a file that does not exist)."""
    parse_process_id(process_id)
    sha = (sha256 or "").strip().lower()
    with app.store.reading() as tx:
        if tx.get_process(process_id) is None:
            raise NotFound("process", process_id, "กระบวนการ")
        marks = public_marks([r.body() for r in tx.records_for(process_id)])
    if not marks.get(sha):
        raise NotFound("attachment", f"{process_id}/{sha[:12]}", "ไฟล์แนบ")
    return read_attachment(app, process_id, sha)
