"""``ruam init``, ``ruam definitions …``, ``ruam people …``: the database, its definitions, its people."""

from __future__ import annotations

import sys
from typing import Any

from engine.cli.common import EXIT_OK, Parser, add_common, lang, moment, names_of, open_app, print_json, typed


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("init", help="create/upgrade the database and load definitions (idempotent)")
    add_common(p)
    p.add_argument("--demo", action="store_true", help="add placeholder people for every role")
    p.add_argument("--definitions", nargs="+", metavar="FILE", help="load these instead of the shipped ones")

    p = sub.add_parser("definitions", help="check, load and list definitions")
    dsub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    q = dsub.add_parser("check", help="validate definition files (no database needed)")
    add_common(q)
    q.add_argument("files", nargs="*", metavar="FILE", help="YAML files (default: the shipped ones)")
    q = dsub.add_parser("load", help="register definition files and make them active")
    add_common(q, as_flag="optional")
    q.add_argument("files", nargs="+", metavar="FILE")
    q = dsub.add_parser("list", help="stored definitions and which are active")
    add_common(q, json_flag=True)

    p = sub.add_parser("people", help="people and their roles")
    psub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    q = psub.add_parser("add", help="add a person")
    add_common(q, as_flag="optional")
    q.add_argument("person", metavar="PERSON_ID")
    q.add_argument("--name", required=True)
    q.add_argument("--position", default="")
    q.add_argument("--email")
    q = psub.add_parser("assign", help="give a person a role, for a unit/group/task, from when until when")
    add_common(q, as_flag="optional")
    q.add_argument("person", metavar="PERSON_ID")
    q.add_argument("role")
    q.add_argument("--scope", help="unit, mission group or task id (none = the whole office)")
    q.add_argument("--from", dest="valid_from", metavar="DATE", help="start (Bangkok time; BE or CE), default now")
    q.add_argument("--until", metavar="DATE", help="end, exclusive (Bangkok time; BE or CE)")
    q = psub.add_parser("end", help="end a role assignment")
    add_common(q, as_flag="optional")
    q.add_argument("assignment", type=int, metavar="ASSIGNMENT_ID")
    q.add_argument("--until", metavar="DATE", help="default now")
    q = psub.add_parser("list", help="people and their roles")
    add_common(q, json_flag=True)
    q = psub.add_parser("set-password", help="set a person's web password (read from stdin or a prompt)")
    add_common(q)
    q.add_argument("person", metavar="PERSON_ID")
    q = psub.add_parser("token", help="issue an API token for a person (printed once)")
    add_common(q)
    q.add_argument("person", metavar="PERSON_ID")
    q.add_argument("--label", default="", help="what the token is for")
    q = psub.add_parser("tokens", help="API tokens: whose, what for, issued, last used (never the secret)")
    add_common(q, json_flag=True)
    q.add_argument("person", nargs="?", metavar="PERSON_ID", help="one person's tokens (default: everyone's)")
    q.add_argument("--all", action="store_true", help="revoked tokens too")
    q = psub.add_parser("revoke-token", help="revoke a person's API token (by its label, its id, or all of them)")
    add_common(q)
    q.add_argument("person", metavar="PERSON_ID")
    which = q.add_mutually_exclusive_group(required=True)
    which.add_argument("--label", help="the token with this label")
    which.add_argument("--id", dest="token_id", metavar="TOKEN_ID",
                       help="the token with this id (from 'ruam people tokens --json')")
    which.add_argument("--all", action="store_true", help="every token of the person")
    for name, handler in {"init": cmd_init, "definitions": cmd_definitions, "people": cmd_people}.items():
        sub.choices[name].set_defaults(run=handler)


def cmd_init(args) -> int:
    from pathlib import Path

    from workflow.errors import UsageError

    from engine.cli.common import office_code

    app = open_app(args, check_schema=False)
    if office_code(args):  # the office named must exist: the schema first, then that office
        app.store.migrate()
        app = app.for_office(office_code(args))
    texts = None
    if args.definitions:
        texts = []
        for f in args.definitions:
            try:
                texts.append((f, Path(f).read_text(encoding="utf-8")))
            except OSError as exc:
                raise UsageError("--definitions", f"cannot read {f}: {exc.strerror}", f"อ่านไฟล์ {f} ไม่ได้") from None
    result = app.init(texts, demo=args.demo)
    th = lang(args) == "th"
    print(("ฐานข้อมูลพร้อมใช้งาน: " if th else "database ready: ") + app.store.url.split("///")[-1])
    for d in result["definitions"]:
        state = ("ใหม่" if th else "new") if d["new"] else ("มีอยู่แล้ว" if th else "already stored")
        print(f"  {_definition_line(d, th)}  {state}")
    if result["demo_people"]:
        print((f"เพิ่มบุคคลตัวอย่าง {len(result['demo_people'])} คน" if th
               else f"added {len(result['demo_people'])} demo people"))
    return EXIT_OK


def cmd_definitions(args) -> int:
    from pathlib import Path

    from engine.app import Ruam
    from workflow.errors import DefinitionError, Problem, UsageError

    if args.action == "list":
        rows = open_app(args).stored_definitions()
        if args.json:
            print_json(rows)
        else:
            th = lang(args) == "th"
            for r in rows:
                mark = ("ใช้อยู่" if th else "active") if r["active"] else ("      " if th else "      ")
                print(f"{mark}  {_definition_line(r, th)}")
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
        from engine.ita.catalogue import check_ita_texts

        texts, ita_lines = check_ita_texts(texts, lang(args), shipped=not args.files)
        if not texts:
            print("\n".join(ita_lines))
            return EXIT_OK
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
        th = lang(args) == "th"
        for d in loaded:
            print(f"{'ผ่าน' if th else 'ok'}  {_definition_line({'kind': d.kind, 'title': d.title, 'version': d.version}, th)}")
            for line in _definition_details(d, th):
                print(f"      {line}")
        if ita_lines:
            print("\n".join(ita_lines))
        return EXIT_OK
    if args.action == "load":
        app = open_app(args)
        th = lang(args) == "th"
        for d in app.register_definitions(texts, actor=args.actor or "system"):
            print(f"{_definition_line(d, th)}"
                  f"{('  ใหม่' if th else '  new') if d['new'] else ''}"
                  f"{('  ใช้อยู่' if th else '  active') if d['activated'] else ''}")
        return EXIT_OK
    raise UsageError("action", args.action)


def _definition_line(d: dict, th: bool) -> str:
    """A stored or loaded definition: its kind and title in words, and its version's first digits."""
    from engine.names import definition_kind

    kind = definition_kind(d["kind"], "th" if th else "en")
    title = d.get("title")
    if title is not None and hasattr(title, "th"):
        title = title.th if th else title.en
    elif isinstance(title, dict):
        title = title.get("th") if th else title.get("en")
    shown = title or d.get("name") or d.get("id") or ""
    return f"{kind:<20} {shown}  {'รุ่น' if th else 'version'} {d['version'][:12]}"


def cmd_people(args) -> int:
    app = open_app(args)
    actor = getattr(args, "actor", None) or "system"
    th = lang(args) == "th"
    if args.action == "add":
        rec = app.add_person(args.person, args.name, args.position, args.email, actor=actor)
        print(f"{'เพิ่ม' if th else 'added'} {names_of(app, args).person(args.person)} "
              f"{typed(args.person, lang(args))} (#{rec.seq})")
    elif args.action == "assign":
        rec = app.assign_role(args.person, args.role, args.scope, moment(args.valid_from, "--from"),
                              moment(args.until, "--until"), actor=actor)
        names = names_of(app, args)
        print(f"{'มอบหมาย' if th else 'assigned'} {names.person(args.person)} → {names.role(args.role)} — "
              f"{names.scope(args.scope)} ({'การมอบหมายที่' if th else 'assignment'} {rec.data['assignment']}, "
              f"#{rec.seq})")
    elif args.action == "set-password":
        from engine.accounts import Accounts

        Accounts(app).set_password(args.person, _read_password(th))
        print(f"{'ตั้งรหัสผ่านของ' if th else 'password set for'} {names_of(app, args).person(args.person)}")
    elif args.action == "token":
        from engine.accounts import Accounts

        token = Accounts(app).new_token(args.person, args.label)
        print(token)
        print("เก็บรหัสนี้ไว้ให้ดี ระบบจะไม่แสดงอีก" if th else "keep it safe: it is not shown again",
              file=sys.stderr)
    elif args.action == "tokens":
        return _list_tokens(app, args, th)
    elif args.action == "revoke-token":
        return _revoke_token(app, args, th)
    elif args.action == "end":
        rec = app.end_assignment(args.assignment, moment(args.until, "--until"), actor=actor)
        print(f"{'สิ้นสุดการมอบหมายที่' if th else 'ended assignment'} {args.assignment} (#{rec.seq})")
    else:
        people = app.people()
        if args.json:
            print_json(people)
            return EXIT_OK
        names = names_of(app, args)
        for p in people:
            print(f"{p['name']}" + (f" — {p['position']}" if p["position"] else "") + f" {typed(p['id'], lang(args))}")
            for a in p["assignments"]:
                until = names.when(a["valid_until"]) if a["valid_until"] else "…"
                mark = "" if a["active"] else (" (ไม่มีผล)" if th else " (inactive)")
                print(f"    [{a['id']}] {names.role(a['role'])} — {names.scope(a['scope'])}"
                      f"  {names.when(a['valid_from'])} – {until}{mark}")
    return EXIT_OK


def _token_line(t: dict, th: bool, names) -> str:
    """One token as people read it: whose (by name), what for, issued, last used, revoked by whom."""
    from workflow.fiscal import format_datetime_be

    label = t["label"] or ("(ไม่ระบุ)" if th else "(no label)")
    used = (f"{'ใช้ล่าสุด' if th else 'last used'} {format_datetime_be(t['last_used_at'])}" if t["last_used_at"]
            else ("ยังไม่เคยใช้" if th else "never used"))
    line = (f"{names.person(t['person'])}  ·  {label}  ·  {'ออกเมื่อ' if th else 'issued'} "
            f"{format_datetime_be(t['created_at'])}  ·  {used}")
    if t["revoked_at"]:
        line += (f"  ·  {'ยกเลิกแล้วเมื่อ' if th else 'revoked'} {format_datetime_be(t['revoked_at'])}"
                 f" {'โดย' if th else 'by'} {names.person(t['revoked_by'] or 'system')}")
    return line


def _list_tokens(app, args, th: bool) -> int:
    from engine.accounts import Accounts

    tokens = Accounts(app).tokens(args.person, include_revoked=args.all)
    if args.json:
        print_json(tokens)
    elif not tokens:
        print("ไม่มีโทเค็น API ที่ใช้งานอยู่" if th else "no API tokens in use")
    else:
        names = names_of(app, args)
        for t in tokens:
            print(_token_line(t, th, names))
    return EXIT_OK


def _revoke_token(app, args, th: bool) -> int:
    """By id, by label (refused when two tokens in use share it), or all of a person's."""
    from engine.accounts import AUTH_CACHE_SECONDS, Accounts
    from workflow.errors import NotFound, Refused

    accounts = Accounts(app)
    active = accounts.tokens(args.person)  # NotFound for an unknown person
    names = names_of(app, args)
    name = names.person(args.person)
    if args.all:
        count = accounts.revoke_tokens(args.person)
        print(f"ยกเลิกโทเค็น API ของ {name} แล้ว {count} รายการ" if th
              else f"revoked {count} API token(s) of {name}")
    else:
        if args.token_id is not None:
            matches = [t for t in active if t["id"] == args.token_id]
            if not matches:
                raise NotFound(f"API token in use of {name} with the id", args.token_id,
                               f"โทเค็น API ที่ใช้งานอยู่ของ {name} ที่มีรหัส")
        else:
            matches = [t for t in active if t["label"] == args.label]
            if not matches:
                raise NotFound(f"API token in use of {name} labelled", args.label,
                               f"โทเค็น API ที่ใช้งานอยู่ของ {name} ที่ใช้สำหรับ")
        if len(matches) > 1:
            raise Refused(f"{name} has {len(matches)} tokens in use labelled '{args.label}': give --id "
                          "(from 'ruam people tokens --json') or --all",
                          f"{name} มีโทเค็นที่ใช้งานอยู่ที่ใช้สำหรับ '{args.label}' {len(matches)} รายการ: "
                          "โปรดระบุ --id (ดูจาก 'ruam people tokens --json') หรือ --all")
        accounts.revoke_token(matches[0]["id"])
        print(f"{'ยกเลิกโทเค็น API แล้ว' if th else 'revoked the API token'}: {_token_line(matches[0], th, names)}")
    if AUTH_CACHE_SECONDS > 0:
        print(f"บริการที่กำลังทำงานอยู่จะปฏิเสธโทเค็นนี้ภายใน {AUTH_CACHE_SECONDS:g} วินาที" if th
              else f"a running service refuses it within {AUTH_CACHE_SECONDS:g} seconds", file=sys.stderr)
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


def _definition_details(d, th: bool) -> list[str]:
    """What a definition adds beyond its title: an organization's letterhead, a wording's kinds."""
    lh = getattr(d, "letterhead", None)
    out = []
    if lh is not None:
        out.append(f"{'หัวหนังสือ' if th else 'letterhead'}: {lh.office_name} · {lh.letter_code} · "
                   f"{'โทร.' if th else 'tel.'} {lh.telephone} · {lh.email}")
        for s in lh.signers:
            kinds = [k for k, v in lh.signs.items() if v == s.id]
            out.append(f"{'ผู้ลงนาม' if th else 'signer'}: {s.name} ({s.position})"
                       + (f" — {', '.join(kinds)}" if kinds and not th else ""))
        if lh.garuda_path:
            out.append(f"{'ภาพครุฑ' if th else 'Garuda image'}: {lh.garuda_path}")
    for kind in getattr(d, "kinds", ()):
        out.append(f"{'เอกสาร' if th else 'document'}: {kind.title.get('th' if th else 'en')}"
                   f" ({len(kind.parts)} {'ส่วน' if th else 'parts'})")
    return out
