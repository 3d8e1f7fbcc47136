"""The audit of the files the record names, on the live database (invariant 10).

A file named by evidence is part of the record. ``check_files`` finds, in the
audit's snapshot, every sha256 named in any record's evidence (the database
filters the rows whose text names one; only those are parsed) and holds the
attachment store to them: each named file must be stored, and its bytes must
hash to its name. Deleting a file's row, deleting its bytes, or replacing the
bytes and renaming the row to the new hash is then found like a changed record,
at the first record that names the file. Files stored but named by no record
(an upload whose step was never recorded) are re-hashed too: a content-addressed
file whose bytes no longer match its name was replaced.

Its cost: one filtered scan of the ledger in the database, and reading each
stored file once (one at a time: memory is bounded by the largest file).
"""

from __future__ import annotations

import hashlib
from typing import Any

from storage.record_files import attachment_guards_present, file_bytes, rows_naming_files, stored_files
from workflow.errors import Finding
from workflow.named_files import Held, NamedFiles

__all__ = ["check_files", "named_files"]

STORE_EN, STORE_TH = "the attachment store", "ที่เก็บไฟล์แนบ"


def named_files(tx: Any, upto: int) -> NamedFiles:
    """Every file the records up to ``upto`` name, with the first record naming each."""
    named = NamedFiles()
    for seq, body in rows_naming_files(tx, upto):
        named.observe(seq, body)
    return named


def check_files(tx: Any, upto: int, findings: list[Finding]) -> str:
    """Append a finding for every named file missing or changed; return the check's state for the report."""
    if not attachment_guards_present(tx):
        findings.append(Finding("storage", None, "the triggers that keep attachments unchangeable are missing",
                                message_th="ไม่พบ trigger ที่ป้องกันการแก้ไขหรือลบไฟล์แนบ"))
    named = named_files(tx, upto)
    sizes = dict(stored_files(tx))

    def held(sha: str) -> Held | None:
        content = file_bytes(tx, sha) if sha in sizes else None
        if content is None:
            return None
        return Held(hashlib.sha256(content).hexdigest(), len(content), sizes[sha])

    findings.extend(named.judge(held, STORE_EN, STORE_TH))
    for sha in sizes:
        if sha in named.files:
            continue
        content = file_bytes(tx, sha)
        if content is not None and hashlib.sha256(content).hexdigest() != sha:
            findings.append(Finding("attachment", None, f"stored file {sha[:12]}… no longer hashes to its name: "
                                                        "its content was replaced",
                                    message_th=f"ไฟล์แนบ {sha[:12]}… ที่เก็บไว้ไม่ตรงกับ hash ของตน: "
                                               "เนื้อหาถูกแทนที่"))
    return f"done: {len(named)} file(s) named by the records, {len(sizes)} stored"
