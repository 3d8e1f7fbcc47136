"""The files an export's records name: the manifest in its seal, a copy of the bytes for
the auditor, and their offline check (invariant 10).

``ruam audit export`` collects every sha256 named in the records it writes and
puts a manifest in the seal: per file its sha256, its size, the first record
naming it and whether the database still held the right bytes then. With
``--files DIR`` it also writes each file's bytes to ``DIR/<sha256>``.

``ruam audit verify --file … --files DIR`` holds the folder to the records: each
named file must be there under its sha256 and hash to it. Without ``--files``
an offline check of records that name files cannot judge them and says so: its
verdict is *incomplete*, never a pass (exit 1).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from storage.record_files import file_bytes
from workflow.audit import AuditReport
from workflow.errors import UsageError
from workflow.named_files import Held, NamedFiles

__all__ = ["check_folder", "files_folder", "manifest", "not_judged"]

_CHUNK = 1 << 20


def files_folder(path: str | os.PathLike | None, *, create: bool) -> Path | None:
    """``--files DIR``: an existing folder (or, for an export, one created if its parent exists)."""
    if path is None:
        return None
    folder = Path(path)
    if create and not folder.exists() and folder.parent.is_dir():
        folder.mkdir()
    if not folder.is_dir():
        raise UsageError("--files", f"no such folder: {folder}", f"ไม่พบโฟลเดอร์ {folder}")
    return folder


def manifest(tx: Any, named: NamedFiles, folder: Path | None) -> dict:
    """Each named file as the database holds it now (``ok``, ``missing`` or ``damaged``); with ``folder``,
    the intact ones are written to it as ``<sha256>`` (through a temporary name, so a file there is whole)."""
    files, total, problems = [], 0, 0
    for f in named.ordered():
        content = file_bytes(tx, f.sha256)
        if content is None:
            state = "missing"
        elif hashlib.sha256(content).hexdigest() != f.sha256:
            state = "damaged"
        else:
            state = "ok"
        entry: dict[str, Any] = {"sha256": f.sha256, "size": len(content) if state == "ok" else None,
                                 "seq": f.seq, "field": f.field, "state": state}
        files.append(entry)
        if state != "ok":
            problems += 1
            continue
        total += len(content)
        if folder is not None:
            target = folder / f.sha256
            tmp = folder / (f.sha256 + ".partial")
            tmp.write_bytes(content)
            os.replace(tmp, target)
    return {"named": len(files), "bytes": total, "missing_or_damaged": problems,
            "folder": folder.name if folder is not None else None, "files": files}


def _hash_file(path: Path) -> Held:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return Held(digest.hexdigest(), size)


def check_folder(named: NamedFiles, folder: Path, report: AuditReport) -> None:
    """Hold ``folder`` to the records: each named file as ``folder/<sha256>`` with those bytes."""

    def held(sha: str) -> Held | None:
        path = folder / sha
        return _hash_file(path) if path.is_file() else None

    report.findings.extend(named.judge(held, f"the folder {folder.name}", f"โฟลเดอร์ {folder.name}"))
    report.checks["attachments"] = f"done: {len(named)} file(s) named by the records, checked in {folder.name}"


def not_judged(named: NamedFiles, report: AuditReport) -> None:
    """No folder given: the files cannot be judged, and the verdict must say so (never a pass)."""
    report.checks["attachments"] = (f"not judged: {len(named)} file(s) named by the records; give --files DIR "
                                    "(written by 'ruam audit export --files DIR')")
    report.incomplete.append((
        "attachments",
        f"the {len(named)} file(s) the records name were not checked: give the folder of files with --files DIR "
        "(ruam audit export --files DIR writes it)",
        f"ยังไม่ได้ตรวจไฟล์แนบ {len(named)} ไฟล์ที่บันทึกอ้างถึง จึงตัดสินไม่ได้ว่าไฟล์ครบและไม่ถูกแทนที่: "
        "ระบุโฟลเดอร์ไฟล์ด้วย --files DIR (สร้างได้ด้วย ruam audit export --files DIR)"))
