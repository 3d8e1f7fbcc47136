"""Reading attachments back: which files a process's evidence names, and the
bytes of one of them.

A file is stored once by its sha256 (``Ruam.store_attachment``) and evidence
names it by that hash. The store itself is never browsable: a file is handed out
only *through a process* whose ledger records name it, so whoever may see that
process may read it and nobody can probe the store with guessed hashes. The
caller (web or CLI) decides who may see the process; this module only answers
"is this hash part of that process's evidence" and returns the checked bytes.

What counts as a reference: any ``{"sha256": …}`` inside the ``evidence`` of a
record filed under the process — the typed ``attachment`` fields of its steps
(also inside lists) and the ``files`` of its semiannual reports.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from engine.app import Ruam, parse_process_id
from workflow.errors import NotFound, Refused

__all__ = ["AttachmentDamaged", "StoredFile", "attachments_by_record", "process_attachments", "read_attachment",
           "references"]

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class AttachmentDamaged(Refused):
    """The stored bytes no longer hash to the name evidence gives them."""

    code = "attachment_damaged"
    http_status = 409

    def __init__(self, sha256: str) -> None:
        self.sha256 = sha256
        super().__init__(f"the stored file {sha256[:12]}… does not match its sha256; it was changed after it "
                         "was recorded and is not served (tell the auditor)",
                         f"ไฟล์ {sha256[:12]}… ที่เก็บไว้ไม่ตรงกับค่า sha256 ที่บันทึก (ถูกแก้ไขภายหลัง) "
                         "ระบบจึงไม่ส่งไฟล์นี้ โปรดแจ้งผู้ตรวจสอบ")


@dataclass(frozen=True, kw_only=True)
class StoredFile:
    sha256: str
    name: str            # the name the evidence gave it (else the uploader's), never a path
    media_type: str      # as the uploader's browser declared it: not trusted for serving
    size: int
    content: bytes


def references(evidence: Any, where: str = "") -> list[dict]:
    """Every attachment named in one record's evidence, in order: sha256, name, size, field."""
    found: list[dict] = []
    if isinstance(evidence, dict):
        sha = evidence.get("sha256")
        if isinstance(sha, str) and SHA256.match(sha):
            ref = {"sha256": sha, "name": clean_name(evidence.get("name")), "field": where or "file"}
            if isinstance(evidence.get("size"), int) and not isinstance(evidence.get("size"), bool):
                ref["size"] = evidence["size"]
            return [ref]
        for key, value in evidence.items():
            found.extend(references(value, f"{where}.{key}" if where else str(key)))
    elif isinstance(evidence, list):
        for i, item in enumerate(evidence):
            found.extend(references(item, f"{where}[{i}]"))
    return found


def attachments_by_record(history: list[dict]) -> dict[int, list[dict]]:
    """For a process's history (record bodies), the files each record's evidence names, by seq."""
    out: dict[int, list[dict]] = {}
    for body in history:
        refs = references((body.get("data") or {}).get("evidence"))
        if refs:
            out[body["seq"]] = refs
    return out


def process_attachments(app: Ruam, process_id: str) -> list[dict]:
    """Every file the process's records name, oldest first: sha256, name, size, field, and the
    record's seq, time and trigger (or kind). Raises ``NotFound`` for an unknown process."""
    parse_process_id(process_id)
    with app.store.reading() as tx:
        if tx.get_process(process_id) is None:
            raise NotFound("process", process_id, "กระบวนการ")
        records = tx.records_for(process_id)
    out = []
    for rec in records:
        for ref in references((rec.data or {}).get("evidence")):
            out.append(ref | {"seq": rec.seq, "at": rec.at, "step": (rec.data or {}).get("trigger") or rec.kind})
    return out


def clean_name(name: Any) -> str:
    """A file name fit to show and to offer for saving: its last path part, NFC,
    no control characters, at most 150 characters (the extension kept)."""
    if not isinstance(name, str):
        return ""
    text = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(text) > 150:
        stem, dot, ext = text.rpartition(".")
        text = (stem[:140] + dot + ext[:9]) if dot and len(ext) <= 9 else text[:150]
    return text


def read_attachment(app: Ruam, process_id: str, sha256: str) -> StoredFile:
    """The file ``sha256`` if the evidence of ``process_id`` names it.

    Raises ``NotFound`` for an unknown process and for a hash the process does
    not name (stored or not: the answer is the same, so nothing about the rest of
    the store leaks), and ``AttachmentDamaged`` if the bytes no longer match.
    """
    parse_process_id(process_id)
    sha = (sha256 or "").strip().lower()
    with app.store.reading() as tx:
        if tx.get_process(process_id) is None:
            raise NotFound("process", process_id, "กระบวนการ")
        named = None
        if SHA256.match(sha):
            for rec in tx.records_for(process_id):
                named = next((r for r in references((rec.data or {}).get("evidence")) if r["sha256"] == sha), None)
                if named is not None:
                    break
        row = tx.get_attachment(sha) if named is not None else None
    if row is None:
        raise NotFound("attachment", f"{process_id}/{sha[:12]}", "ไฟล์แนบ")
    content = bytes(row["content"])
    if hashlib.sha256(content).hexdigest() != sha:
        app.log.error("attachment.damaged", process=process_id, sha256=sha)
        raise AttachmentDamaged(sha)
    name = named["name"] or clean_name(row["name"]) or f"attachment-{sha[:12]}"
    return StoredFile(sha256=sha, name=name, media_type=row["media_type"], size=len(content), content=content)
