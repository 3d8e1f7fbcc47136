"""``ruam verify`` and ``ruam audit …``: verify, replay --as-of, history, export
(the CLI face of ``engine.audit``).

Exit codes: 0 everything verifies; 1 a finding (or a refusal); 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.cli.common import EXIT_FAILED, EXIT_OK, Parser, add_common, lang, moment, open_app, print_json, progress


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("verify", help="check the hash chain and that the state equals the replayed ledger "
                                      "(same as 'audit verify')")
    add_common(p, json_flag=True)
    p.add_argument("--seal", metavar="HEAD", help="an earlier seal: HASH, SEQ:HASH or a .seal.json file")
    p = sub.add_parser("audit", help="for auditors: verify the ledger, replay it as of a date, history, export")
    asub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    q = asub.add_parser("verify", help="chain, legality, authority, projection (database or --file); exit 1 on "
                                       "any finding")
    add_common(q, json_flag=True)
    q.add_argument("--file", metavar="FILE", help="verify an export offline (no database)")
    q.add_argument("--seal", metavar="HEAD", help="an earlier seal: HASH, SEQ:HASH or a .seal.json file; "
                                                  "detects truncation and rewriting since")
    q.add_argument("--files", metavar="DIR", help="with --file: the folder of the files the records name "
                                                  "(written by 'audit export --files DIR'); without it "
                                                  "those files are not judged and the verdict is incomplete")
    q.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    _workers_arg(q)
    q = asub.add_parser("replay", help="the state of every process as it was at a moment")
    add_common(q, json_flag=True)
    q.add_argument("--as-of", required=True, metavar="DATE",
                   help="Bangkok time, BE or CE: 2570-03-31 (the end of that day), 31/3/2570, "
                        "2570-03-31T09:00 (that moment)")
    q.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    _workers_arg(q)
    q = asub.add_parser("history", help="the timeline of one process: when, what, who, role, responsible, "
                                        "evidence, note")
    add_common(q, json_flag=True)
    q.add_argument("process", metavar="YEAR/TASK")
    q = asub.add_parser("export", help="write the ledger (jsonl or csv) and its seal, to print and sign")
    add_common(q, json_flag=True)
    q.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    q.add_argument("-o", "--output", required=True, metavar="FILE")
    q.add_argument("--files", metavar="DIR", help="also write the bytes of every file the records name into DIR "
                                                  "(one file per sha256), for 'audit verify --file … --files DIR'")
    q.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    for name, handler in {"verify": run_verify, "audit": run}.items():
        sub.choices[name].set_defaults(run=handler)


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 64, not '{text}'")
    return n


def _workers_arg(q: argparse.ArgumentParser) -> None:
    q.add_argument("--workers", type=_workers, metavar="N",
                   help="processes that fold the ledger, split by process id (default 1; each "
                        "more is faster on an idle core and costs its own memory)")


def _th(args: argparse.Namespace) -> bool:
    return lang(args) == "th"


def _seal_arg(text: str | None):
    from workflow.seal import parse_seal

    if text is None:
        return None
    path = Path(text)
    if not text.strip().startswith("{") and (path.suffix == ".json" or path.is_file()):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            from workflow.errors import UsageError

            raise UsageError("--seal", f"cannot read {path}: {exc.strerror}") from None
    return parse_seal(text)


def run(args: argparse.Namespace) -> int:
    return {"verify": run_verify, "replay": run_replay, "history": run_history,
            "export": run_export}[args.action](args)


class _opened:
    """The application for one command; its connections are closed when the command ends."""

    def __enter__(self):
        return self

    def __call__(self, args: argparse.Namespace):
        self.app = open_app(args)
        return self.app

    def __exit__(self, *exc) -> None:
        app = getattr(self, "app", None)
        if app is not None:
            app.store.dispose()


# --------------------------------------------------------------------------- verify

def run_verify(args: argparse.Namespace) -> int:

    seal = _seal_arg(getattr(args, "seal", None))
    if getattr(args, "files", None) and not getattr(args, "file", None):
        from workflow.errors import UsageError

        raise UsageError("--files", "is for an offline check (--file EXPORT): the database's own files are "
                                    "always checked", "ใช้ --files คู่กับ --file เท่านั้น (ตรวจแบบออฟไลน์) "
                                    "การตรวจฐานข้อมูลตรวจไฟล์แนบที่เก็บไว้ทุกครั้งอยู่แล้ว")
    bar = progress(args, "verify")
    try:
        if getattr(args, "file", None):
            from engine.audit.export import verify_file

            report = verify_file(args.file, seal, progress=bar, files=getattr(args, "files", None))
        else:
            from engine.audit.live import verify

            with _opened() as opened:
                report = verify(opened(args), progress=bar, seal=seal, total=bar.set_total if bar else None,
                                workers=getattr(args, "workers", None))
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        print_json(report.as_dict())
    else:
        print_report(report, _th(args))
    return EXIT_OK if report.ok else EXIT_FAILED


def print_report(report, th: bool, out=None) -> None:
    out = out or sys.stdout
    w = lambda text="": print(text, file=out)  # noqa: E731
    w(("ตรวจสอบบันทึก: " if th else "ledger audit: ") + report.source)
    w(f"  {'จำนวนบันทึก' if th else 'records'}: {report.records:,}"
      + (f" (#{report.first_seq} – #{report.last_seq})" if report.records else ""))
    if report.head_hash:
        w(f"  {'หัวสาย' if th else 'head'}: #{report.head_seq} {report.head_hash}")
    w(f"  {'กระบวนการ' if th else 'processes'}: {report.processes:,}   {'บุคคล' if th else 'people'}: "
      f"{report.people:,}   {'การมอบหมายบทบาท' if th else 'role assignments'}: {report.assignments:,}")
    for d in report.definitions:
        w(f"  {'นิยาม' if th else 'definition'}: {d['kind']:<13} {d['id'] or '':<36} {d['version']}")
    for check, state in report.checks.items():
        w(f"  {check:<11} {state}")
    if report.seal is not None:
        s = report.seal
        w(f"  seal        {'ok' if s['ok'] else 'FAILED'} ({s['seal'][:24]}…; "
          f"{s['records_after_seal']:,} {'รายการหลังตราประทับ' if th else 'records after it'})")
    if report.findings:
        w()
        for f in report.findings:
            where = f"#{f.seq}" if f.seq is not None else "-"
            w(f"{where:<9} {f.kind:<11} {f.text('th' if th else 'en')}")
        if report.findings.dropped:
            w(f"… {'และอีก' if th else 'and'} {report.findings.dropped:,} "
              f"{'ข้อที่ไม่ได้แสดง' if th else 'more not listed'}")
        w()
    counts = ", ".join(f"{k} {n:,}" for k, n in sorted(report.findings.by_kind.items()))
    if report.ok:
        w("ผ่าน: ไม่พบปัญหา" if th else "PASSED: no findings")
    elif not report.findings.total:  # nothing wrong found, but something could not be judged: not a pass
        w("ตรวจไม่ครบ: ไม่พบปัญหาในส่วนที่ตรวจได้ แต่ยังตัดสินผลทั้งหมดไม่ได้" if th else
          "INCOMPLETE: no findings in what was checked, but not everything could be judged")
        for _check, en, thai in report.incomplete:
            w(f"  - {thai if th else en}")
    else:
        first = report.findings[0]
        where = f"#{first.seq}" if first.seq is not None else ("ฐานข้อมูล" if th else "-")
        w((f"ไม่ผ่าน: พบปัญหา {report.findings.total:,} ข้อ ({counts}); แรกสุดที่ {where}" if th else
           f"FAILED: {report.findings.total:,} finding(s) ({counts}); first at {where}"))


# --------------------------------------------------------------------------- replay, history

def as_of_moment(text: str):
    """``--as-of``: a date means the end of that day in Bangkok (everything recorded on it counts, as an
    auditor's "as at 31 March" does); a date-time is taken as given (Bangkok time unless it names a zone)."""
    import datetime as dt

    from workflow.fiscal import to_arabic_digits

    at = moment(text, "--as-of")
    raw = to_arabic_digits(str(text).strip())
    if "T" not in raw and " " not in raw:
        at = at + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return at


def run_replay(args: argparse.Namespace) -> int:
    from engine.audit.live import replay_as_of
    from workflow.fiscal import format_datetime_be
    from workflow.ledger import parse_instant

    moment = as_of_moment(args.as_of)
    bar = progress(args, "replay")
    try:
        with _opened() as opened:
            state = replay_as_of(opened(args), moment, progress=bar, total=bar.set_total if bar else None,
                                 workers=getattr(args, "workers", None))
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        print_json(state)
        return EXIT_OK
    th = _th(args)
    w = print
    w((f"สถานะ ณ {state['as_of_be']} (บันทึก {state['records_folded']:,} รายการ ถึง #{state['last_seq']})" if th else
       f"state as of {state['as_of_be']} ({state['records_folded']:,} records, up to #{state['last_seq']})"))
    if not state["ledger_ok"]:
        f = state["first_finding"]
        w((f"คำเตือน: บันทึกไม่ผ่านการตรวจสอบ ({state['findings_total']} ข้อ) แรกสุดที่ #{f['seq']}: {f['message']}"
           if th else f"warning: the ledger does not verify ({state['findings_total']} finding(s)); first at "
                      f"#{f['seq']}: {f['message']}"), file=sys.stderr)
    w(("กระบวนการ:" if th else "processes:"))
    for p in state["processes"]:
        when = format_datetime_be(parse_instant(p["last_at"]))
        w(f"  {p['id']:<44} {p['state']:<22} v{p['version']:<3} {when}  "
          f"{'ผู้รับผิดชอบ' if th else 'responsible'}: {p['responsible'] or '-'}")
    if not state["processes"]:
        w("  -")
    w(("บทบาทที่มีผล:" if th else "role assignments in force:"))
    for a in state["assignments"]:
        w(f"  [{a['id']}] {a['person']:<32} {a['role']:<22} {a['scope'] or '-'}")
    for key, value in state.items():
        if key not in ("as_of", "as_of_be", "records_folded", "last_seq", "last_hash", "active_definitions",
                       "processes", "people", "assignments", "ledger_ok", "findings_total", "first_finding"):
            w(f"{key}:")
            w(json.dumps(value, ensure_ascii=False, indent=2, default=str))
    return EXIT_OK


def run_history(args: argparse.Namespace) -> int:
    from engine.audit.live import history

    with _opened() as opened:
        data = history(opened(args), args.process)
    if args.json:
        print_json(data)
        return EXIT_OK if data["intact"] else EXIT_FAILED
    th = _th(args)
    print(f"{data['process']}: {data['state'] or '-'} (v{data['version']})")
    for e in data["entries"]:
        mark = "" if e["intact"] else ("  !! ข้อความไม่ตรงกับ hash" if th else "  !! text does not match its hash")
        if "at_be" not in e:
            print(f"#{e['seq']:<7} {e['kind']}{mark}")
            continue
        what = e["kind"]
        if e["kind"] == "process.transitioned":
            what = f"{e['trigger']}: {e['from']} → {e['to']}"
        elif e["kind"] == "process.opened":
            what = ("เปิดกระบวนการ" if th else "opened") + f" ({e['to']})"
        print(f"#{e['seq']:<7} {e['at_be']}  {what}{mark}")
        print(f"          {'โดย' if th else 'by'} {e['actor']} ({e['role']}); "
              f"{'ผู้รับผิดชอบ' if th else 'responsible'}: {e['responsible'] or '-'}")
        if e.get("evidence"):
            text = json.dumps(e["evidence"], ensure_ascii=False, sort_keys=True)
            print(f"          {'หลักฐาน' if th else 'evidence'}: {text}")
        if e.get("note"):
            print(f"          {'หมายเหตุ' if th else 'note'}: {e['note']}")
    if not data["intact"]:
        print("บางรายการไม่ตรงกับ hash: สั่ง 'ruam audit verify'" if th
              else "some entries do not match their hash: run 'ruam audit verify'", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


# --------------------------------------------------------------------------- export

def run_export(args: argparse.Namespace) -> int:
    from engine.audit.export import export, seal_path

    if not Path(args.output).parent.is_dir():  # before touching the database
        from workflow.errors import UsageError

        raise UsageError("-o", f"no such folder: {Path(args.output).parent}",
                         f"ไม่พบโฟลเดอร์ {Path(args.output).parent}")
    bar = progress(args, "export")
    try:
        with _opened() as opened:
            seal = export(opened(args), args.format, args.output, progress=bar,
                          total=bar.set_total if bar else None, files=getattr(args, "files", None))
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        print_json(seal.as_dict())
        return EXIT_OK
    print(seal_text(seal, _th(args), seal_path(args.output)))
    return EXIT_OK


def seal_text(seal, th: bool, where: Path) -> str:
    e = seal.extra
    lines = [
        "ตราประทับบันทึก Ruam (สำหรับพิมพ์และลงนาม)" if th else "Ruam ledger seal (print and sign)",
        "=" * 64,
        f"{'ไฟล์' if th else 'file'}:            {e.get('file')} ({e.get('format')})",
        f"{'ส่งออกเมื่อ' if th else 'exported'}:        {e.get('exported_at_be')}",
        f"{'จำนวนบันทึก' if th else 'records'}:         {seal.records:,}",
        f"{'บันทึกสุดท้าย' if th else 'head record'}:     #{seal.head_seq}",
        f"{'hash หัวสาย' if th else 'head hash'}:       {seal.head_hash}",
        f"sha256 {'ของไฟล์' if th else 'of file'}:  {e.get('file_sha256')}",
        *_files_lines(e.get("attachments"), th),
        ("นิยามที่ใช้:" if th else "definitions:"),
        *[f"  {d['kind']:<13} {d['id']:<36} {d['version']}" for d in seal.definitions],
        "",
        (f"ตรวจภายหลัง: ruam audit verify --file {e.get('file')} --seal {seal.head_seq}:{seal.head_hash}" if th else
         f"check later: ruam audit verify --file {e.get('file')} --seal {seal.head_seq}:{seal.head_hash}")
        + (f" --files {(e.get('attachments') or {}).get('folder')}" if (e.get("attachments") or {}).get("folder")
           else ""),
        f"{'บันทึกตราประทับที่' if th else 'seal written to'}: {where}",
        "",
        ("ลงชื่อ ........................................  วันที่ ................" if th else
         "signed ........................................  date ................"),
    ]
    return "\n".join(lines)


def _files_lines(files: dict | None, th: bool) -> list[str]:
    """The seal's lines about the files the records name (and any the database no longer holds intact)."""
    if not files:
        return []
    lines = [(f"ไฟล์แนบ:          {files['named']:,} ไฟล์ที่บันทึกอ้างถึง ({files['bytes']:,} ไบต์)" if th else
              f"attachments:     {files['named']:,} file(s) named by the records ({files['bytes']:,} bytes)")]
    if files.get("folder"):
        lines.append((f"                  เขียนไว้ในโฟลเดอร์ {files['folder']}" if th else
                      f"                 written to the folder {files['folder']}"))
    for f in files["files"]:
        if f["state"] != "ok":
            lines.append((f"  !! ไฟล์ {f['sha256'][:12]}… (บันทึกที่ {f['seq']}) "
                          + ("ไม่มีในฐานข้อมูล" if f["state"] == "missing" else "เนื้อไฟล์ไม่ตรงกับ hash")
                          + ": สั่ง 'ruam audit verify'") if th else
                         (f"  !! file {f['sha256'][:12]}… (record {f['seq']}) "
                          + ("is not in the database" if f["state"] == "missing" else "does not match its hash")
                          + ": run 'ruam audit verify'"))
    return lines
