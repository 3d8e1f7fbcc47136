"""Ledger exports made through the web: written by ``engine.audit.export`` into a
private folder of this process (mode 0700), each with its seal beside it, kept
until newer ones push them out, so the seal can be shown, printed and fetched
again after the download."""

from __future__ import annotations

import atexit
import json
import re
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

from engine.audit.export import FORMATS, definitions_path, export, seal_path
from workflow.errors import NotFound, UsageError

KEEP = 6
ID_RE = re.compile(r"^ruam-ledger-\d+-\d{14}-[0-9a-f]{8}\.(jsonl|csv)$")


class Exports:
    def __init__(self, folder: str | None = None) -> None:
        self.folder = Path(folder or tempfile.mkdtemp(prefix="ruam-exports-"))
        self.lock = threading.Lock()
        if folder is None:
            atexit.register(self.close)  # the ledger's copies do not outlive the process

    def make(self, app, fmt: str, exported_by: str | None = None) -> tuple[str, dict]:
        """Verify and export the whole ledger now; returns the export's id and its seal (which names
        the office, ``exported_by``, the time and the verdict of that verify)."""
        if fmt not in FORMATS:
            raise UsageError("format", f"'{fmt}' is not one of: {', '.join(FORMATS)}",
                             f"'{fmt}' ไม่ใช่รูปแบบที่รองรับ ({', '.join(FORMATS)})")
        now = app.now()
        head = app.ledger_head()[0]
        name = f"ruam-ledger-{head}-{now:%Y%m%d%H%M%S}-{secrets.token_hex(4)}.{fmt}"
        seal = export(app, fmt, self.folder / name, exported_by=exported_by)
        self._prune()
        return name, seal.as_dict()

    def _prune(self) -> None:
        with self.lock:
            files = sorted((p for p in self.folder.iterdir() if ID_RE.match(p.name)),
                           key=lambda p: p.stat().st_mtime, reverse=True)
            for old in files[KEEP:]:
                for p in (old, seal_path(old), definitions_path(old)):
                    p.unlink(missing_ok=True)

    def _checked(self, export_id: str) -> Path:
        path = self.folder / export_id
        if not ID_RE.match(export_id) or not path.is_file():
            raise NotFound("export", export_id, "ไฟล์ส่งออก")
        return path

    def file(self, export_id: str, part: str = "file") -> Path:
        path = self._checked(export_id)
        if part == "definitions":
            side = definitions_path(path)
            if not side.is_file():
                raise NotFound("definitions of export", export_id, "นิยามของไฟล์ส่งออก")
            return side
        return path

    def seal(self, export_id: str) -> dict:
        return json.loads(seal_path(self._checked(export_id)).read_text(encoding="utf-8"))

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
