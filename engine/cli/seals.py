"""``ruam audit seal | key | prove | check-proof | rebuild-tree`` and ``audit verify --since``
(the CLI face of ``engine.audit.seals`` and ``engine.audit.since``).

The key directory: ``--key-dir``, else ``RUAM_KEY_DIR``, else ``ruam-keys/`` next to a SQLite
database (``engine.audit.seals.default_key_dir``). ``check-proof`` opens no database.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from engine.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    add_common,
    db_url,
    lang,
    office_line,
    open_app,
    print_json,
    verified_office,
)


def _key_dir_arg(q: argparse.ArgumentParser) -> None:
    q.add_argument("--key-dir", metavar="DIR", help="the signing keys (default: $RUAM_KEY_DIR, else ruam-keys/ "
                                                    "next to a SQLite database)")


def add_actions(asub: Any) -> None:
    """The seal actions of ``ruam audit`` (called by ``engine.cli.audit``)."""
    q = asub.add_parser("seal", help="sign a checkpoint of the ledger's Merkle tree and record it (a seal)")
    add_common(q, json_flag=True, as_flag="optional")
    _key_dir_arg(q)
    q.add_argument("-o", "--output", metavar="FILE", help="also write the signed checkpoint to FILE (for "
                                                          "'audit verify --since FILE' next time)")
    q.set_defaults(run=run_seal)
    q = asub.add_parser("key", help="the service's public key (to publish and to give auditors); "
                                    "'key rotate' makes a new signing key, the old one stays listed as retired")
    add_common(q, json_flag=True)
    q.add_argument("what", nargs="?", choices=("show", "rotate"), default="show")
    _key_dir_arg(q)
    q.set_defaults(run=run_key)
    q = asub.add_parser("prove", help="the proof file of one record (C2SP tlog-proof): checkable offline")
    add_common(q, json_flag=True)
    q.add_argument("seq", type=int, metavar="SEQ", help="the record's number")
    q.add_argument("-o", "--output", metavar="FILE", help="write the proof here (default: print it)")
    q.set_defaults(run=run_prove)
    q = asub.add_parser("check-proof", help="check a proof file with no database: the checkpoint's signature "
                                            "by a trusted key, and the record's place in its tree")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--key", action="append", default=[], metavar="KEY",
                   help="a trusted public key (as 'ruam audit key' prints it), or a file of them; repeatable")
    q.add_argument("--key-dir", metavar="DIR", help="trust the keys listed in this key directory")
    q.add_argument("--lang", choices=("th", "en"), default=argparse.SUPPRESS, help="language of messages")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(run=run_check_proof)
    q = asub.add_parser("rebuild-tree", help="recompute the Merkle tree from the ledger's records")
    add_common(q, json_flag=True)
    q.set_defaults(run=run_rebuild)


def key_dir(args: argparse.Namespace) -> Path:
    from engine.audit.keys import default_key_dir

    given = getattr(args, "key_dir", None) or os.environ.get("RUAM_KEY_DIR")
    return Path(given) if given else default_key_dir(db_url(args))


def _th(args: argparse.Namespace) -> bool:
    return lang(args) == "th"


def _when(at: str) -> str:
    from workflow.fiscal import format_datetime_be
    from workflow.ledger import parse_instant

    return format_datetime_be(parse_instant(at))


def run_seal(args: argparse.Namespace) -> int:
    from engine.app import SYSTEM
    from engine.audit.keys import Keys
    from engine.audit.seals import seal
    from engine.audit.since import fold_snapshot

    from engine.audit.keys import office_key_dir

    app = open_app(args)
    done = seal(app, Keys(office_key_dir(key_dir(args), app.store.office_code)), actor=args.actor or SYSTEM, snapshot=fold_snapshot(app))
    cp = done.checkpoint
    if args.output:
        Path(args.output).write_text(done.note, encoding="utf-8")
    if args.json:
        print_json({"origin": cp.origin, "size": cp.size, "root": done.record.data["root"], "checkpoint": done.note,
                    "seq": done.record.seq, "fold_sha256": done.record.data.get("fold_sha256")})
        return EXIT_OK
    root = done.record.data["root"]
    if _th(args):
        print(f"ประทับตราบันทึกแล้ว: จุดตรวจลงนามครอบคลุมบันทึก {cp.size:,} รายการ เมื่อ {_when(done.record.at)}")
        print(f"  ตราประทับนี้เป็นบันทึกรายการที่ {done.record.seq:,} (อยู่ในจุดตรวจครั้งถัดไป)")
        print(f"  จุดตรวจ: บันทึก (รหัส {cp.origin}) ขนาด {cp.size:,} ราก (รหัส {root})")
        print(f"  เขียนจุดตรวจที่ลงนามแล้วลงไฟล์ {args.output} (ให้ผู้ตรวจสอบเก็บไว้ใช้กับ --since)" if args.output else
              "  ใช้ -o FILE เพื่อเขียนจุดตรวจที่ลงนามแล้วลงไฟล์ (ให้ผู้ตรวจสอบเก็บไว้ใช้กับ --since)")
    else:
        print(f"sealed: a signed checkpoint covers {cp.size:,} records, at {_when(done.record.at)}")
        print(f"  this seal is record {done.record.seq:,} (covered by the next checkpoint)")
        print(f"  checkpoint: log {cp.origin}, size {cp.size:,}, root {root}")
        print(f"  wrote the signed checkpoint to {args.output} (for auditors to keep, for --since)" if args.output else
              "  -o FILE writes the signed checkpoint to a file (for auditors to keep, for --since)")
    return EXIT_OK


def run_key(args: argparse.Namespace) -> int:
    from engine.audit.keys import Keys, office_key_dir
    from engine.audit.seals import origin_of

    app = open_app(args)
    keys = Keys(office_key_dir(key_dir(args), app.store.office_code))
    name = origin_of(app)
    if args.what == "rotate":
        keys.rotate(name)
    else:
        keys.signer(name)  # made on first use
    listed = keys.listed()
    if args.json:
        print_json({"origin": name, "keys": [{"key": v.text(), "status": s} for v, s in listed]})
        return EXIT_OK
    th = _th(args)
    if args.what == "rotate":
        print("สร้างกุญแจลงนามใหม่แล้ว กุญแจเดิมยังอยู่ในรายการ (เลิกใช้ลงนาม แต่ยังใช้ตรวจจุดตรวจเก่าได้)" if th else
              "a new signing key is active; the old one stays listed as retired (it still checks old checkpoints)")
    print("กุญแจสาธารณะของบันทึก (ให้ผู้ตรวจสอบใช้กับ --key):" if th else
           "the log's public keys (give auditors, for --key):")
    for v, status in listed:
        word = {"active": ("ใช้ลงนามอยู่", "active"), "retired": ("เลิกใช้ลงนาม", "retired")}.get(status, (status,) * 2)
        print(f"  {word[0] if th else word[1]}: (รหัส {v.text()})" if th else f"  {word[1]}: {v.text()}")
    return EXIT_OK


def run_prove(args: argparse.Namespace) -> int:
    from engine.audit.seals import prove

    app = open_app(args)
    proof = prove(app, args.seq)
    text = proof.text()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    if args.json:
        print_json({"seq": args.seq, "index": proof.index, "file": args.output, "proof": text})
    elif args.output:
        th = _th(args)
        print(f"เขียนหลักฐานของบันทึกรายการที่ {args.seq:,} แล้ว: {args.output} "
              f"(ตรวจได้โดยไม่ต้องใช้ฐานข้อมูล: ruam audit check-proof {args.output} --key …)" if th else
              f"wrote the proof of record {args.seq:,}: {args.output} "
              f"(check it with no database: ruam audit check-proof {args.output} --key …)")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def trusted_keys(given: list[str], key_dir_given: str | None) -> list:
    from workflow import checkpoint as c
    from workflow.errors import UsageError

    keys = []
    for item in given:
        path = Path(item)
        lines = [item]
        if "+" not in item or path.is_file():
            try:
                lines = path.read_text(encoding="utf-8").split()
            except OSError as exc:
                raise UsageError("--key", f"cannot read {item}: {exc.strerror}", f"อ่านไฟล์กุญแจ {item} ไม่ได้") from None
        for line in lines:
            if "+" in line:
                keys.append(c.parse_verifier(line))
    if key_dir_given:
        from engine.audit.keys import Keys

        keys += Keys(Path(key_dir_given)).verifiers()
    if not keys:
        raise UsageError("--key", "give the log's public key (--key KEY, as 'ruam audit key' prints it) or "
                                  "--key-dir", "โปรดระบุกุญแจสาธารณะของบันทึก (--key ตามที่ 'ruam audit key' แสดง) "
                                               "หรือ --key-dir")
    return keys


def run_check_proof(args: argparse.Namespace) -> int:
    """No database: the file, the keys given, the crypto library."""
    from engine.audit.keys import checked_proof
    from engine.names import KINDS, pick
    from workflow.errors import UsageError

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError("FILE", f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}",
                         f"อ่านไฟล์ {args.file} ไม่ได้") from None
    got = checked_proof(text, trusted_keys(args.key, args.key_dir))
    if args.json:
        print_json(got)
        return EXIT_OK
    th = _th(args)
    kind = pick(KINDS.get(got["kind"], (got["kind"], got["kind"])), "th" if th else "en")
    where = f" ของกระบวนการ (รหัส {got['process']})" if th and got["process"] else (
        f" of process {got['process']}" if got["process"] else "")
    if th:
        print(f"หลักฐานถูกต้อง: บันทึกรายการที่ {got['seq']:,} ({kind}{where}) เมื่อ {_when(got['at'])}")
        print(f"  อยู่ในบันทึก {got['tree_size']:,} รายการที่ลงนามไว้ ลงนามด้วยกุญแจที่เชื่อถือ {len(got['signed_by'])} ดอก")
        print(f"  ค่า sha256 ของบันทึก: {got['hash']}")
    else:
        print(f"the proof holds: record {got['seq']:,} ({kind}{where}) at {_when(got['at'])}")
        print(f"  is in the signed log of {got['tree_size']:,} records, signed by {len(got['signed_by'])} trusted key(s)")
        print(f"  the record's sha256: {got['hash']}")
    return EXIT_OK


def run_rebuild(args: argparse.Namespace) -> int:
    from engine.audit.seals import rebuild_tree

    app = open_app(args)
    size, wrong = rebuild_tree(app)
    if args.json:
        print_json({"records": size, "repaired_nodes": wrong})
    elif _th(args):
        print(f"สร้างต้นไม้ Merkle จากบันทึก {size:,} รายการแล้ว" + (f" แก้ไข {wrong:,} โหนดที่ไม่ตรง" if wrong else
                                                                " ทุกโหนดตรงกับบันทึก"))
    else:
        print(f"rebuilt the Merkle tree of {size:,} records" + (f"; repaired {wrong:,} node(s)" if wrong else
                                                                 "; every node matched the ledger"))
    return EXIT_OK if not wrong else EXIT_FAILED


def since_args(q: argparse.ArgumentParser) -> None:
    """``audit verify --since OLD.checkpoint`` and the keys it trusts."""
    q.add_argument("--since", metavar="CHECKPOINT", help="a signed checkpoint kept from an earlier seal: check the "
                                                         "newest checkpoint extends it, then only the records after it")
    q.add_argument("--key", action="append", default=[], metavar="KEY",
                   help="with --since: a trusted public key (or a file of them); repeatable")
    _key_dir_arg(q)


def run_verify_since(args: argparse.Namespace, print_report=None) -> int:
    """``print_report``: engine.cli.audit's (passed in: that module imports this one)."""
    from engine.audit.since import verify_since
    from engine.audit.words import kind_label, where
    from workflow.errors import UsageError

    try:
        old = Path(args.since).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError("--since", f"cannot read {args.since}: {getattr(exc, 'strerror', None) or exc}",
                         f"อ่านไฟล์จุดตรวจ {args.since} ไม่ได้") from None
    given_dir = getattr(args, "key_dir", None) or os.environ.get("RUAM_KEY_DIR")
    if not args.key and not given_dir and not getattr(args, "file", None):
        given_dir = str(key_dir(args))
    if getattr(args, "file", None):
        return _export_since(args, old, trusted_keys(args.key, given_dir or None), print_report)
    app = open_app(args)
    report = verify_since(app, old, trusted_keys(args.key, given_dir))
    office = verified_office(app)
    if args.json:
        print_json(report.as_dict() | {"office": office["code"]})
        return EXIT_OK if report.ok else EXIT_FAILED
    th = _th(args)
    print(office_line(office, th))
    if th:
        print(f"ตรวจเฉพาะส่วนที่เพิ่มหลังจุดตรวจเดิม ({report.old_size:,} รายการ) ถึงจุดตรวจล่าสุด ({report.new_size:,} รายการ)")
        print(f"  อ่านบันทึก {report.records_read:,} รายการ และค่า hash ของต้นไม้ {report.hashes_read:,} ค่า")
        print(f"  จุดตรวจล่าสุดลงนามด้วยกุญแจที่เชื่อถือ {len(report.signed_by)} ดอก; เทียบกระบวนการที่เปลี่ยน "
              f"{report.processes_compared:,} กระบวนการกับตาราง")
        if report.head_seq > report.new_size:
            print(f"  บันทึกหลังจุดตรวจล่าสุด {report.head_seq - report.new_size:,} รายการ ยังไม่ได้ประทับตรา "
                  "(ตรวจในรอบถัดไป)")
    else:
        print(f"checked only what was added after the old checkpoint ({report.old_size:,} records) up to the newest "
              f"({report.new_size:,} records)")
        print(f"  read {report.records_read:,} records and {report.hashes_read:,} tree hashes")
        print(f"  the newest checkpoint is signed by {len(report.signed_by)} trusted key(s); "
              f"{report.processes_compared:,} changed process(es) compared with the table")
        if report.head_seq > report.new_size:
            print(f"  {report.head_seq - report.new_size:,} record(s) after the newest checkpoint are not sealed yet")
    for f in report.findings:
        print(f"{where(f.seq, th):<9} {kind_label(f.kind, th)}: {f.text('th' if th else 'en')}")
    print(("ผ่าน: ไม่พบปัญหา" if th else "PASSED: no findings") if report.ok else
          (f"ไม่ผ่าน: พบปัญหา {report.findings.total:,} ข้อ" if th else
           f"FAILED: {report.findings.total:,} finding(s)"))
    return EXIT_OK if report.ok else EXIT_FAILED


def _export_since(args: argparse.Namespace, old: str, trusted: list, print_report) -> int:
    """Offline: the export's records against the old checkpoint and its newest signed one, then the
    export's own full offline verify (no database)."""
    from engine.audit.export import verify_file_named
    from engine.audit.export_seals import check_export

    th = _th(args)
    seals = check_export(args.file, old, trusted)
    report, names, office = (None, None, None) if not seals.ok else verify_file_named(
        args.file, files=getattr(args, "files", None), lang=lang(args))
    ok = seals.ok and report is not None and report.ok
    if args.json:
        print_json({"ok": ok, "seals": seals.as_dict(), "verify": report.as_dict() if report else None})
        return EXIT_OK if ok else EXIT_FAILED
    if th:
        print(f"ไฟล์ส่งออก {seals.records:,} รายการ: {seals.old_size:,} รายการแรกตรงกับจุดตรวจเดิม และ "
              f"{seals.new_size:,} รายการตรงกับจุดตรวจล่าสุดในไฟล์ (ลงนามด้วยกุญแจที่เชื่อถือ {len(seals.signed_by)} ดอก)"
              if seals.ok else "ไฟล์ส่งออกไม่ตรงกับจุดตรวจที่ลงนามไว้")
    else:
        print(f"export of {seals.records:,} records: the first {seals.old_size:,} match the old checkpoint and "
              f"{seals.new_size:,} the newest signed one in the file ({len(seals.signed_by)} trusted key(s))"
              if seals.ok else "the export does not match the signed checkpoints")
    for f in seals.findings:
        print(f"  {f.text('th' if th else 'en')}")
    if report is not None:
        print_report(report, th, names=names, office=office)
    return EXIT_OK if ok else EXIT_FAILED
