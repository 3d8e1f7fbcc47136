"""Exports an auditor can take away, and their verification with no database.

JSON Lines (``--format jsonl``), one JSON object a line:

1. a header ``{"ruam_export": 1, "format": "jsonl", "exported_at": …, "office": {"code", "name_th", "name_en"}}``
2. every stored definition ``{"definition": {"version", "kind", "name", "content"}}`` —
   its exact canonical content, so an offline replay re-checks legality and
   authority against the very definitions each record names (and the content
   must hash to its version, so it cannot be swapped);
3. every record ``{"seq", "prev_hash", "hash", "kind", "process", "body"}`` where
   ``body`` is the exact canonical text that was hashed.

CSV (``--format csv``) is for spreadsheets: UTF-8 with a byte-order mark (Excel
and LibreOffice then read Thai correctly), CRLF rows, readable columns (Bangkok
time with BE years, actor, role, step …) and the verifiable ``body`` and ``hash``
columns. Its definitions go beside it in ``FILE.definitions.jsonl``.

Each export first runs the database's verify, then writes its seal to
``FILE.seal.json`` and returns it for printing: the office, who exported, when,
that verify's verdict, record count, head sequence number and hash, the
definitions (kind, id, version), the file's own sha256 and the manifest of the
files the records name (with ``files``, their bytes are written to that folder:
``engine.audit.export_files``). ``verify_file`` checks an export against an
earlier seal — the chain, legality, authority and the calendar's rules, as the
database's verify does — and the named files against a folder of them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from engine.audit.export_files import check_folder, files_folder, manifest, not_judged
from workflow.audit import AuditReport, definition_from_content, replay, sort_findings
from workflow.chain import FROM_FIRST, Findings, StoredRow
from workflow.errors import Finding, NotFound, UsageError
from workflow.fiscal import format_datetime_be
from workflow.ledger import Record
from workflow.named_files import NamedFiles
from workflow.replay import definition_problem
from workflow.seal import Seal

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("seq", "at_utc", "at_bangkok_be", "kind", "process", "actor", "role", "responsible",
               "trigger", "from", "to", "note", "prev_hash", "hash", "body")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def seal_path(path: str | os.PathLike) -> Path:
    return Path(str(path) + ".seal.json")


def definitions_path(path: str | os.PathLike) -> Path:
    return Path(str(path) + ".definitions.jsonl")


class _HashingWriter(io.TextIOBase):
    """Text out to a binary file, hashing exactly the bytes written."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.digest.update(data)
        self.raw.write(data)
        return len(text)


def _safe_cell(value: Any) -> str:
    """A readable cell that a spreadsheet will not run as a formula (the body/hash columns stay exact)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export(app: Any, fmt: str, path: str | os.PathLike, progress: Callable[[int], None] | None = None,
           total: Callable[[int], None] | None = None, files: str | os.PathLike | None = None, *,
           exported_by: str | None = None, verified: AuditReport | None = None) -> Seal:
    """Write the whole ledger, as stored, in one snapshot; return its seal (``audit verify --file`` judges it).

    ``files``: a folder to write the bytes of every file the records name (``<sha256>`` each).
    ``exported_by``: the person exporting (default the local operator, ``system``); the seal names
    them and the office. ``verified``: the database's verify just run by the caller; without it the
    export runs one first. Its verdict goes into the seal: a ledger that does not verify is still
    exported (an auditor needs it most then), and the seal says so (``Seal.verdict_word``).
    """
    if fmt not in FORMATS:
        raise UsageError("--format", f"'{fmt}' is not one of: {', '.join(FORMATS)}",
                         f"'{fmt}' ไม่ใช่รูปแบบที่มี: {', '.join(FORMATS)}")
    target = Path(path)
    tmp = target.with_name(target.name + ".partial")
    if not target.parent.is_dir():
        raise UsageError("-o", f"no such folder: {target.parent}", f"ไม่พบโฟลเดอร์ {target.parent}")
    folder = files_folder(files, create=True)
    who = exported_by or "system"
    office, exporter = sealed_names(app, who)  # an unknown exporter is refused before anything is written
    if verified is None:
        from engine.audit.live import verify

        verified = verify(app)
    named = NamedFiles()
    now = app.now()
    with app.store.reading() as tx:
        if app.store.dialect == "postgresql":
            tx.conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        head_seq, head_hash = tx.head()
        if total is not None:
            total(head_seq)
        defs = tx.definition_rows()
        header = {"ruam_export": 1, "format": fmt, "exported_at": now.isoformat(), "source": app.store.dialect,
                  # whose chain this is, by name (its records carry the code, under their hashes)
                  "office": {"code": office["code"], "name_th": office["th"], "name_en": office["en"]}}
        try:
            with open(tmp, "wb") as raw:
                out = _HashingWriter(raw)
                if fmt == "jsonl":
                    out.write(json.dumps(header, ensure_ascii=False) + "\n")
                    for d in defs:
                        out.write(_definition_line(d))
                    count, last = _write_jsonl(out, named.watch(tx.stream_rows()), progress)
                else:
                    out.write("\ufeff")
                    count, last = _write_csv(out, named.watch(tx.stream_rows()), progress)
                file_digest = out.digest.hexdigest()
            if fmt == "csv":
                with open(definitions_path(target), "w", encoding="utf-8", newline="\n") as side:
                    side.write(json.dumps(header | {"format": "definitions"}, ensure_ascii=False) + "\n")
                    for d in defs:
                        side.write(_definition_line(d))
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        named_files = manifest(tx, named, folder)
    used = []
    for d in defs:
        used.append({"kind": d["kind"], "id": d["name"], "version": d["version"]})
    seal = Seal(head_hash=last[1] if count else head_hash, head_seq=last[0] if count else head_seq,
                records=count, definitions=tuple(used), office=office, exported_by=exporter,
                exported_at=now.isoformat(), verdict=verdict_at_export(verified),
                extra={"format": fmt, "file": target.name, "file_sha256": file_digest,
                       "exported_at_be": format_datetime_be(now),
                       "database_head": f"{head_seq}:{head_hash}", "attachments": named_files})
    seal_path(target).write_text(json.dumps(seal.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return seal


def sealed_names(app: Any, person: str) -> tuple[dict, dict]:
    """The office (its code and the name every face shows it by) and the exporter, in both
    languages, as the seal keeps them."""
    from engine.names import Names
    from engine.offices import this_office

    office = this_office(app)
    if person != "system" and not any(p["id"] == person for p in app.people()):
        raise NotFound("person", person, "บุคคล")
    th, en = Names.of(app, "th"), Names.of(app, "en")
    return ({"code": office["code"], "th": office["name_th"], "en": office["name_en"]},
            {"id": person, "th": th.person(person) if person != "system" else LOCAL_OPERATOR[0],
             "en": en.person(person) if person != "system" else LOCAL_OPERATOR[1]})


LOCAL_OPERATOR = ("ผู้ดูแลเครื่องแม่ข่าย (ไม่ได้ระบุชื่อด้วย --as)", "the local operator (no --as given)")


def verdict_at_export(report: AuditReport) -> dict:
    """The seal's record of the database's verify just before the export."""
    return {"verdict": report.verdict, "findings_total": report.findings.total,
            "finding_counts": dict(report.findings.by_kind), "head_seq": report.head_seq}


def _definition_line(d: dict) -> str:
    return json.dumps({"definition": {"version": d["version"], "kind": d["kind"], "name": d["name"],
                                      "content": d["content"]}}, ensure_ascii=False) + "\n"


def _write_jsonl(out: _HashingWriter, rows: Iterator[StoredRow],
                 progress: Callable[[int], None] | None) -> tuple[int, tuple[int, str]]:
    count, last = 0, (0, "")
    dumps = json.dumps
    for row in rows:
        out.write(dumps({"seq": row.seq, "prev_hash": row.prev_hash, "hash": row.hash, "kind": row.kind,
                         "process": row.process, "body": row.body}, ensure_ascii=False) + "\n")
        count += 1
        last = (row.seq, row.hash)
        if progress is not None and count % 8192 == 0:
            progress(count)
    return count, last


def _write_csv(out: _HashingWriter, rows: Iterator[StoredRow],
               progress: Callable[[int], None] | None) -> tuple[int, tuple[int, str]]:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count, last = 0, (0, "")
    for row in rows:
        try:
            rec: Record | None = Record.from_text(row.body)
        except (ValueError, TypeError):
            rec = None
        d = rec.data if rec is not None and isinstance(rec.data, dict) else {}
        writer.writerow([
            row.seq, rec.at if rec else "", format_datetime_be(rec.moment) if rec else "", row.kind,
            row.process or "", _safe_cell(rec.actor if rec else ""), _safe_cell(rec.role if rec else ""),
            _safe_cell(rec.responsible if rec else ""), _safe_cell(d.get("trigger")), _safe_cell(d.get("from")),
            _safe_cell(d.get("to")), _safe_cell(d.get("note")), row.prev_hash, row.hash, row.body,
        ])
        count += 1
        last = (row.seq, row.hash)
        if progress is not None and count % 8192 == 0:
            progress(count)
    return count, last


# --------------------------------------------------------------------------- offline verification


class _Definitions(dict):
    """The definitions an export carries, by version; those whose content no longer hashes to their
    version are ``None`` here and remembered in ``altered`` (reported after the replay: a definition
    the records register is then already reported at its ``definition.registered`` record)."""

    def __init__(self) -> None:
        super().__init__()
        self.altered: dict[str, str] = {}  # version -> where in the files

    def report(self, report: AuditReport) -> None:
        for version, where in self.altered.items():
            report.findings.append(Finding("definition", None, f"{where}: definition {version[:12]} does not "
                                                               "hash to its version (altered)",
                                           data={"problem": definition_problem(version)},
                                           message_th=f"{where}: นิยาม {version[:12]} ไม่ตรงกับ hash ของรุ่น (ถูกแก้ไข)"))


def _read_definitions(lines: Iterator[str], where: str, report: AuditReport, defs: _Definitions) -> None:
    for n, line in enumerate(lines, start=2):
        try:
            item = json.loads(line)["definition"]
            version, content = item["version"], item["content"]
        except (ValueError, KeyError, TypeError):
            report.findings.append(Finding("definition", None, f"{where} line {n}: not a definition",
                                           message_th=f"{where} บรรทัด {n}: ไม่ใช่นิยาม"))
            continue
        defs[version] = definition_from_content(version, content)
        if defs[version] is None:
            defs.altered.setdefault(version, where)


def _jsonl_rows(lines: Iterator[tuple[int, str]], report: AuditReport,
                defs: _Definitions) -> Iterator[StoredRow]:
    for n, line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            report.findings.append(Finding("chain", None, f"line {n}: not JSON (the file is damaged)",
                                           message_th=f"บรรทัด {n}: ไม่ใช่ JSON (ไฟล์เสียหาย)"))
            continue
        if "definition" in item:
            _read_definitions(iter([line]), f"line {n}", report, defs)
            continue
        try:
            yield StoredRow(item["seq"], item["prev_hash"], item["hash"], item["kind"], item["process"],
                            item["body"])
        except (KeyError, TypeError):
            report.findings.append(Finding("chain", item.get("seq") if isinstance(item, dict) else None,
                                           f"line {n}: not a ledger line",
                                           message_th=f"บรรทัด {n}: ไม่ใช่บรรทัดของบันทึก"))


def _csv_rows(handle: IO[str], report: AuditReport) -> Iterator[StoredRow]:
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None or tuple(header) != CSV_COLUMNS:
        raise UsageError("--file", "not a Ruam CSV export (unexpected header)", "ไม่ใช่ไฟล์ CSV ที่ส่งออกจาก Ruam")
    index = {name: i for i, name in enumerate(CSV_COLUMNS)}
    for n, cells in enumerate(reader, start=2):
        try:
            yield StoredRow(int(cells[index["seq"]]), cells[index["prev_hash"]], cells[index["hash"]],
                            cells[index["kind"]], cells[index["process"]] or None, cells[index["body"]])
        except (ValueError, IndexError):
            report.findings.append(Finding("chain", None, f"row {n}: not a ledger row (the file is damaged)",
                                           message_th=f"แถว {n}: ไม่ใช่แถวของบันทึก (ไฟล์เสียหาย)"))


def verify_file(path: str | os.PathLike, seal: Seal | None = None,
                progress: Callable[[int], None] | None = None,
                files: str | os.PathLike | None = None) -> AuditReport:
    """Verify an export with no database: chain, seal, legality and authority (with its definitions),
    the calendar's rules (its records are in the ledger: the same ``FOLD_EXTENSIONS`` as on the
    database), and the files the records name against the folder ``files`` (without it: not judged,
    never a pass). What an export cannot hold — the database's tables — is said in ``checks``;
    what the records need but the export lacks (the definitions beside a CSV, the files) makes the
    verdict incomplete."""
    return _verify_file(path, seal, progress, files)[0]


def verify_file_named(path: str | os.PathLike, seal: Seal | None = None,
                      progress: Callable[[int], None] | None = None, files: str | os.PathLike | None = None,
                      lang: str = "th") -> tuple[AuditReport, Any, dict | None]:
    """``verify_file``, the names to tell its findings with (``engine.names.Names``) taken from the
    export itself (its last active definitions and the people its records added; None if it lacks
    them), and whose chain it is: ``{"code", "name_th", "name_en"}`` (``office_in_file``)."""
    report, fold, defs, header = _verify_file(path, seal, progress, files)
    return report, _export_names(fold, defs, lang), office_in_file(report, header)


def office_in_file(report: AuditReport, header: dict) -> dict | None:
    """The office whose chain an export holds: the code its records carry (``report.office``, under
    their hashes), named as the export's header line names it when that line names the same office
    (an export made before offices names none: its code alone). None when no record was read."""
    if report.office is None:
        return None
    names = {"code": report.office, "name_th": "", "name_en": ""}
    said = header.get("office")
    if isinstance(said, dict) and said.get("code") == report.office:
        names.update(name_th=str(said.get("name_th") or ""), name_en=str(said.get("name_en") or ""))
    return names


def _export_names(fold: Any, defs: dict, lang: str) -> Any:
    from engine.names import Names

    active = {kind: defs.get(version) for kind, version in fold.active.items()}
    if active.get("organization") is None or active.get("procedure") is None:
        return None
    procedures = {v: d for v, d in defs.items() if d is not None and d.kind == "procedure"}
    people = [{"id": pid, **data} for pid, data in fold.people.items() if isinstance(data.get("name"), str)]
    return Names(active["organization"], active["procedure"], lang, calendar=active.get("calendar"),
                 people=people, procedures=procedures)


def _verify_file(path: str | os.PathLike, seal: Seal | None, progress: Callable[[int], None] | None,
                 files: str | os.PathLike | None) -> tuple[AuditReport, Any, dict, dict]:
    """The report, the fold, the definitions and the export's header line (a CSV's: the first line of
    the definitions file beside it; {} when there is none)."""
    from engine.audit.live import FOLD_EXTENSIONS

    source = Path(path)
    if not source.is_file():
        raise UsageError("--file", f"no such file: {source}", f"ไม่พบไฟล์ {source}")
    folder = files_folder(files, create=False)
    named = NamedFiles()
    report = AuditReport(source=f"file {source.name}")
    defs = _Definitions()
    no_definitions = False
    header: dict = {}
    extensions = [make() for make in FOLD_EXTENSIONS]
    try:
        with open(source, "r", encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            if first.startswith("{"):
                header = _header(first)
                if header.get("ruam_export") != 1:
                    raise UsageError("--file", "not a Ruam export (no header line)", "ไม่ใช่ไฟล์ที่ส่งออกจาก Ruam")
                rows = _jsonl_rows(((n, line) for n, line in enumerate(handle, start=2) if line.strip()),
                                   report, defs)
            else:
                handle.seek(0)
                side = definitions_path(source)
                if side.is_file():
                    with open(side, encoding="utf-8") as s:
                        header = _header(s.readline())
                        _read_definitions((line for line in s if line.strip()), side.name, report, defs)
                else:
                    no_definitions = True
                    report.checks["legality"] = f"skipped: {side.name} (the definitions) is not beside the file"
                    report.checks["authority"] = report.checks["legality"]
                rows = _csv_rows(handle, report)
            fold = replay(named.watch(rows), defs.get, report=report, seal=seal, progress=progress,
                          extensions=extensions, office=FROM_FIRST)  # the office of the export's chain
    except UnicodeDecodeError:
        raise UsageError("--file", "is not UTF-8 text", "ไม่ใช่ข้อความ UTF-8") from None
    except OSError as exc:
        raise UsageError("--file", f"cannot read {source}: {exc.strerror}") from None
    defs.report(report)
    if no_definitions:
        # without definitions every transition would read as 'unknown procedure': keep only the chain's word
        kept = Findings()
        for f in report.findings:
            if f.kind in ("chain", "seal"):
                kept.append(f)
        report.findings = kept
        _without_definitions(report, definitions_path(source).name)
    report.head_seq, report.head_hash = report.last_seq, report.last_hash
    report.checks["projection"] = "skipped: no database (an export holds the ledger only)"
    if folder is not None:
        check_folder(named, folder, report)
    elif named:
        not_judged(named, report)
    else:
        report.checks["attachments"] = "done: the records name no files"
    if seal is not None:
        _seal_at_export(seal, report)
    if report.records == 0:
        report.findings.append(Finding("chain", None, "the file holds no ledger records",
                                       message_th="ไฟล์ไม่มีบันทึกใดเลย"))
    sort_findings(report)
    return report, fold, defs, header


def _header(line: str) -> dict:
    """A header line's object ({} for one that is not JSON: the definitions beside a CSV are judged
    on their own lines)."""
    try:
        found = json.loads(line)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _without_definitions(report: AuditReport, side: str) -> None:
    """A CSV without its definitions: the chain and the seal are judged, the steps and the calendar are not."""
    calendar = report.checks.get("calendar") != "no calendar records in the ledger"
    if calendar:
        report.checks["calendar"] = report.checks["legality"]
    report.incomplete.append((
        "legality",
        "legality, authority" + (" and the calendar" if calendar else "") + " were not checked: the "
        f"definitions the records name are not beside the file; put {side} (written with the CSV export) next to it",
        "ยังไม่ได้ตรวจความถูกต้องของขั้นตอนและอำนาจของผู้ดำเนินการ" + ("และปฏิทิน" if calendar else "")
        + f" เพราะไม่มีนิยามที่บันทึกอ้างถึงอยู่ข้างไฟล์: วางไฟล์ {side} (สร้างพร้อมการส่งออก CSV) ไว้ข้างไฟล์ส่งออก"))


def _seal_at_export(seal: Seal, report: AuditReport) -> None:
    """What the given seal says the database's own verify found when it was exported (a seal file
    records it), shown with the seal. If it failed and this check finds nothing, the problem lies
    in what an export does not hold (the tables): a finding here, so the file does not pass. If this
    check finds problems itself, they are the findings (the same problem is not told twice)."""
    at_export = seal.verdict
    if report.seal is not None and at_export is not None:
        report.seal["verdict_at_export"] = at_export.get("verdict")
    if at_export is None or at_export.get("verdict") != "failed" or report.findings.total:
        return
    n = int(at_export.get("findings_total") or 0)
    report.findings.append(Finding(
        "seal", seal.head_seq,
        f"the seal records that the database did not verify when this ledger was exported ({n} finding(s)); "
        "run 'ruam audit verify' on the database for them",
        message_th=f"ตราประทับบันทึกว่าเมื่อส่งออก ฐานข้อมูลไม่ผ่านการตรวจสอบ (พบปัญหา {n} ข้อ): "
                   "สั่ง ruam audit verify กับฐานข้อมูลเพื่อดูรายละเอียด"))
