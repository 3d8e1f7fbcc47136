"""The hash chain, checked: stored rows in sequence order, each hash re-computed
over its stored text, each link to the one before, the columns kept beside the
text compared with it.

``check_chain`` reports the first and every further break; ``check_rows``
yields the records of the rows that hold (for ``workflow.replay.Fold``);
``Findings`` keeps the findings with their counts, within a limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from workflow.errors import Finding
from workflow.ledger import FIELDS, FIELDS_OFFICE, GENESIS, Record, parse_instant

_sha256 = hashlib.sha256
try:  # a C parser: a record's JSON is most of an audit's cost after the hash
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency; the standard library still works
    _loads = json.loads  # type: ignore[assignment]


class StoredRow(NamedTuple):
    """A ledger row as stored: the hashed ``body`` and the columns kept beside it (compared with it)."""

    seq: int
    prev_hash: str
    hash: str
    kind: str
    process: str | None
    body: str
    actor: str | None = None
    recorded_at: dt.datetime | str | None = None  # a datetime, or the raw text SQLite keeps


_new = object.__new__


def _same_instant(column: dt.datetime | str, at: str) -> bool:
    if type(column) is str and len(column) == 26 and len(at) == 27:  # SQLite's text: compare the spellings
        if column[:10] == at[:10] and column[11:] == at[11:26]:
            return True
    try:
        if type(column) is str:
            column = dt.datetime.fromisoformat(column).replace(tzinfo=dt.timezone.utc)
        return column == parse_instant(at)
    except (ValueError, TypeError):
        return False


def identity(finding: Finding) -> tuple:
    """What makes two findings the same problem: its ``problem`` key when the finding's author gave one
    (``data={"problem": (...)}``: e.g. one altered definition, seen by the fold and by the table check),
    otherwise its kind, place and words."""
    problem = finding.data.get("problem") if finding.data else None
    return problem if problem is not None else (finding.kind, finding.seq, finding.message)


class Findings(list):
    """Findings in ledger order, bounded: past ``limit`` only the count grows (constant memory).

    Each problem is kept once: a finding with the identity of one already listed (the same
    problem seen by two checks, or by the coordinator and a worker) is neither listed nor
    counted again. Past ``limit`` findings are only counted, so there a repeat is not noticed.
    """

    def __init__(self, limit: int = 10_000) -> None:
        super().__init__()
        self.limit = limit
        self.total = 0
        self.by_kind: Counter = Counter()
        self._seen: set[tuple] = set()

    def append(self, finding: Finding) -> None:  # type: ignore[override]
        key = identity(finding)
        if key in self._seen:
            return
        self.total += 1
        self.by_kind[finding.kind] += 1
        if len(self) < self.limit:
            self._seen.add(key)
            super().append(finding)

    def extend(self, findings) -> None:  # type: ignore[override]
        for finding in findings:
            self.append(finding)

    @property
    def dropped(self) -> int:
        return self.total - len(self)

    def merge(self, listed: Iterable[Finding], total: int, by_kind: Counter) -> None:
        """Add another part's findings: those it listed, and the counts of those it only counted."""
        listed = list(listed)
        for finding in listed:  # a repeat of one listed here is dropped (and so not counted)
            self.append(finding)
        self.total += total - len(listed)
        for kind, n in by_kind.items():
            self.by_kind[kind] += n
        for finding in listed:
            self.by_kind[finding.kind] -= 1


# ``office=FROM_FIRST``: the chain's office is the one its first record names (an export read offline,
# which is one office's chain whichever office it came from)
FROM_FIRST = "\0from-first"
DEFAULT_OFFICE_CODE = "default"  # the default office's code (its records name no office)


def office_of(body: str | bytes) -> str | None:
    """The office code a record's text names (None: none, as the default office's records)."""
    try:
        parsed = _loads(body)
    except (ValueError, TypeError):
        return None
    found = parsed.get("office") if type(parsed) is dict else None
    return found if isinstance(found, str) else None


def check_chain(rows: Iterable[tuple], findings: list[Finding],
                start_seq: int = 1, start_hash: str = GENESIS, office: str | None = None) -> Iterator[Record]:
    """Yield each parseable record; append a finding for every break.

    The one hot loop of an audit: each body (text, or its UTF-8 bytes) is hashed
    once and parsed once. A row whose body is ``None`` belongs to another worker
    of a partitioned audit: only its place in the chain is checked here.
    """
    expected_seq, prev = start_seq, start_hash
    append = findings.append
    for row in rows:
        seq, prev_hash, digest, body = row[0], row[1], row[2], row[5]
        if seq != expected_seq:
            what = "missing record(s) before it" if seq > expected_seq else "out of order or inserted"
            what_th = "มีบันทึกหายไปก่อนหน้า" if seq > expected_seq else "ลำดับสลับหรือมีการแทรก"
            append(Finding("chain", seq, f"expected sequence {expected_seq}, found {seq}: {what}",
                           message_th=f"ลำดับที่ควรเป็น {expected_seq} แต่พบ {seq}: {what_th}"))
        if prev_hash != prev:
            linked = expected_seq > start_seq or prev != GENESIS
            append(Finding("chain", seq, "chain broken: prev_hash is not " + (
                f"the hash of record {expected_seq - 1} (that record was changed and rehashed, or records "
                "were removed, inserted or reordered here)" if linked
                else "the genesis hash (the first record is missing or replaced)"),
                message_th="สายโซ่ขาด: prev_hash " + (
                    f"ไม่ใช่ hash ของบันทึกที่ {expected_seq - 1} (บันทึกนั้นถูกแก้แล้วคำนวณ hash ใหม่ "
                    "หรือมีการลบ แทรก หรือสลับบันทึกตรงนี้)" if linked
                    else "ไม่ใช่ hash เริ่มต้น (บันทึกแรกหายไปหรือถูกแทนที่)")))
        expected_seq, prev = seq + 1, digest
        if body is None:
            continue
        if office == FROM_FIRST:
            office = office_of(body)
        record = checked_row(row, findings, office)
        if record is not None:
            yield record


def check_rows(rows: Iterable[tuple], findings: list[Finding], office: str | None = None) -> Iterator[Record]:
    """Each row's own integrity (its hash, its parse, its columns) without the links between rows.

    A worker of a partitioned audit sees only some rows; the links are checked
    by the one that sees them all (``check_chain`` with bodies left out).
    """
    for row in rows:
        record = checked_row(row, findings, office)
        if record is not None:
            yield record


def checked_row(row: tuple, findings: list[Finding], office: str | None = None) -> Record | None:
    """One row's integrity; ``office``: the code records of this chain carry (None: the default office's)."""
    seq, prev_hash, digest, kind, process, body, actor, recorded_at = row
    raw = body if type(body) is bytes else body.encode("utf-8")
    if _sha256(raw).hexdigest() != digest:
        findings.append(Finding("chain", seq, "content changed: its hash does not match its stored text",
                                message_th="เนื้อหาถูกแก้ไข: hash ไม่ตรงกับข้อความที่เก็บไว้"))
    try:
        parsed = _loads(raw)
        if type(parsed) is not dict or (parsed.keys() != FIELDS and parsed.keys() != FIELDS_OFFICE):
            raise ValueError("not a ledger record body")
    except (ValueError, TypeError) as exc:
        findings.append(Finding("chain", seq, f"unreadable record: {exc}", message_th=f"อ่านบันทึกไม่ได้: {exc}"))
        return None
    record = _new(Record)
    record.__dict__.update(parsed)
    if (record.seq != seq or record.prev_hash != prev_hash or record.kind != kind
            or record.process != process
            or (actor is not None and record.actor != actor)
            or (recorded_at is not None and not _same_instant(recorded_at, record.at))):
        _column_mismatch(record, StoredRow(*row), findings.append)
    if parsed.get("office") != office:
        theirs = parsed.get("office") or "-"
        findings.append(Finding("chain", seq, f"the record names office {theirs}, not this chain's office "
                                f"{office or '-'} (moved from another office's chain)",
                                message_th=f"บันทึกระบุสำนักงาน {theirs} ไม่ใช่สำนักงานของสายโซ่นี้ "
                                f"{office or '-'} (ย้ายมาจากสายโซ่ของสำนักงานอื่น)"))
    return record


def _column_mismatch(record: Record, row: StoredRow, append: Callable[[Finding], None]) -> None:
    pairs = [("seq", record.seq, row.seq), ("prev_hash", record.prev_hash, row.prev_hash),
             ("kind", record.kind, row.kind), ("process", record.process, row.process)]
    if row.actor is not None:
        pairs.append(("actor", record.actor, row.actor))
    names = [name for name, a, b in pairs if a != b]
    if row.recorded_at is not None and not _same_instant(row.recorded_at, record.at):
        names.append("recorded_at")
    append(Finding("chain", row.seq, f"columns differ from the hashed text: {', '.join(names)}",
                   message_th=f"คอลัมน์ไม่ตรงกับข้อความที่คำนวณ hash: {', '.join(names)}"))
