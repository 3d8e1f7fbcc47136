"""The ``ruam`` command line.

Exit codes: 0 done; 1 refused (not allowed, invalid transition, bad evidence,
conflict, integrity failure, database trouble); 2 usage error. Messages are
Thai by default (``--lang en`` or ``RUAM_LANG=en`` for English); read commands
take ``--json``. The database is ``--db URL``, else ``RUAM_DATABASE_URL``,
else ``ruam.db`` in the working directory. Heavy modules load lazily.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"ruam: {message}\n")


def _common(p: argparse.ArgumentParser, *, json_flag: bool = False, as_flag: str | None = None) -> None:
    p.add_argument("--db", default=argparse.SUPPRESS, metavar="URL",
                   help="database URL or SQLite file (default: $RUAM_DATABASE_URL, else ./ruam.db)")
    p.add_argument("--lang", choices=("th", "en"), default=argparse.SUPPRESS, help="language of messages")
    if json_flag:
        p.add_argument("--json", action="store_true", help="print JSON")
    if as_flag == "required":
        p.add_argument("--as", dest="actor", required=True, metavar="PERSON", help="who acts")
    elif as_flag == "optional":
        p.add_argument("--as", dest="actor", default=None, metavar="PERSON",
                       help="who acts (default: the local operator, 'system')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ruam", description="Ruam (ร่วม) — the stakeholder participation workflow engine.")
    parser.add_argument("--version", action="version", version="ruam 0.1.0")
    _common(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("init", help="create/upgrade the database and load definitions (idempotent)")
    _common(p)
    p.add_argument("--demo", action="store_true", help="add placeholder people for every role")
    p.add_argument("--definitions", nargs="+", metavar="FILE", help="load these instead of the shipped ones")

    p = sub.add_parser("definitions", help="check, load and list definitions")
    dsub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = dsub.add_parser("check", help="validate definition files (no database needed)")
    _common(q)
    q.add_argument("files", nargs="*", metavar="FILE", help="YAML files (default: the shipped ones)")
    q = dsub.add_parser("load", help="register definition files and make them active")
    _common(q, as_flag="optional")
    q.add_argument("files", nargs="+", metavar="FILE")
    q = dsub.add_parser("list", help="stored definitions and which are active")
    _common(q, json_flag=True)

    p = sub.add_parser("people", help="people and their roles")
    psub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = psub.add_parser("add", help="add a person")
    _common(q, as_flag="optional")
    q.add_argument("person", metavar="PERSON_ID")
    q.add_argument("--name", required=True)
    q.add_argument("--position", default="")
    q.add_argument("--email")
    q = psub.add_parser("assign", help="give a person a role, for a unit/group/task, from when until when")
    _common(q, as_flag="optional")
    q.add_argument("person", metavar="PERSON_ID")
    q.add_argument("role")
    q.add_argument("--scope", help="unit, mission group or task id (none = the whole office)")
    q.add_argument("--from", dest="valid_from", metavar="DATE", help="start (Bangkok time; BE or CE), default now")
    q.add_argument("--until", metavar="DATE", help="end, exclusive (Bangkok time; BE or CE)")
    q = psub.add_parser("end", help="end a role assignment")
    _common(q, as_flag="optional")
    q.add_argument("assignment", type=int, metavar="ASSIGNMENT_ID")
    q.add_argument("--until", metavar="DATE", help="default now")
    q = psub.add_parser("list", help="people and their roles")
    _common(q, json_flag=True)
    q = psub.add_parser("set-password", help="set a person's web password (read from stdin or a prompt)")
    _common(q)
    q.add_argument("person", metavar="PERSON_ID")
    q = psub.add_parser("token", help="issue an API token for a person (printed once)")
    _common(q)
    q.add_argument("person", metavar="PERSON_ID")
    q.add_argument("--label", default="", help="what the token is for")

    p = sub.add_parser("cycle", help="fiscal-year cycles")
    csub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = csub.add_parser("open", help="open one process per task for a BE fiscal year (idempotent)")
    _common(q, json_flag=True, as_flag="optional")
    q.add_argument("fiscal_year", metavar="FISCAL_YEAR_BE")

    p = sub.add_parser("processes", help="list processes")
    _common(p, json_flag=True)
    p.add_argument("--fiscal-year", metavar="YEAR_BE")
    p.add_argument("--group", help="mission group or unit id")
    p.add_argument("--state")

    p = sub.add_parser("process", help="one process")
    prsub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = prsub.add_parser("show", help="state, history, and what a person may do now")
    _common(q, json_flag=True)
    q.add_argument("process", metavar="YEAR/TASK")
    q.add_argument("--as", dest="actor", metavar="PERSON", help="show what this person may do")

    for name, helptext in (("advance", "fire a trigger with evidence"),
                           ("send-back", "send a step back to the previous state, with a reason"),
                           ("cancel", "cancel a process, with a reason")):
        p = sub.add_parser(name, help=helptext)
        _common(p, json_flag=True, as_flag="required")
        p.add_argument("process", metavar="YEAR/TASK")
        if name == "advance":
            p.add_argument("trigger")
            p.add_argument("--evidence", action="append", default=[], metavar="KEY=VALUE",
                           help="one evidence field (JSON values for lists); repeat")
            p.add_argument("--evidence-file", metavar="FILE", help="evidence as a JSON or YAML mapping")
            p.add_argument("--attach", action="append", default=[], metavar="FIELD=PATH",
                           help="store a file and add it to a list-of-files field; repeat")
            p.add_argument("--note")
        else:
            p.add_argument("--reason", required=True)
        p.add_argument("--expect-version", type=int, metavar="N",
                       help="refuse with a conflict unless the process is at this version")

    p = sub.add_parser("log", help="the ledger, readable (Thai, BE dates)")
    _common(p, json_flag=True)
    p.add_argument("process", nargs="?", metavar="YEAR/TASK")
    p.add_argument("--limit", type=int)

    p = sub.add_parser("verify", help="check the hash chain and that the state equals the replayed ledger "
                                      "(same as 'audit verify')")
    _common(p, json_flag=True)
    p.add_argument("--seal", metavar="HEAD", help="an earlier seal: HASH, SEQ:HASH or a .seal.json file")

    from engine.auditcli import add_parser as add_audit_parser

    add_audit_parser(sub, _common, _Parser)

    p = sub.add_parser("tick", help="run one calendar tick now (for cron and tests; idempotent)")
    _common(p, json_flag=True)
    p.add_argument("--now", metavar="DATE", help="the moment to tick at (ISO or BE, Bangkok time); default now")

    p = sub.add_parser("calendar", help="what is due, done and overdue, and who is responsible")
    _common(p, json_flag=True)
    p.add_argument("--fiscal-year", metavar="YEAR_BE", help="default: the current fiscal year")
    p.add_argument("--overdue", action="store_true", help="only overdue items")

    p = sub.add_parser("report", help="semiannual summary reports (seed §4.1)")
    rsub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = rsub.add_parser("submit", help="submit a task's H1 (6-month) or H2 (12-month) report")
    _common(q, json_flag=True, as_flag="required")
    q.add_argument("process", metavar="YEAR/TASK")
    q.add_argument("round", metavar="H1|H2")
    q.add_argument("--summary", required=True, help="summary of operating results")
    q.add_argument("--document", help="document number of the report (e.g. ศธ ๐๔๐๘๖/๑๒๓)")
    q.add_argument("--attach", action="append", default=[], metavar="PATH", help="attach a file (repeat)")

    p = sub.add_parser("checkpoint", help="supervision checkpoints (seed §3.2, §3.3)")
    ksub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = ksub.add_parser("record", help="record a checkpoint's findings and advice")
    _common(q, json_flag=True, as_flag="required")
    q.add_argument("item", metavar="ID", help="as shown by 'ruam calendar', or FY/ITEM/extra for an extra round")
    q.add_argument("--findings", help="overall findings")
    q.add_argument("--advice", help="overall advice")
    q.add_argument("--held-on", metavar="DATE", help="date of the checkpoint (BE or CE)")
    q.add_argument("--task", action="append", default=[], metavar="TASK=FINDINGS|ADVICE",
                   help="findings and advice for one task (repeat; every task of the group for a group checkpoint)")
    q.add_argument("--evidence-file", metavar="FILE", help="JSON/YAML: {findings, advice, tasks: [{task, findings, advice}]}")
    q.add_argument("--attach", action="append", default=[], metavar="PATH", help="attach a file (repeat)")

    p = sub.add_parser("status", help="the service: scheduler running?, leader, last tick, next wake-up, errors")
    _common(p, json_flag=True)

    p = sub.add_parser("outbox", help="notifications: list them, or send the due ones by SMTP")
    _common(p, json_flag=True)
    p.add_argument("action", nargs="?", choices=("list", "send"), default="list")
    p.add_argument("--status", choices=("pending", "sending", "sent", "failed", "no_address"))
    p.add_argument("--limit", type=int, default=50)

    p = sub.add_parser("serve", help="run the service (web + API) until SIGINT/SIGTERM")
    _common(p)
    p.add_argument("--host", default=os.environ.get("RUAM_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("RUAM_PORT", "8570")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("RUAM_WORKERS", "1")), metavar="N",
                   help="server processes on the port (PostgreSQL only; one of them runs the scheduler)")
    return parser


# --------------------------------------------------------------------------- helpers

def _lang(args: argparse.Namespace) -> str:
    return getattr(args, "lang", None) or os.environ.get("RUAM_LANG", "th")


def _db(args: argparse.Namespace) -> str:
    return getattr(args, "db", None) or os.environ.get("RUAM_DATABASE_URL") or "ruam.db"


def _json_default(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


_STORES: list = []  # disposed when the command ends (main), so no pooled connection outlives it


def _app(args: argparse.Namespace, *, check_schema: bool = True):
    from engine.app import Ruam
    from storage import Store

    store = Store(_db(args))
    _STORES.append(store)
    if check_schema:
        store.ensure_current()
    return Ruam(store)


def _fiscal_year(text: str | None, field: str = "fiscal_year") -> int | None:
    from workflow.errors import UsageError
    from workflow.fiscal import to_arabic_digits

    if text is None:
        return None
    try:
        return int(to_arabic_digits(text))
    except ValueError:
        raise UsageError(field, f"'{text}' is not a BE year like 2570") from None


def _moment(text: str | None, field: str):
    from workflow.errors import UsageError
    from workflow.fiscal import parse_moment

    if text is None:
        return None
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise UsageError(field, str(exc)) from None


def _evidence(args: argparse.Namespace, app) -> dict:
    from pathlib import Path

    from workflow.errors import UsageError

    evidence: dict[str, Any] = {}
    if args.evidence_file:
        from engine.cliio import read_mapping_file

        evidence.update(read_mapping_file(args.evidence_file))
    for item in args.evidence:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError("--evidence", f"'{item}' is not KEY=VALUE")
        parsed: Any = value
        if value[:1] in "[{" or value in ("true", "false"):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError as exc:
                raise UsageError(f"--evidence {key}", f"not valid JSON: {exc.msg}") from None
        evidence[key.strip()] = parsed
    for item in args.attach:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError("--attach", f"'{item}' is not FIELD=PATH")
        path = Path(value)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise UsageError("--attach", f"cannot read {path}: {exc.strerror}") from None
        stored = app.store_attachment(content, path.name)
        items = evidence.setdefault(key, [])
        if not isinstance(items, list):
            raise UsageError("--attach", f"evidence field '{key}' is not a list of files")
        items.append({"file": stored})
    return evidence


# --------------------------------------------------------------------------- commands

def cmd_init(args) -> int:
    from pathlib import Path

    from workflow.errors import UsageError

    app = _app(args, check_schema=False)
    texts = None
    if args.definitions:
        texts = []
        for f in args.definitions:
            try:
                texts.append((f, Path(f).read_text(encoding="utf-8")))
            except OSError as exc:
                raise UsageError("--definitions", f"cannot read {f}: {exc.strerror}") from None
    result = app.init(texts, demo=args.demo)
    th = _lang(args) == "th"
    print(("ฐานข้อมูลพร้อมใช้งาน: " if th else "database ready: ") + app.store.url.split("///")[-1])
    for d in result["definitions"]:
        state = ("ใหม่" if th else "new") if d["new"] else ("มีอยู่แล้ว" if th else "already stored")
        print(f"  {d['kind']:<13} {d['id']:<36} {d['version'][:12]}  {state}")
    if result["demo_people"]:
        print((f"เพิ่มบุคคลตัวอย่าง {len(result['demo_people'])} คน" if th
               else f"added {len(result['demo_people'])} demo people"))
    return EXIT_OK


def cmd_definitions(args) -> int:
    from pathlib import Path

    from engine.app import Ruam
    from workflow.errors import DefinitionError, Problem, UsageError

    if args.action == "list":
        rows = _app(args).stored_definitions()
        if args.json:
            _print_json(rows)
        else:
            for r in rows:
                print(f"{'*' if r['active'] else ' '} {r['kind']:<13} {r['name']:<36} {r['version']}")
        return EXIT_OK
    texts = []
    if args.action == "check" and not args.files:
        from definitions import shipped_texts

        texts = shipped_texts()
    problems = []
    for f in args.files:
        try:
            texts.append((f, Path(f).read_text(encoding="utf-8")))
        except OSError as exc:
            problems.append(Problem("(file)", f"cannot read: {exc.strerror}", f))
        except UnicodeDecodeError:
            problems.append(Problem("(file)", "is not UTF-8 text", f))
    if problems:
        raise DefinitionError(problems)
    if args.action == "check":
        base = None
        kinds = set()
        try:
            loaded = Ruam.check_definitions(texts)
            kinds = {d.kind for d in loaded}
        except DefinitionError:
            raise
        if not {"procedure", "organization"} <= kinds:
            # cross-check a lone file against the shipped documents
            from definitions import shipped_texts

            shipped = Ruam.check_definitions(shipped_texts())
            by_kind = {d.kind: d for d in shipped}
            from engine.app import Definitions

            base = Definitions(by_kind["procedure"], by_kind["organization"], by_kind.get("calendar"))
            Ruam.check_definitions(texts, base)
        for d in loaded:
            print(f"ok  {d.kind:<13} {d.id:<36} {d.version[:12]}")
        return EXIT_OK
    if args.action == "load":
        app = _app(args)
        for d in app.register_definitions(texts, actor=args.actor or "system"):
            print(f"{d['kind']:<13} {d['id']:<36} {d['version'][:12]}"
                  f"{'  new' if d['new'] else ''}{'  active' if d['activated'] else ''}")
        return EXIT_OK
    raise UsageError("action", args.action)


def cmd_people(args) -> int:
    app = _app(args)
    actor = getattr(args, "actor", None) or "system"
    th = _lang(args) == "th"
    if args.action == "add":
        rec = app.add_person(args.person, args.name, args.position, args.email, actor=actor)
        print(f"{'เพิ่ม' if th else 'added'} {args.person} (#{rec.seq})")
    elif args.action == "assign":
        rec = app.assign_role(args.person, args.role, args.scope, _moment(args.valid_from, "--from"),
                              _moment(args.until, "--until"), actor=actor)
        print(f"{'มอบหมาย' if th else 'assigned'} {args.person} → {args.role}"
              f"{' / ' + args.scope if args.scope else ''} (assignment {rec.data['assignment']}, #{rec.seq})")
    elif args.action == "set-password":
        from engine.accounts import Accounts

        Accounts(app).set_password(args.person, _read_password(th))
        print(f"{'ตั้งรหัสผ่านของ' if th else 'password set for'} {args.person}")
    elif args.action == "token":
        from engine.accounts import Accounts

        token = Accounts(app).new_token(args.person, args.label)
        print(token)
        print("เก็บรหัสนี้ไว้ให้ดี ระบบจะไม่แสดงอีก" if th else "keep it safe: it is not shown again",
              file=sys.stderr)
    elif args.action == "end":
        rec = app.end_assignment(args.assignment, _moment(args.until, "--until"), actor=actor)
        print(f"{'สิ้นสุดการมอบหมาย' if th else 'ended assignment'} {args.assignment} (#{rec.seq})")
    else:
        from workflow.fiscal import format_datetime_be

        people = app.people()
        if args.json:
            _print_json(people)
            return EXIT_OK
        for p in people:
            print(f"{p['id']:<28} {p['name']}" + (f" — {p['position']}" if p["position"] else ""))
            for a in p["assignments"]:
                until = format_datetime_be(a["valid_until"]) if a["valid_until"] else "…"
                mark = "" if a["active"] else (" (ไม่มีผล)" if th else " (inactive)")
                print(f"    [{a['id']}] {a['role']:<20} {a['scope'] or '(ทั้งสำนักงาน)' if th else a['scope'] or '(office)'}"
                      f"  {format_datetime_be(a['valid_from'])} – {until}{mark}")
    return EXIT_OK


def _read_password(th: bool) -> str:
    """From a prompt (twice) on a terminal, else the first line of stdin; never from argv."""
    from workflow.errors import UsageError

    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("รหัสผ่านใหม่: " if th else "new password: ")
        if getpass.getpass("ยืนยันรหัสผ่าน: " if th else "repeat it: ") != first:
            raise UsageError("password", "the two entries differ", "รหัสผ่านสองครั้งไม่ตรงกัน")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_cycle(args) -> int:
    app = _app(args)
    fy = _fiscal_year(args.fiscal_year)
    opened = app.open_cycle(fy, actor=args.actor or "system")
    if args.json:
        _print_json({"fiscal_year": fy, "opened": opened})
    elif _lang(args) == "th":
        print(f"ปีงบประมาณ {fy}: เปิดกระบวนการใหม่ {len(opened)} งาน" + ("" if opened else " (เปิดครบแล้ว)"))
    else:
        print(f"fiscal year {fy}: opened {len(opened)} process(es)" + ("" if opened else " (all open already)"))
    for pid in opened:
        print(f"  {pid}")
    return EXIT_OK


def cmd_processes(args) -> int:
    app = _app(args)
    rows = app.processes(_fiscal_year(args.fiscal_year, "--fiscal-year"), args.group, args.state)
    if args.json:
        _print_json(rows)
        return EXIT_OK
    th = _lang(args) == "th"
    for r in rows:
        print(f"{r['id']:<44} {r['state_title'] if th else r['state_title_en']:<34} "
              f"v{r['version']:<3} {r['task_title'] if th else r['task_title_en']}")
    if not rows:
        print("ไม่มีกระบวนการ (สั่ง 'ruam cycle open 2570' เพื่อเปิดปีงบประมาณ)" if th
              else "no processes (run 'ruam cycle open 2570' to open a fiscal year)")
    return EXIT_OK


def _describe(rec, th: bool) -> str:
    from workflow.fiscal import format_datetime_be

    d = rec.data
    when = format_datetime_be(rec.moment)
    if rec.kind == "process.transitioned":
        what = f"{d['trigger']}: {d['from']} → {d['to']}"
    elif rec.kind == "process.opened":
        what = ("เปิดกระบวนการ" if th else "opened") + f" ({d['state']})"
    elif rec.kind.startswith("person."):
        what = f"{rec.kind} {d.get('person')}"
    elif rec.kind.startswith("role."):
        what = f"{rec.kind} {d.get('person', '')} {d.get('role', '')} {d.get('scope') or ''} [{d.get('assignment')}]"
    elif rec.kind.startswith("calendar."):
        from engine.calendar_cli import describe

        what = describe(rec, th)
    elif rec.kind.startswith("definition."):
        what = f"{rec.kind} {d.get('kind')} {d.get('version', '')[:12]}"
    else:
        what = rec.kind
    who = f"{'โดย' if th else 'by'} {rec.actor} ({rec.role})"
    resp = f"; {'ผู้รับผิดชอบ' if th else 'responsible'} {rec.responsible}" if rec.responsible else ""
    note = f"; {'หมายเหตุ' if th else 'note'}: {d['note']}" if d.get("note") else ""
    reason = f"; {'เหตุผล' if th else 'reason'}: {d['evidence']['reason']}" if (
        d.get("kind") in ("send_back", "cancel") and d.get("evidence")) else ""
    proc = f"{rec.process}  " if rec.process else ""
    return f"#{rec.seq:<6} {when}  {proc}{what}  {who}{resp}{reason}{note}"


def cmd_process(args) -> int:
    app = _app(args)
    info = app.process(args.process, args.actor)
    if args.json:
        _print_json(info)
        return EXIT_OK
    th = _lang(args) == "th"
    from workflow.ledger import Record

    print(f"{info['id']} — {info['task_title'] if th else info['task_title_en']}")
    print(f"{'ขั้นตอน' if th else 'state'}: {info['state_title'] if th else info['state_title_en']} "
          f"({info['state']}), {'รุ่น' if th else 'version'} {info['version']}")
    print(f"{'ผู้รับผิดชอบ' if th else 'responsible officer'}: {info['responsible'] or '-'}")
    if info["open_feedback"]:
        print(f"{'ความคิดเห็นที่รอพิจารณา' if th else 'opinions awaiting a decision'}: "
              + ", ".join(info["open_feedback"]))
    print("ประวัติ:" if th else "history:")
    for body in info["history"]:
        rec = Record(**{k: v for k, v in body.items() if k != "hash"})
        print("  " + _describe(rec, th))
    if info["final"]:
        return EXIT_OK
    who = f" ({'สำหรับ' if th else 'for'} {info['as']})" if info.get("as") else ""
    print(("ทำได้ตอนนี้" if th else "possible now") + who + ":")
    for t in info["available"]:
        if "allowed" in t:
            mark = (" [ทำได้]" if th else " [allowed]") if t["allowed"] else (" [ไม่มีสิทธิ์]" if th else " [not allowed]")
        else:
            mark = f" [{', '.join(t['roles'])}]"
        print(f"  {t['trigger']} — {t['title_th'] if th else t['title_en']} → {t['to']}{mark}")
        for f in t["evidence"]:
            _print_field(f, th, "      ")
    return EXIT_OK


def _print_field(f: dict, th: bool, indent: str) -> None:
    req = ("จำเป็น" if th else "required") if f["required"] else ("ไม่บังคับ" if th else "optional")
    opts = f" {{{'|'.join(f['options'])}}}" if f.get("options") else ""
    print(f"{indent}- {f['name']} ({f['type']}{opts}, {req}): {f['title_th'] if th else f['title_en']}")
    for sub in f.get("fields", []):
        _print_field(sub, th, indent + "    ")


def cmd_step(args) -> int:
    app = _app(args)
    if args.command == "advance":
        rec = app.advance(args.process, args.trigger, args.actor, _evidence(args, app), args.note,
                          args.expect_version)
    elif args.command == "send-back":
        rec = app.send_back(args.process, args.actor, args.reason, args.expect_version)
    else:
        rec = app.cancel(args.process, args.actor, args.reason, args.expect_version)
    if args.json:
        _print_json(rec.body() | {"hash": rec.hash})
    elif _lang(args) == "th":
        print(f"{args.process}: {rec.data['from']} → {rec.data['to']} (บันทึกที่ #{rec.seq}, รุ่น {rec.data['version']})")
    else:
        print(f"{args.process}: {rec.data['from']} → {rec.data['to']} (record #{rec.seq}, version {rec.data['version']})")
    return EXIT_OK


def cmd_log(args) -> int:
    app = _app(args)
    records = app.log_records(args.process, args.limit)
    if args.json:
        _print_json([r.body() | {"hash": r.hash} for r in records])
        return EXIT_OK
    th = _lang(args) == "th"
    for rec in records:
        print(_describe(rec, th))
    return EXIT_OK


def cmd_verify(args) -> int:
    from engine.auditcli import run_verify

    return run_verify(args)


def cmd_audit(args) -> int:
    from engine.auditcli import run

    return run(args)


def cmd_serve(args) -> int:
    from engine.outbox import SmtpConfig
    from engine.service import serve, serve_workers, service_settings
    from workflow.errors import UsageError

    if not 1 <= args.workers <= 64:
        raise UsageError("--workers", f"must be from 1 to 64, not {args.workers}")
    options = {"smtp": SmtpConfig.from_env(os.environ), **service_settings(os.environ),
               "lang": _lang(args), "db_flag": getattr(args, "db", None)}
    if args.workers > 1:
        return serve_workers(_db(args), args.host, args.port, args.workers, **options)
    return serve(_db(args), args.host, args.port, **options)


def cmd_tick(args) -> int:
    from engine.calendar_cli import tick_command

    return tick_command(args, _app, _moment, _lang(args), _print_json)


def cmd_calendar(args) -> int:
    from engine.calendar_cli import calendar_command

    return calendar_command(args, _app(args), _fiscal_year(args.fiscal_year, "--fiscal-year"), _lang(args),
                            _print_json)


def cmd_report(args) -> int:
    from engine.calendar_cli import report_command

    return report_command(args, _app(args), _lang(args), _print_json)


def cmd_checkpoint(args) -> int:
    from engine.calendar_cli import checkpoint_command

    return checkpoint_command(args, _app(args), _lang(args), _print_json)


def cmd_status(args) -> int:
    from engine.calendar_cli import status_command

    return status_command(args, _app(args), _lang(args), _print_json)


def cmd_outbox(args) -> int:
    from engine.calendar_cli import outbox_command

    return outbox_command(args, _app(args), _lang(args), _print_json)


COMMANDS = {
    "init": cmd_init, "definitions": cmd_definitions, "people": cmd_people, "cycle": cmd_cycle,
    "processes": cmd_processes, "process": cmd_process, "advance": cmd_step, "send-back": cmd_step,
    "cancel": cmd_step, "log": cmd_log, "verify": cmd_verify, "serve": cmd_serve,
    "tick": cmd_tick, "calendar": cmd_calendar, "report": cmd_report, "checkpoint": cmd_checkpoint,
    "status": cmd_status, "outbox": cmd_outbox,
    "audit": cmd_audit,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    from engine.logs import configure
    from workflow.errors import DefinitionError, RuamError, UsageError

    default_level = "INFO" if args.command == "serve" or args.verbose else "WARNING"
    configure(os.environ.get("RUAM_LOG_LEVEL", default_level))
    lang = _lang(args)
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"ruam: {exc.message(lang)}", file=sys.stderr)
        return EXIT_USAGE
    except DefinitionError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        print(f"ruam: {len(exc.problems)} problem(s) in the definition(s)"
              if lang == "en" else f"ruam: พบปัญหาในนิยาม {len(exc.problems)} ข้อ", file=sys.stderr)
        return EXIT_REFUSED
    except RuamError as exc:
        print(f"ruam: {exc.message(lang)}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `ruam log | head`: the reader left; nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback to a user
        from engine.logs import get_logger

        get_logger("ruam.cli").error("internal_error", command=args.command, error=repr(exc), exc_info=args.verbose)
        print(f"ruam: internal error ({type(exc).__name__}); nothing was changed. See the log above.",
              file=sys.stderr)
        return EXIT_REFUSED
    finally:
        while _STORES:
            _STORES.pop().dispose()


if __name__ == "__main__":
    sys.exit(main())
