"""``ruam verify`` and ``ruam audit …``: verify, replay --as-of, history, export
(the CLI face of ``engine.audit``).

Exit codes: 0 everything verifies; 1 a finding (or a refusal); 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine.cli import seals as seals_cli
from engine.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Parser,
    add_common,
    lang,
    moment,
    office_line,
    open_app,
    print_json,
    progress,
    verified_office,
)


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
    q.add_argument("--all-offices", action="store_true",
                   help="every office's ledger, each on its own (--workers N: N offices at a time)")
    _workers_arg(q)
    seals_cli.since_args(q)
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
    q = asub.add_parser("export", help="verify, then write the ledger (jsonl or csv) and its seal, to print and "
                                       "sign (the seal names the office, who exported, when and the verdict)")
    add_common(q, json_flag=True, as_flag="optional")
    q.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    q.add_argument("-o", "--output", required=True, metavar="FILE")
    q.add_argument("--files", metavar="DIR", help="also write the bytes of every file the records name into DIR "
                                                  "(one file per sha256), for 'audit verify --file … --files DIR'")
    q.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    seals_cli.add_actions(asub)  # seal, key, prove, check-proof, rebuild-tree
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

            raise UsageError("--seal", f"cannot read {path}: {exc.strerror}", f"อ่านไฟล์ {path} ไม่ได้") from None
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
    if getattr(args, "since", None):
        return seals_cli.run_verify_since(args, print_report)
    if getattr(args, "all_offices", False):
        from engine.cli.office import verify_all_offices

        return verify_all_offices(args)

    seal = _seal_arg(getattr(args, "seal", None))
    if getattr(args, "files", None) and not getattr(args, "file", None):
        from workflow.errors import UsageError

        raise UsageError("--files", "is for an offline check (--file EXPORT): the database's own files are "
                                    "always checked", "ใช้ --files คู่กับ --file เท่านั้น (ตรวจแบบออฟไลน์) "
                                    "การตรวจฐานข้อมูลตรวจไฟล์แนบที่เก็บไว้ทุกครั้งอยู่แล้ว")
    bar = progress(args, "verify")
    names = office = None
    try:
        if getattr(args, "file", None):
            from engine.audit.export import verify_file_named

            report, names, office = verify_file_named(args.file, seal, progress=bar,
                                                      files=getattr(args, "files", None), lang=lang(args))
        else:
            from engine.audit.live import verify

            with _opened() as opened:
                app = opened(args)
                report = verify(app, progress=bar, seal=seal, total=bar.set_total if bar else None,
                                workers=getattr(args, "workers", None))
                names = _names_or_none(app, args)
                office = verified_office(app)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        print_json(report.as_dict() | ({"office": office["code"]} if office else {}))
    else:
        print_report(report, _th(args), names=names, office=office)
    return EXIT_OK if report.ok else EXIT_FAILED


def _names_or_none(app, args: argparse.Namespace):
    """Names to tell findings with; a database too damaged to name things gets the findings' own words."""
    from engine.names import Names

    try:
        return Names.of(app, lang(args))
    except Exception:  # noqa: BLE001 - the audit's verdict matters more than its wording
        return None


def print_report(report, th: bool, out=None, names=None, office: dict | None = None) -> None:
    """The report as a person reads it: which office (when it is a database's), what was checked,
    each finding once (told with titles and names), the verdict (engine.audit.words: the same words
    as the /audit page)."""
    from engine.audit.words import check_label, check_state, finding_text, kind_label, verdict, where
    from engine.names import definition_kind, pick

    out = out or sys.stdout
    w = lambda text="": print(text, file=out)  # noqa: E731
    source = report.source
    if th and source.startswith("file "):
        source = "ไฟล์ " + source[5:]
    elif th:
        source = "ฐานข้อมูล " + {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(source, source)
    w(("ตรวจสอบบันทึก: " if th else "ledger audit: ") + source)
    if office is not None:
        w("  " + office_line(office, th))
    w(f"  {'จำนวนบันทึก' if th else 'records'}: {report.records:,}"
      + (f" (#{report.first_seq} – #{report.last_seq})" if report.records else ""))
    if report.head_hash:
        w(f"  {'หัวสาย' if th else 'head'}: #{report.head_seq} {report.head_hash}")
    w(f"  {'กระบวนการ' if th else 'processes'}: {report.processes:,}   {'บุคคล' if th else 'people'}: "
      f"{report.people:,}   {'การมอบหมายบทบาท' if th else 'role assignments'}: {report.assignments:,}")
    for d in report.definitions:
        kind = definition_kind(d["kind"], "th" if th else "en")
        w(f"  {'นิยาม' if th else 'definition'}: {kind} {'รุ่น' if th else 'version'} {d['version']}")
    for check, state in report.checks.items():
        w(f"  {check_label(check, th)}: {check_state(state, th)}")
    if report.seal is not None:
        s = report.seal
        w(f"  {'ตราประทับ' if th else 'seal'}: {('ตรงกัน' if th else 'ok') if s['ok'] else ('ไม่ตรงกัน' if th else 'FAILED')}"
          f" ({s['seal'][:24]}…; {s['records_after_seal']:,} {'รายการหลังตราประทับ' if th else 'records after it'})")
        at_export = s.get("verdict_at_export")
        if at_export:
            from engine.audit.words import VERDICTS

            w(f"  {'ผลตรวจฐานข้อมูลเมื่อส่งออก (ตามตราประทับ)' if th else 'database verify at export (by the seal)'}: "
              f"{pick(VERDICTS.get(at_export, (at_export, at_export)), 'th' if th else 'en')}")
    if report.findings:
        w()
        for f in report.findings:
            w(f"{where(f.seq, th):<9} {kind_label(f.kind, th)}: {finding_text(f, th, names)}")
        if report.findings.dropped:
            w(f"… {'และอีก' if th else 'and'} {report.findings.dropped:,} "
              f"{'ข้อที่ไม่ได้แสดง' if th else 'more not listed'}")
        w()
    line, details = verdict(report, th)
    w(line)
    for detail in details:
        w(f"  - {detail}")


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
    names = _names(args)
    w(("กระบวนการ:" if th else "processes:"))
    for p in state["processes"]:
        when = format_datetime_be(parse_instant(p["last_at"]))
        w(f"  {names.process(p['id'])}: {names.state(p['state'])} ({'รุ่น' if th else 'version'} {p['version']}, "
          f"{when}); {'ผู้รับผิดชอบ' if th else 'responsible'}: {names.person(p['responsible'])}")
    if not state["processes"]:
        w("  -")
    w(("บทบาทที่มีผล:" if th else "role assignments in force:"))
    for a in state["assignments"]:
        w(f"  [{a['id']}] {names.person(a['person'])} — {names.role(a['role'])} — {names.scope(a['scope'])}")
    for key, value in state.items():
        if key not in ("as_of", "as_of_be", "records_folded", "last_seq", "last_hash", "active_definitions",
                       "processes", "people", "assignments", "ledger_ok", "findings_total", "first_finding"):
            _print_extension(key, value, names, w)
    return EXIT_OK


def _names(args: argparse.Namespace):
    """Names for a command that opened the application (``_opened``) — read afresh."""
    from engine.names import Names

    return Names.of(open_app(args), lang(args))


def _print_extension(key: str, value, names, w) -> None:
    """What an extension folded (the calendar's items), as counts by status — never raw JSON."""
    th = names.th
    if key == "calendar" and isinstance(value, dict):
        items = value.get("items") or {}
        counts: dict[str, int] = {}
        for item in items.values():
            status = item.get("status", "-")
            if item.get("overdue") and status == "open":
                status = "overdue"
            counts[status] = counts.get(status, 0) + 1
        from engine.names import calendar_status

        shown = ", ".join(f"{calendar_status(k, names.lang)} {n}" for k, n in sorted(counts.items()))
        w(("ปฏิทิน: " if th else "calendar: ") + (f"{len(items)} {'รายการ' if th else 'items'} ({shown})"
                                                 if items else "-"))
        return
    w(f"{key}: {len(value) if hasattr(value, '__len__') else value}")


_CALENDAR_EVIDENCE = ("summary", "document", "findings", "advice", "held_on", "tasks", "files")


def _calendar_fields():
    from workflow.definitions import FieldSpec, Title

    def f(fid: str, th: str, en: str, kind: str = "text", sub=()) -> FieldSpec:
        return FieldSpec(fid, kind, Title(th, en), fields=tuple(sub))

    return (f("summary", "สรุปผลการดำเนินงาน", "summary"), f("document", "เลขที่หนังสือ", "document number"),
            f("held_on", "วันที่กำกับติดตาม", "held on", "date"), f("findings", "ข้อค้นพบ", "findings"),
            f("advice", "ข้อเสนอแนะ", "advice"),
            f("tasks", "รายงาน", "tasks", "list", (f("task", "งาน", "task"), f("findings", "ข้อค้นพบ", "findings"),
                                                   f("advice", "ข้อเสนอแนะ", "advice"))),
            f("files", "ไฟล์แนบ", "files", "list"))


def run_history(args: argparse.Namespace) -> int:
    from engine.audit.live import history

    with _opened() as opened:
        data = history(opened(args), args.process)
    if args.json:
        print_json(data)
        return EXIT_OK if data["intact"] else EXIT_FAILED
    th = _th(args)
    names = _names(args)
    print(f"{names.process(data['process'])}: {names.state(data['state'])} "
          f"({'รุ่น' if th else 'version'} {data['version']})")
    for e in data["entries"]:
        mark = "" if e["intact"] else ("  !! ข้อความไม่ตรงกับ hash" if th else "  !! text does not match its hash")
        if "at_be" not in e:
            print(f"#{e['seq']:<7} {names.kind(e['kind'])}{mark}")
            continue
        what = names.kind(e["kind"])
        if e["kind"] == "process.transitioned":
            what = f"{names.trigger(e['trigger'])}: {names.state(e['from'])} → {names.state(e['to'])}"
        elif e["kind"] == "process.opened":
            what = f"{names.kind(e['kind'])}: {names.state(e['to'])}"
        elif e["kind"].startswith("calendar.") and isinstance(e.get("evidence"), dict):
            what = f"{names.kind(e['kind'])} {names.item_id(e['evidence'].get('item_id'))}"
        print(f"#{e['seq']:<7} {e['at_be']}  {what}{mark}")
        role = f" {'ในฐานะ' if th else 'as'} {names.role(e['role'])}" if e.get("role") not in (None, "system") else ""
        print(f"          {'โดย' if th else 'by'} {names.person(e['actor'])}{role}; "
              f"{'ผู้รับผิดชอบ' if th else 'responsible'}: {names.person(e['responsible'])}")
        payload = e.get("evidence") or {}
        if e["kind"] != "process.transitioned" and isinstance(payload.get("evidence"), dict):
            payload = payload["evidence"]  # a report's or checkpoint's own evidence, inside its calendar record
        shown = payload if e["kind"] == "process.transitioned" else {
            k: v for k, v in payload.items() if k in _CALENDAR_EVIDENCE}
        if shown:
            print(f"          {'หลักฐาน' if th else 'evidence'}:")
            for line in names.evidence(shown, names.fields_of(e.get("trigger")) or _calendar_fields(),
                                       "            "):
                print(line)
        if e.get("note"):
            print(f"          {'หมายเหตุ' if th else 'note'}: {e['note']}")
    if not data["intact"]:
        print("บางรายการไม่ตรงกับ hash: สั่ง 'ruam audit verify'" if th
              else "some entries do not match their hash: run 'ruam audit verify'", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


# --------------------------------------------------------------------------- export

def run_export(args: argparse.Namespace) -> int:
    """Verify, then export: the seal names the office, who exported, when, and that verdict; a ledger
    that does not verify is exported all the same (exit 0) with a warning on stderr."""
    from engine.audit.export import export, seal_path, sealed_names
    from engine.audit.live import verify
    from engine.audit.words import export_warning, seal_text

    if not Path(args.output).parent.is_dir():  # before touching the database
        from workflow.errors import UsageError

        raise UsageError("-o", f"no such folder: {Path(args.output).parent}",
                         f"ไม่พบโฟลเดอร์ {Path(args.output).parent}")
    with _opened() as opened:
        app = opened(args)
        sealed_names(app, args.actor or "system")  # an unknown --as is refused before the long work
        bar = progress(args, "verify")
        try:
            verified = verify(app, progress=bar, total=bar.set_total if bar else None)
        finally:
            if bar is not None:
                bar.close()
        bar = progress(args, "export")
        try:
            seal = export(app, args.format, args.output, progress=bar, total=bar.set_total if bar else None,
                          files=getattr(args, "files", None), exported_by=args.actor, verified=verified)
        finally:
            if bar is not None:
                bar.close()
    warning = export_warning(seal, _th(args))
    if warning:
        print(warning, file=sys.stderr)
    if args.json:
        print_json(seal.as_dict())
        return EXIT_OK
    print(seal_text(seal, _th(args), seal_path(args.output)))
    return EXIT_OK
