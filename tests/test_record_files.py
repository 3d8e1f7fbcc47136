"""Invariant 10: a file named by evidence is part of the record.

The attachments table refuses UPDATE and DELETE like the ledger; a file deleted
or replaced around that refusal (as someone with database rights could) is found
by ``verify``, by ``verify`` with an earlier seal and by the offline check of an
export, at the record that names it — for a step's nested attachment, a
semiannual report's files and a checkpoint's files, on both backends.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest
from sqlalchemy import text

from engine.audit.live import verify
from tests import steps
from tests.audit_helpers import attack
from tests.calendar_helpers import bkk

ORDER = b"%PDF-1.4 signed order"
REPORT = b"%PDF-1.4 semiannual report"
MINUTES = "บันทึกการกำกับติดตาม".encode()
TAMPERS = ("row_deleted", "bytes_deleted", "replaced_and_renamed")


@pytest.fixture
def recorded(opened, clock):
    """A process step naming a file inside a list of objects, a report and a checkpoint naming files;
    returns (app, {name: (sha256, seq of the record naming it)})."""
    from engine.calendar import tick
    from engine.calendar_items import record_checkpoint, submit_report

    app = opened
    order = app.store_attachment(ORDER, "คำสั่งแต่งตั้ง.pdf", "application/pdf")
    steps.run(app, [("complete_analysis", steps.OFFICER, steps.analysis())])
    clock.advance(hours=1)
    [step] = steps.run(app, [("issue_appointment", steps.DIRECTOR,
                              steps.appointment() | {"attachments": [{"file": order}]})])
    clock.set(bkk(2027, 3, 17, 9))
    tick(app)
    report_file = app.store_attachment(REPORT, "รายงาน.pdf", "application/pdf")
    clock.advance(hours=1)
    report = submit_report(app, 2570, steps.TASK, "h1", steps.OFFICER, "สรุปผลครึ่งปีแรก", files=[report_file])
    minutes = app.store_attachment(MINUTES, "บันทึก.txt", "text/plain")
    clock.advance(hours=1)
    checkpoint = record_checkpoint(app, "2570/committee_supervision/r1/office", "ktpn_1",
                                   {"findings": "ข้อค้นพบ", "advice": "ข้อเสนอแนะ", "files": [minutes]})
    assert step.data["evidence"]["attachments"][0]["file"]["sha256"] == order["sha256"]
    files = {"order": (order["sha256"], step.seq), "report": (report_file["sha256"], report.seq),
             "checkpoint": (minutes["sha256"], checkpoint.seq)}
    return app, files


def _tamper(db_url: str, sha: str, how: str) -> None:
    with attack(db_url) as conn:
        if how == "row_deleted":
            conn.execute(text("DELETE FROM attachments WHERE sha256 = :s"), {"s": sha})
        elif how == "bytes_deleted":
            conn.execute(text("UPDATE attachments SET content = :c, size = 0 WHERE sha256 = :s"), {"c": b"", "s": sha})
        else:
            forged = b"%PDF-1.4 a forged copy"
            conn.execute(text("UPDATE attachments SET content = :c, sha256 = :n, size = :z WHERE sha256 = :s"),
                         {"c": forged, "n": hashlib.sha256(forged).hexdigest(), "z": len(forged), "s": sha})


def _found(report) -> list[tuple[str, int | None]]:
    return [(f.kind, f.seq) for f in report.findings]


def test_the_database_refuses_update_and_delete_of_attachments(recorded):
    from sqlalchemy.exc import DBAPIError

    app, files = recorded
    sha = files["order"][0]
    statements = ["UPDATE attachments SET content = :c WHERE sha256 = :s",
                  "UPDATE attachments SET sha256 = :n WHERE sha256 = :s",
                  "DELETE FROM attachments WHERE sha256 = :s"]
    if app.store.dialect == "postgresql":
        statements.append("TRUNCATE attachments")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            with app.store.engine.begin() as conn:
                conn.execute(text(statement), {"c": b"x", "s": sha, "n": "0" * 64})
    with app.store.reading() as tx:
        assert bytes(tx.get_attachment(sha)["content"]) == ORDER
    report = verify(app)
    assert report.ok, list(report.findings)
    assert report.checks["attachments"] == "done: 3 file(s) named by the records, 3 stored"


@pytest.mark.parametrize("how", TAMPERS)
@pytest.mark.parametrize("which", ["order", "report", "checkpoint"])
def test_a_deleted_or_replaced_file_is_found_everywhere(recorded, db_url, tmp_path, which, how):
    from engine.audit.export import export, verify_file
    from workflow.seal import parse_seal

    app, files = recorded
    sha, seq = files[which]
    sealed = verify(app)
    assert sealed.ok, list(sealed.findings)
    seal = parse_seal(f"{sealed.head_seq}:{sealed.head_hash}")
    clean, clean_dir = tmp_path / "clean.jsonl", tmp_path / "clean-files"
    before = export(app, "jsonl", clean, files=clean_dir)
    assert before.extra["attachments"]["named"] == 3 and before.extra["attachments"]["missing_or_damaged"] == 0
    assert sorted(p.name for p in clean_dir.iterdir()) == sorted(s for s, _ in files.values())
    assert verify_file(clean, seal, files=clean_dir).ok

    _tamper(db_url, sha, how)

    for report in (verify(app), verify(app, seal=seal)):  # the live database, alone and against the seal
        assert _found(report) == [("attachment", seq)], list(report.findings)
        assert sha[:12] in report.findings[0].message and "ไฟล์แนบ" in report.findings[0].text("th")
    assert verify(app, seal=seal).seal["ok"]  # the ledger itself was not touched: only the file
    # the offline check: an export of the tampered database lacks the file, and says so …
    after, after_dir = tmp_path / "after.jsonl", tmp_path / "after-files"
    exported = export(app, "jsonl", after, files=after_dir)
    state = {f["sha256"]: f["state"] for f in exported.extra["attachments"]["files"]}
    assert state[sha] == ("damaged" if how == "bytes_deleted" else "missing")
    assert not (after_dir / sha).exists()
    offline = verify_file(after, parse_seal(json.dumps(exported.as_dict())), files=after_dir)
    assert _found(offline) == [("attachment", seq)] and not offline.ok
    assert "ไฟล์แนบ" in offline.findings[0].text("th")
    # … and the same tamper done to the folder of a clean export is found in it too
    if how == "row_deleted":
        (clean_dir / sha).unlink()
    elif how == "bytes_deleted":
        (clean_dir / sha).write_bytes(b"")
    else:
        forged = b"%PDF-1.4 a forged copy"
        (clean_dir / sha).unlink()
        (clean_dir / hashlib.sha256(forged).hexdigest()).write_bytes(forged)
    assert _found(verify_file(clean, seal, files=clean_dir)) == [("attachment", seq)]


def test_a_replaced_file_is_found_by_a_partitioned_audit(recorded, db_url):
    app, files = recorded
    sha, seq = files["order"]
    _tamper(db_url, sha, "replaced_and_renamed")
    assert _found(verify(app, workers=2)) == [("attachment", seq)]


def test_an_offline_check_without_the_files_is_incomplete_never_a_pass(recorded, tmp_path):
    from engine.audit.export import export, verify_file

    app, _files = recorded
    path = tmp_path / "ledger.csv"
    export(app, "csv", path)
    report = verify_file(path)
    assert not report.findings and not report.ok and report.verdict == "incomplete"
    assert report.checks["attachments"].startswith("not judged: 3 file(s)")
    data = report.as_dict()
    assert data["ok"] is False and data["verdict"] == "incomplete"
    assert "ยังไม่ได้ตรวจไฟล์แนบ 3 ไฟล์" in data["incomplete"][0]["message_th"]


def test_an_export_of_a_ledger_without_files_still_passes_alone(opened, tmp_path):
    from engine.audit.export import export, verify_file

    steps.run(opened, steps.HAPPY_PATH[:2])
    path = tmp_path / "ledger.jsonl"
    seal = export(opened, "jsonl", path)
    assert seal.extra["attachments"]["named"] == 0
    report = verify_file(path)
    assert report.ok and report.verdict == "passed"
    assert report.checks["attachments"] == "done: the records name no files"


def test_missing_attachment_triggers_are_a_storage_finding(recorded):
    app, _files = recorded
    with app.store.engine.begin() as conn:
        if app.store.dialect == "sqlite":
            conn.execute(text("DROP TRIGGER attachments_no_update"))
        else:
            conn.execute(text("ALTER TABLE attachments DISABLE TRIGGER USER"))
    report = verify(app)
    assert _found(report) == [("storage", None)]
    assert "ไฟล์แนบ" in report.findings[0].text("th")
    app.store.migrate()  # an upgrade puts the guard back
    assert verify(app).ok


def test_migration_0004_guards_an_existing_attachments_table(db_url):
    import datetime as dt

    from sqlalchemy.exc import DBAPIError

    from storage.migrate import upgrade
    from storage.schema import SCHEMA_REVISION
    from storage.store import Store

    store = Store(db_url)
    try:
        upgrade(store.engine, "0003")
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO attachments (sha256, name, media_type, size, content, stored_at) "
                              "VALUES (:s, 'a.pdf', 'application/pdf', 1, :c, :t)"),
                         {"s": hashlib.sha256(b"x").hexdigest(), "c": b"x",
                          "t": dt.datetime(2026, 11, 20, 3, 0)})
        with store.engine.begin() as conn:  # before 0004 nothing stops it
            conn.execute(text("UPDATE attachments SET name = 'b.pdf'"))
        store.migrate()
        assert store.schema_revision() == SCHEMA_REVISION
        with pytest.raises(DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(text("DELETE FROM attachments"))
    finally:
        store.dispose()


# --------------------------------------------------------------------------- as a user types it

def ruam(db_url, *args, code=0):
    done = subprocess.run([sys.executable, "-m", "engine.cli", *args, "--db", db_url], capture_output=True,
                          text=True)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    return done


def test_the_commands_find_a_replaced_file_and_say_so_in_thai(db_url, tmp_path):
    ruam(db_url, "init", "--demo")
    ruam(db_url, "cycle", "open", "2570")
    analysis = tmp_path / "analysis.json"
    analysis.write_text(json.dumps(steps.analysis(), ensure_ascii=False), encoding="utf-8")
    ruam(db_url, "advance", steps.PROCESS, "complete_analysis", "--as", steps.OFFICER, "--evidence-file",
         str(analysis))
    order = tmp_path / "order.json"
    order.write_text(json.dumps(steps.appointment(), ensure_ascii=False), encoding="utf-8")
    scan = tmp_path / "signed-order.pdf"
    scan.write_bytes(ORDER)
    rec = json.loads(ruam(db_url, "advance", steps.PROCESS, "issue_appointment", "--as", steps.DIRECTOR,
                          "--evidence-file", str(order), "--attach", f"attachments={scan}", "--json").stdout)
    sha = rec["data"]["evidence"]["attachments"][0]["file"]["sha256"]
    assert sha == hashlib.sha256(ORDER).hexdigest()
    ruam(db_url, "audit", "export", "-o", str(tmp_path / "ledger.jsonl"), "--files", str(tmp_path / "files"))
    seal = str(tmp_path / "ledger.jsonl.seal.json")
    out = ruam(db_url, "audit", "verify", "--file", str(tmp_path / "ledger.jsonl"), "--seal", seal,
               "--files", str(tmp_path / "files")).stdout
    assert "ผ่าน: ไม่พบปัญหา" in out
    out = ruam(db_url, "audit", "verify", "--file", str(tmp_path / "ledger.jsonl"), "--seal", seal, code=1).stdout
    assert "ตรวจไม่ครบ" in out and "ยังไม่ได้ตรวจไฟล์แนบ 1 ไฟล์" in out and "ผ่าน: ไม่พบปัญหา" not in out
    out = ruam(db_url, "audit", "verify", "--file", str(tmp_path / "ledger.jsonl"), "--lang", "en", code=1).stdout
    assert "INCOMPLETE" in out and "--files DIR" in out

    _tamper(db_url, sha, "replaced_and_renamed")

    out = ruam(db_url, "verify", code=1).stdout
    assert f"#{rec['seq']}" in out and "ไม่พบไฟล์แนบ" in out and "ถูกแทนที่ด้วยไฟล์ชื่ออื่น" in out
    assert "ไม่ผ่าน" in out
    out = ruam(db_url, "audit", "verify", "--seal", seal, code=1).stdout
    assert "ไม่พบไฟล์แนบ" in out
    out = ruam(db_url, "audit", "export", "-o", str(tmp_path / "after.jsonl"), "--files",
               str(tmp_path / "after")).stdout
    assert "!! ไฟล์" in out and "ไม่มีในฐานข้อมูล" in out
    out = ruam(db_url, "audit", "verify", "--file", str(tmp_path / "after.jsonl"), "--seal", seal,
               "--files", str(tmp_path / "after"), code=1).stdout
    assert "ไม่พบไฟล์แนบ" in out and "ไม่ผ่าน" in out
    done = ruam(db_url, "audit", "verify", "--files", str(tmp_path / "after"), code=2)
    assert "--file" in done.stderr
