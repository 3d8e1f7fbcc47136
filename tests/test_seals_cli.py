"""``ruam audit seal | key | prove | check-proof | verify --since`` as a user types them:
Thai output (no ids but what a person types, BE dates), exit codes, and a proof checked
by a process that never loads the database layer."""

from __future__ import annotations

import json
import subprocess
import sys

from tests import steps
from tests.test_cli import ruam
from tests.thai_output import problems


def test_seal_key_prove_check_and_verify_since_from_the_command_line(db, opened, tmp_path, monkeypatch):
    monkeypatch.setenv("RUAM_KEY_DIR", str(tmp_path / "keys"))
    old = tmp_path / "q1.checkpoint"
    out = ruam(db, "audit", "seal", "-o", str(old)).stdout
    assert "ประทับตราบันทึกแล้ว" in out and " 2569 " in out and not problems(out)
    assert old.read_text(encoding="utf-8").startswith("ruam/primary_esa_office\n")
    key_out = ruam(db, "audit", "key").stdout
    assert "ใช้ลงนามอยู่" in key_out and not problems(key_out)
    [key] = [x["key"] for x in json.loads(ruam(db, "audit", "key", "--json").stdout)["keys"]]
    steps.run(opened, steps.HAPPY_PATH[:2])
    ruam(db, "audit", "seal")
    since = ruam(db, "audit", "verify", "--since", str(old), "--key", key).stdout
    assert "อ่านบันทึก 3 รายการ" in since and "ผ่าน" in since and not problems(since)
    assert since.splitlines()[0].startswith("สำนักงาน: ") and since.splitlines()[0].endswith(" (รหัส default)")
    report = json.loads(ruam(db, "audit", "verify", "--since", str(old), "--json").stdout)  # keys from RUAM_KEY_DIR
    assert report["ok"] and report["records_read"] == 3 and report["office"] == "default"

    proof = tmp_path / "r.tlog-proof"
    seq = opened.log_records()[-1].seq
    ruam(db, "audit", "prove", str(seq - 1), "-o", str(proof))
    # checked by a process that never imports the database layer
    code = ("import sys; from engine.cli.ruam import main; rc = main(sys.argv[1:]); "
            "assert 'sqlalchemy' not in sys.modules and 'storage.store' not in sys.modules, 'a database was opened'; "
            "sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, "audit", "check-proof", str(proof), "--key", key],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "หลักฐานถูกต้อง" in done.stdout and "(รหัส 2570/task_teacher_welfare)" in done.stdout
    assert not problems(done.stdout), problems(done.stdout)

    text = proof.read_text(encoding="utf-8")
    forged = tmp_path / "forged.tlog-proof"
    forged.write_text(text.replace("index ", "index 1", 1), encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "engine.cli", "audit", "check-proof", str(forged), "--key", key],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and bad.stderr.startswith("ruam: ")
    nokey = subprocess.run([sys.executable, "-m", "engine.cli", "audit", "check-proof", str(proof)],
                           capture_output=True, text=True, check=False)
    assert nokey.returncode == 2 and "--key" in nokey.stderr


def test_key_rotate_lists_the_old_key_as_retired(db, tmp_path, monkeypatch):
    monkeypatch.setenv("RUAM_KEY_DIR", str(tmp_path / "keys"))
    ruam(db, "audit", "seal")
    out = ruam(db, "audit", "key", "rotate").stdout
    assert "เลิกใช้ลงนาม" in out and "ใช้ลงนามอยู่" in out and not problems(out)
    keys = json.loads(ruam(db, "audit", "key", "--json").stdout)["keys"]
    assert [k["status"] for k in keys] == ["active", "retired"]


def test_an_export_is_checked_offline_against_the_kept_checkpoint(db, opened, tmp_path, monkeypatch):
    monkeypatch.setenv("RUAM_KEY_DIR", str(tmp_path / "keys"))
    old = tmp_path / "q1.checkpoint"
    ruam(db, "audit", "seal", "-o", str(old))
    [key] = [x["key"] for x in json.loads(ruam(db, "audit", "key", "--json").stdout)["keys"]]
    steps.run(opened, steps.HAPPY_PATH[:2])
    ruam(db, "audit", "seal")
    export = tmp_path / "ledger.jsonl"
    ruam(db, "audit", "export", "-o", str(export))
    monkeypatch.delenv("RUAM_KEY_DIR")
    done = subprocess.run([sys.executable, "-m", "engine.cli", "audit", "verify", "--file", str(export), "--since",
                           str(old), "--key", key], capture_output=True, text=True, check=False)
    assert "ตรงกับจุดตรวจเดิม" in done.stdout, (done.stdout, done.stderr)
    lines = export.read_text(encoding="utf-8").splitlines()
    edited = tmp_path / "edited.jsonl"
    at = next(i for i, x in enumerate(lines) if '"seq": 3,' in x or '"seq":3,' in x)
    item = json.loads(lines[at])
    item["body"] = item["body"].replace('"seq":3', '"seq": 3')
    lines[at] = json.dumps(item, ensure_ascii=False)
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "engine.cli", "audit", "verify", "--file", str(edited), "--since",
                          str(old), "--key", key], capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "ไม่ตรงกับจุดตรวจ" in bad.stdout, (bad.stdout, bad.stderr)
