"""Exports, seals, offline verification, the ``ruam audit`` CLI and the fold's extension hook."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import text

from tests.audit_helpers import append_forged, attack
from tests.steps import DIRECTOR, HAPPY_PATH, OFFICER, PROCESS
from workflow.ledger import Entry


@pytest.fixture
def closed(opened, clock):
    for trigger, actor, evidence in HAPPY_PATH:
        clock.advance(hours=2)
        opened.advance(PROCESS, trigger, actor, evidence, note="บันทึกทดสอบ" if trigger == "close" else None)
    return opened


def _export(app, tmp_path, fmt="jsonl", name=None):
    from engine.audit.export import export

    path = tmp_path / (name or f"ledger.{fmt}")
    return path, export(app, fmt, path)


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_jsonl_export_verifies_offline_with_its_seal(closed, tmp_path):
    from engine.audit.export import seal_path, verify_file
    from engine.audit.live import verify
    from workflow.seal import parse_seal

    path, seal = _export(closed, tmp_path)
    live = verify(closed)
    assert (seal.records, seal.head_seq, seal.head_hash) == (live.records, live.head_seq, live.head_hash)
    assert {d["kind"] for d in seal.definitions} == {"procedure", "organization", "calendar", "documents"}
    stored = json.loads(seal_path(path).read_text(encoding="utf-8"))
    assert stored["head_hash"] == seal.head_hash and stored["file_sha256"]
    closed.store.dispose()  # no database from here on
    report = verify_file(path, parse_seal(seal_path(path).read_text(encoding="utf-8")))
    assert report.ok, list(report.findings)
    assert report.records == seal.records and report.processes == 11
    assert report.checks["legality"] == "done" and report.checks["projection"].startswith("skipped")
    assert report.seal == {"seal": seal.short, "ok": True, "records_after_seal": 0, "verdict_at_export": "passed"}


def test_a_changed_line_in_an_export_is_located(closed, tmp_path):
    from engine.audit.export import verify_file

    path, seal = _export(closed, tmp_path)
    lines = _lines(path)
    target = next(i for i, line in enumerate(lines) if '"kind": "process.transitioned"' in line)
    item = json.loads(lines[target])
    item["body"] = item["body"].replace("ผู้แทนชุมชน ก", "ผู้แทนชุมชน ข", 1)
    lines[target] = json.dumps(item, ensure_ascii=False) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    report = verify_file(path, seal)
    assert not report.ok and report.first().seq == item["seq"] and "content changed" in report.first().message


def test_a_truncated_export_is_caught_by_an_earlier_seal(closed, tmp_path, clock):
    from engine.audit.export import verify_file

    path, seal = _export(closed, tmp_path)
    lines = _lines(path)
    path.write_text("".join(lines[:-2]), encoding="utf-8")
    assert verify_file(path).ok  # a clean cut leaves an intact chain: only the seal tells
    report = verify_file(path, seal)
    assert [(f.kind, f.seq) for f in report.findings] == [("seal", seal.head_seq)]
    assert "truncated" in report.findings[0].message
    # a later, longer export still verifies against the earlier seal, and says how much was added since
    clock.advance(days=1)
    closed.add_person("later", "บุคคลภายหลัง")
    later, _ = _export(closed, tmp_path, name="later.jsonl")
    report = verify_file(later, seal)
    assert report.ok and report.seal["records_after_seal"] == 1


def test_an_altered_definition_in_an_export_is_reported(closed, tmp_path):
    from engine.audit.export import verify_file

    path, seal = _export(closed, tmp_path)
    lines = _lines(path)
    target = next(i for i, line in enumerate(lines) if '"definition"' in line and "procedure" in line)
    lines[target] = lines[target].replace("group_director", "responsible_officer", 1)
    path.write_text("".join(lines), encoding="utf-8")
    report = verify_file(path, seal)
    assert report.findings.by_kind["definition"] >= 1 and report.findings.by_kind["chain"] == 0


def test_offline_verify_replays_legality_and_authority(closed, tmp_path, db_url, clock):
    from engine.audit.export import verify_file

    with attack(db_url) as conn:
        forged = append_forged(conn, Entry(
            kind="person.added", at=clock.advance(hours=1), actor=OFFICER, role="admin",
            data={"person": "ghost", "name": "ผี", "position": "", "email": None}))
        conn.execute(text("INSERT INTO people (id, name, position, email, created_at) VALUES "
                          "('ghost', 'ผี', '', NULL, :at)"), {"at": "2026-11-21 00:00:00.000000"
                                                              if conn.dialect.name == "sqlite" else clock.now})
    path, _ = _export(closed, tmp_path)
    report = verify_file(path)
    assert [(f.kind, f.seq) for f in report.findings] == [("authority", forged.seq)]


def test_csv_export_opens_in_spreadsheets_with_thai_and_verifies_offline(closed, tmp_path):
    from engine.audit.export import CSV_COLUMNS, definitions_path, verify_file

    path, seal = _export(closed, tmp_path, "csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel and LibreOffice read it as UTF-8
    assert b"\r\n" in raw
    with open(path, encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert tuple(table[0]) == CSV_COLUMNS
    assert len(table) == seal.records + 1
    close_row = next(r for r in table if r[CSV_COLUMNS.index("trigger")] == "close")
    assert close_row[CSV_COLUMNS.index("note")] == "บันทึกทดสอบ"
    assert "พ.ย. 2569" in close_row[CSV_COLUMNS.index("at_bangkok_be")]
    assert definitions_path(path).is_file()
    report = verify_file(path, seal)
    assert report.ok, list(report.findings)
    assert report.checks["legality"] == "done"
    definitions_path(path).unlink()
    report = verify_file(path, seal)  # the chain and the seal hold, the steps cannot be judged: not a pass
    assert report.verdict == "incomplete" and not report.ok and report.checks["legality"].startswith("skipped")
    assert [check for check, _en, _th in report.incomplete] == ["legality"]


def test_csv_cells_never_start_a_formula(opened, tmp_path):
    from engine.audit.export import CSV_COLUMNS

    opened.advance(PROCESS, *HAPPY_PATH[0][:1], HAPPY_PATH[0][1], HAPPY_PATH[0][2], note="=HYPERLINK(\"x\")")
    path, _ = _export(opened, tmp_path, "csv")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    note = next(r[CSV_COLUMNS.index("note")] for r in rows[1:] if r[CSV_COLUMNS.index("note")])
    assert note == "'=HYPERLINK(\"x\")"


# --------------------------------------------------------------------------- the CLI


def _cli(capsys, *argv):
    from engine.cli.ruam import main

    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_audit_verify_replay_history_export(closed, db_url, tmp_path, capsys):
    code, out, _ = _cli(capsys, "audit", "verify", "--db", db_url, "--lang", "en")
    assert code == 0 and "PASSED" in out
    code, out, _ = _cli(capsys, "verify", "--db", db_url, "--json")
    assert code == 0 and json.loads(out)["ok"]
    code, out, _ = _cli(capsys, "audit", "replay", "--db", db_url, "--as-of", "2570-09-30", "--json")
    state = json.loads(out)
    assert code == 0 and next(p for p in state["processes"] if p["id"] == PROCESS)["state"] == "closed"
    code, out, _ = _cli(capsys, "audit", "replay", "--db", db_url, "--as-of", "1/10/2569", "--lang", "en")
    assert code == 0 and "state as of 1 ต.ค. 2569 23:59" in out and "2570/" not in out
    code, out, _ = _cli(capsys, "audit", "replay", "--db", db_url, "--as-of", "๒๐/๑๑/๒๕๖๙", "--json")
    assert code == 0 and {p["state"] for p in json.loads(out)["processes"]} >= {"closed", "analyzing_regulations"}
    code, out, _ = _cli(capsys, "audit", "replay", "--db", db_url, "--as-of", "2569-11-20T09:59", "--json")
    assert code == 0 and json.loads(out)["processes"] == []  # the cycle opened at 10:00 Bangkok
    code, out, _ = _cli(capsys, "audit", "history", PROCESS, "--db", db_url, "--lang", "en")
    assert code == 0 and "Summarize and close the fiscal year: Reviewing feedback and improving → Closed" in out
    assert "by ผู้อำนวยการกลุ่มอำนวยการ (ตัวอย่าง)" in out and DIRECTOR not in out
    target = tmp_path / "x.jsonl"
    code, out, _ = _cli(capsys, "audit", "export", "--db", db_url, "--format", "jsonl", "-o", str(target))
    assert code == 0 and "sha256" in out and target.is_file()
    code, out, _ = _cli(capsys, "audit", "verify", "--file", str(target), "--seal", str(target) + ".seal.json",
                        "--lang", "en", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert code == 0 and "PASSED" in out


def test_cli_audit_verify_fails_and_names_the_record(closed, db_url, capsys):
    with attack(db_url) as conn:
        seq = conn.execute(text("SELECT max(seq) FROM ledger WHERE kind = 'process.transitioned'")).scalar()
        conn.execute(text("UPDATE ledger SET body = replace(body, 'closed', 'cancelled') WHERE seq = :s"), {"s": seq})
    code, out, _ = _cli(capsys, "audit", "verify", "--db", db_url, "--lang", "en")
    assert code == 1 and f"#{seq}" in out and "FAILED" in out
    code, out, _ = _cli(capsys, "audit", "verify", "--db", db_url, "--json")
    report = json.loads(out)
    assert code == 1 and report["first_chain_break"]["seq"] == seq
    code, _, _ = _cli(capsys, "verify", "--db", db_url)
    assert code == 1
    code, out, _ = _cli(capsys, "audit", "history", PROCESS, "--db", db_url, "--lang", "en")
    assert code == 1 and "!!" in out


def test_cli_usage_errors_exit_2(db_url, capsys, tmp_path):
    assert _cli(capsys, "audit", "verify", "--file", str(tmp_path / "none.jsonl"))[0] == 2
    assert _cli(capsys, "audit", "verify", "--file", str(tmp_path / "x"), "--seal", "nonsense")[0] == 2
    code, _, err = _cli(capsys, "audit", "replay", "--db", db_url, "--as-of", "yesterday")
    assert code == 2 and "--as-of" in err
    code, _, err = _cli(capsys, "audit", "export", "--db", db_url, "-o", str(tmp_path / "no" / "x.csv"))
    assert code == 2 and ("no such folder" in err or "ไม่พบโฟลเดอร์" in err)
    (tmp_path / "bad.jsonl").write_text("hello\n", encoding="utf-8")
    assert _cli(capsys, "audit", "verify", "--file", str(tmp_path / "bad.jsonl"))[0] == 2


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise():
    import io

    from engine.cli.common import Progress

    tty = io.StringIO()
    bar = Progress("verify", tty, tty=True)
    bar.set_total(200_000)
    bar(200_000)
    bar.close()
    assert tty.getvalue().startswith("\rverify [") and "100.0%" in tty.getvalue()
    plain = io.StringIO()
    lines = Progress("verify", plain, tty=False)
    lines.set_total(200_000)
    for done in range(0, 200_001, 10_000):
        lines(done)
    assert "\r" not in plain.getvalue() and len(plain.getvalue().splitlines()) == 10
    quiet = io.StringIO()
    small = Progress("verify", quiet, tty=False)
    small.set_total(50)
    small(50)
    assert quiet.getvalue() == ""


# --------------------------------------------------------------------------- the extension hook


def test_a_fold_extension_folds_its_kinds_and_shows_in_as_of(opened, db_url, clock):
    """How a module plugs in (as the calendar does): its records are folded by its extension, not judged as unknown."""
    import engine.audit.live as audit
    from workflow.replay import FoldExtension

    class Items(FoldExtension):
        name = "sample"
        prefixes = ("sample.",)

        def __init__(self):
            self.items = {}

        def apply(self, fold, rec):
            self.items[rec.data["item"]] = rec.data["status"]
            if rec.data["status"] not in ("open", "done"):
                fold.finding("legality", rec, f"unknown status {rec.data['status']}")

        def snapshot(self, fold):
            return dict(self.items)

    with attack(db_url) as conn:
        append_forged(conn, Entry(kind="sample.item_opened", at=clock.now, actor="system", role="system",
                                  data={"item": "report_h1", "status": "open"}))
        bad = append_forged(conn, Entry(kind="sample.item_done", at=clock.advance(hours=1), actor="system",
                                        role="system", data={"item": "report_h1", "status": "lost"}))
    report = audit.verify(opened)
    assert report.ok and report.unchecked == {"sample.item_opened": 1, "sample.item_done": 1}
    assert "sample.item_done ×1" in report.checks["unchecked"]
    audit.FOLD_EXTENSIONS.append(Items)
    try:
        report = audit.verify(opened)
        assert [(f.kind, f.seq) for f in report.findings] == [("legality", bad.seq)]
        assert audit.replay_as_of(opened, clock.now)["sample"] == {"report_h1": "lost"}
    finally:
        audit.FOLD_EXTENSIONS.remove(Items)
