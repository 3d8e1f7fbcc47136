"""The files the record names, and the judgement of stored bytes against them (invariant 10).

Evidence names a file by its content hash: a ``{"sha256": …}`` object anywhere
inside a record's ``evidence`` — a step's typed ``attachment`` fields (also in
lists of objects, e.g. ``attachments[0].file``), the ``files`` of a semiannual
report or a supervision checkpoint, and any later kind that follows the same
shape. A file so named is part of the record: if its bytes are gone or are not
the bytes whose hash the record holds, that is a change to the record.

``NamedFiles`` collects, in one pass over ledger rows, every hash named and the
first record that named it; ``judge`` compares them with what a store (the
database, or a folder beside an offline export) holds. Memory grows with the
number of files named, never with the number of records. Pure: no I/O here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from workflow.errors import Finding

try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency
    _loads = json.loads  # type: ignore[assignment]

SHA256 = re.compile(r"^[0-9a-f]{64}$")
# A record that names a file has this text in its canonical body (cheap test before parsing).
MARK = '"sha256"'
_MARK_BYTES = MARK.encode()


@dataclass(frozen=True, slots=True)
class NamedFile:
    sha256: str
    seq: int             # the first record that names it
    field: str           # where in that record's evidence, e.g. "attachments[0].file"
    size: int | None     # the size the record gives, if any
    records: int = 1     # how many records name it


@dataclass(frozen=True, slots=True)
class Held:
    """What a store holds under a name: the bytes' real sha256 and size (``size_column``: the size it
    says it holds, where it keeps one)."""

    sha256: str
    size: int
    size_column: int | None = None


def references(evidence: Any, where: str = "") -> Iterator[tuple[str, str, int | None]]:
    """(sha256, field, size) of every file named inside one record's evidence, in order."""
    if isinstance(evidence, dict):
        sha = evidence.get("sha256")
        if isinstance(sha, str) and SHA256.match(sha):
            size = evidence.get("size")
            yield sha, where or "file", size if isinstance(size, int) and not isinstance(size, bool) else None
            return
        for key, value in evidence.items():
            yield from references(value, f"{where}.{key}" if where else str(key))
    elif isinstance(evidence, list):
        for i, item in enumerate(evidence):
            yield from references(item, f"{where}[{i}]")


class NamedFiles:
    """Every file named by the records seen, with the first record naming it."""

    def __init__(self) -> None:
        self.files: dict[str, NamedFile] = {}

    def __len__(self) -> int:
        return len(self.files)

    def observe(self, seq: int, body: str | bytes | None) -> None:
        """One ledger row's stored text (unreadable or foreign text is the chain check's business)."""
        if body is None or (MARK not in body if type(body) is str else _MARK_BYTES not in body):
            return
        try:
            data = _loads(body).get("data")
        except (ValueError, TypeError, AttributeError):
            return
        if not isinstance(data, dict):
            return
        seen: set[str] = set()
        for sha, where, size in references(data.get("evidence")):
            if sha in seen:
                continue
            seen.add(sha)
            known = self.files.get(sha)
            if known is None:
                self.files[sha] = NamedFile(sha, seq, where, size)
            else:
                self.files[sha] = NamedFile(sha, known.seq, known.field, known.size if known.size is not None
                                            else size, known.records + 1)

    def watch(self, rows: Iterable[tuple]) -> Iterator[tuple]:
        """Pass ledger rows (seq first, body sixth, as ``StoredRow``) through unchanged, observing each."""
        observe = self.observe
        for row in rows:
            observe(row[0], row[5])
            yield row

    def ordered(self) -> list[NamedFile]:
        return sorted(self.files.values(), key=lambda f: (f.seq, f.sha256))

    def judge(self, held: Callable[[str], Held | None], where_en: str, where_th: str) -> list[Finding]:
        """A finding, at the first record naming it, for each file the store lacks or holds other bytes for.

        ``where_en`` / ``where_th`` name the store ("the attachment store", "the folder files/").
        """
        out: list[Finding] = []
        for f in self.ordered():
            found = held(f.sha256)
            out.extend(file_findings(f, found, where_en, where_th))
        return out


def file_findings(f: NamedFile, found: Held | None, where_en: str, where_th: str) -> list[Finding]:
    short = f.sha256[:12]
    others = f" (and {f.records - 1} later record(s))" if f.records > 1 else ""
    others_th = f" (และบันทึกหลังจากนั้นอีก {f.records - 1} รายการ)" if f.records > 1 else ""
    if found is None:
        return [Finding("attachment", f.seq, f"file {short}… named by this record ({f.field}){others} is not in "
                                             f"{where_en}: it was deleted, or replaced under another name",
                        message_th=f"ไม่พบไฟล์แนบ {short}… ที่บันทึกนี้อ้างถึง ({f.field}){others_th} ใน{where_th}: "
                                   "ไฟล์ถูกลบหรือถูกแทนที่ด้วยไฟล์ชื่ออื่น")]
    if found.sha256 != f.sha256:
        if found.size == 0:
            return [Finding("attachment", f.seq, f"file {short}… named by this record ({f.field}){others} has no "
                                                 f"bytes left in {where_en}: its content was deleted",
                            message_th=f"ไฟล์แนบ {short}… ที่บันทึกนี้อ้างถึง ({f.field}){others_th} ใน{where_th} "
                                       "ไม่มีเนื้อไฟล์เหลือ (0 ไบต์): เนื้อไฟล์ถูกลบ")]
        return [Finding("attachment", f.seq, f"file {short}… named by this record ({f.field}){others}: the bytes "
                                             f"in {where_en} hash to {found.sha256[:12]}…, not to its name: "
                                             "its content was replaced",
                        message_th=f"ไฟล์แนบ {short}… ที่บันทึกนี้อ้างถึง ({f.field}){others_th}: เนื้อไฟล์ใน"
                                   f"{where_th} มี hash เป็น {found.sha256[:12]}… ไม่ตรงกับชื่อ: เนื้อไฟล์ถูกแทนที่")]
    # The size a record gives is the uploader's word (not checked when recorded), so only the
    # store's own size column is held to the bytes.
    problems: list[Finding] = []
    if found.size_column is not None and found.size_column != found.size:
        problems.append(Finding("attachment", f.seq, f"file {short}… ({f.field}): {where_en} says it holds "
                                                     f"{found.size_column} bytes, it holds {found.size}",
                                message_th=f"ไฟล์แนบ {short}… ({f.field}): {where_th}ระบุขนาด {found.size_column} "
                                           f"ไบต์ แต่เนื้อไฟล์มี {found.size} ไบต์"))
    return problems
