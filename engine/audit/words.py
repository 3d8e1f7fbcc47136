"""What the audit's report and seal say to a person, Thai first (English with ``lang="en"``).

One wording for every face: ``ruam audit`` (``engine.cli.audit``) and the ``/audit`` page
(``engine.web.pages_admin``) print the same checks, findings, verdict and seal. Findings are
told with titles and names (``Names.humanize``), never with ids; ids and ISO times stay in
``--json`` and the API.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.names import Names, definition_kind, pick

CHECKS = {
    "chain": ("สายบันทึก (hash)", "chain"), "legality": ("ความถูกต้องของขั้นตอน", "legality"),
    "authority": ("อำนาจของผู้ดำเนินการ", "authority"), "projection": ("ตารางสถานะเทียบกับบันทึก", "projection"),
    "calendar": ("ปฏิทิน", "calendar"), "unchecked": ("ที่ไม่ได้ตรวจ", "unchecked"),
    "workers": ("จำนวนโปรเซสที่ช่วยตรวจ", "workers"), "files": ("ไฟล์แนบ", "files"),
    "attachments": ("ไฟล์แนบที่บันทึกอ้างถึง", "attachments"),
    "projection_changed_during_audit": ("เปลี่ยนระหว่างการตรวจ", "changed during the audit"),
}
FINDING_KINDS = {
    "chain": ("สายบันทึก", "chain"), "legality": ("ขั้นตอน", "legality"), "authority": ("อำนาจ", "authority"),
    "projection": ("ตารางสถานะ", "projection"), "definition": ("นิยาม", "definition"),
    "attachment": ("ไฟล์แนบ", "attachment"), "seal": ("ตราประทับ", "seal"), "storage": ("ฐานข้อมูล", "storage"),
    "calendar": ("ปฏิทิน", "calendar"), "guard": ("เงื่อนไข", "guard"), "evidence": ("หลักฐาน", "evidence"),
    "file": ("ไฟล์แนบ", "file"),
}
VERDICTS = {"passed": ("ผ่าน", "passed"), "failed": ("ไม่ผ่าน", "failed"), "incomplete": ("ตรวจไม่ครบ", "incomplete")}
_STATES_TH = {"done": "ตรวจแล้ว", "not checked by this version": "รุ่นนี้ไม่ได้ตรวจ",
              "no calendar records in the ledger": "ไม่มีบันทึกปฏิทิน",
              "skipped: no database (an export holds the ledger only)":
                  "ไม่ได้ตรวจ: ไม่มีฐานข้อมูล (ไฟล์ส่งออกมีเฉพาะบันทึก ไม่มีตารางกระบวนการ ปฏิทิน บุคคลและบทบาท)"}


def kind_label(kind: str, th: bool) -> str:
    return FINDING_KINDS.get(kind, (kind, kind))[0 if th else 1]


def check_label(check: str, th: bool) -> str:
    return CHECKS.get(check, (check, check))[0 if th else 1]


def check_state(state: str, th: bool) -> str:
    """What a check did, in the reader's language (the report keeps its English for --json)."""
    if not th:
        return state
    if state in _STATES_TH:
        return _STATES_TH[state]
    if state.isdigit():
        return state
    found = re.match(r"done: (\d+) file\(s\) named by the records, (\d+) stored", state)
    if found:
        return f"ตรวจแล้ว: บันทึกอ้างถึงไฟล์ {found[1]} ไฟล์ เก็บไว้ {found[2]} ไฟล์"
    found = re.match(r"done: (\d+) file\(s\) named by the records, checked in (.+)", state)
    if found:
        return f"ตรวจแล้ว: บันทึกอ้างถึงไฟล์ {found[1]} ไฟล์ ตรวจกับโฟลเดอร์ {found[2]}"
    if state == "done: the records name no files":
        return "ตรวจแล้ว: บันทึกไม่ได้อ้างถึงไฟล์ใด"
    found = re.match(r"not judged: (\d+) file\(s\)", state)
    if found:
        return f"ไม่ได้ตรวจ: บันทึกอ้างถึงไฟล์ {found[1]} ไฟล์ (ระบุโฟลเดอร์ไฟล์ด้วย --files)"
    if state.startswith("skipped: ") and "definitions" in state:
        return "ไม่ได้ตรวจ: ไม่มีไฟล์นิยามอยู่ข้างไฟล์ส่งออก"
    if state.startswith("records of kinds this version does not judge"):
        return "มีบันทึกบางประเภทที่รุ่นนี้ไม่ได้ตรวจ"
    if "changed by records after this audit" in state:
        return "มีกระบวนการที่เปลี่ยนหลังเริ่มตรวจ จะเทียบในการตรวจครั้งถัดไป"
    return state


def finding_text(finding: Any, th: bool, names: Names | None = None) -> str:
    """A finding's own words in the reader's language, with titles and names in place of ids."""
    text = finding.text("th" if th else "en")
    if names is None:
        return text
    try:
        return names.humanize(text)
    except Exception:  # noqa: BLE001 - a finding is shown in its own words rather than not at all
        return text


def where(seq: int | None, th: bool, short: bool = True) -> str:
    """Where a finding is: the record's number (``#N``, or "บันทึกที่ N" in prose), "-" for the database."""
    if seq is None:
        return "-" if short else ("ทั้งฐานข้อมูล" if th else "the database as a whole")
    return f"#{seq}" if short else (f"บันทึกที่ {seq}" if th else f"record {seq}")


def verdict(report: Any, th: bool) -> tuple[str, list[str]]:
    """The verdict line and its details (what could not be judged) — never a plain pass when a part
    was not judged, and for an export it says that the database's tables were not in it."""
    counts = ", ".join(f"{kind_label(k, th)} {n:,}" for k, n in sorted(report.findings.by_kind.items()) if n)
    offline = report.source.startswith("file ")
    if report.ok:
        if not offline:
            return ("ผ่าน: ไม่พบปัญหา" if th else "PASSED: no findings"), []
        sealed = (report.seal or {}).get("verdict_at_export")
        at_export = ("; ตราประทับบันทึกว่าเมื่อส่งออกฐานข้อมูลผ่านการตรวจ" if th else
                     "; the seal records that the database verified when exported") if sealed == "passed" else ""
        return (("ผ่าน: ไม่พบปัญหาในบันทึกของไฟล์ (ไฟล์ส่งออกมีเฉพาะบันทึก จึงไม่ได้ตรวจตารางในฐานข้อมูล"
                 f"{at_export})") if th else
                f"PASSED: no findings in the file's ledger (an export holds the ledger only: the database's "
                f"tables were not checked{at_export})"), []
    if not report.findings.total:  # nothing wrong found, but something could not be judged: not a pass
        return (("ตรวจไม่ครบ: ไม่พบปัญหาในส่วนที่ตรวจได้ แต่ยังตัดสินผลทั้งหมดไม่ได้" if th else
                 "INCOMPLETE: no findings in what was checked, but not everything could be judged"),
                [thai if th else en for _check, en, thai in report.incomplete])
    first = report.findings[0]
    at = where(first.seq, th) if first.seq is not None else ("ฐานข้อมูล" if th else "-")
    line = (f"ไม่ผ่าน: พบปัญหา {report.findings.total:,} ข้อ ({counts}); แรกสุดที่ {at}" if th else
            f"FAILED: {report.findings.total:,} finding(s) ({counts}); first at {at}")
    return line, [thai if th else en for _check, en, thai in report.incomplete]


def report_view(report: Any, lang: str, names: Names | None = None) -> dict[str, Any]:
    """The report as a page shows it: checks, findings (each once, told with names), verdict."""
    th = lang == "th"
    line, details = verdict(report, th)
    return {
        "ok": report.ok, "verdict": report.verdict, "verdict_line": line, "details": details,
        "records": report.records, "processes": report.processes, "head_seq": report.head_seq,
        "head_hash": report.head_hash, "total": report.findings.total, "dropped": report.findings.dropped,
        "checks": [(check_label(c, th), check_state(s, th)) for c, s in report.checks.items()],
        "findings": [{"where": where(f.seq, th, short=False), "seq": f.seq, "kind": f.kind,
                      "kind_label": kind_label(f.kind, th), "text": finding_text(f, th, names)}
                     for f in report.findings],
    }


# --------------------------------------------------------------------------- the seal to print


def _kind_words(kind: str, th: bool) -> str:
    return definition_kind(kind, "th" if th else "en")


def sealed_verdict(seal: Any, th: bool) -> str | None:
    """The database's verify at export, as the seal records it: "ผ่าน (ถึงบันทึกที่ N)" / "ไม่ผ่าน: …"."""
    v = seal.verdict
    if not isinstance(v, dict) or v.get("verdict") not in VERDICTS:
        return None
    word = pick(VERDICTS[v["verdict"]], "th" if th else "en")
    upto = v.get("head_seq")
    if v["verdict"] == "passed":
        return (f"{word} (ตรวจถึงบันทึกที่ {upto})" if th else f"{word} (verified up to record {upto})")
    counts = ", ".join(f"{kind_label(k, th)} {n:,}" for k, n in sorted((v.get("finding_counts") or {}).items()) if n)
    n = v.get("findings_total") or 0
    return (f"{word}: พบปัญหา {n:,} ข้อ ({counts})" if th else f"{word}: {n:,} finding(s) ({counts})")


def seal_text(seal: Any, th: bool, where_written: Path | str | None = None, when: str | None = None) -> str:
    """The seal to print and sign: the office, who exported and when (BE), the verdict of the database's
    verify at export, the head, the file's sha256, the files, the definitions, how to check it later."""
    e = seal.extra
    lang = "th" if th else "en"
    office = (pick((seal.office.get("th", ""), seal.office.get("en") or seal.office.get("th", "")), lang)
              if seal.office else None)  # (an office with no English name: its Thai name)
    by = pick((seal.exported_by.get("th", ""), seal.exported_by.get("en", "")), lang) if seal.exported_by else None
    judged = sealed_verdict(seal, th)
    lines = [
        "ตราประทับบันทึก Ruam (สำหรับพิมพ์และลงนาม)" if th else "Ruam ledger seal (print and sign)",
        "=" * 64,
        *([f"{'หน่วยงาน' if th else 'office'}:         {office}"] if office else []),
        *([f"{'ส่งออกโดย' if th else 'exported by'}:        {by}"] if by else []),
        f"{'ส่งออกเมื่อ' if th else 'exported'}:        {when or e.get('exported_at_be')}",
        *([f"{'ผลตรวจเมื่อส่งออก' if th else 'verify at export'}:  {judged}"] if judged else []),
        f"{'ไฟล์' if th else 'file'}:            {e.get('file')} ({e.get('format')})",
        f"{'จำนวนบันทึก' if th else 'records'}:         {seal.records:,}",
        f"{'บันทึกสุดท้าย' if th else 'head record'}:     #{seal.head_seq}",
        f"{'hash หัวสาย' if th else 'head hash'}:       {seal.head_hash}",
        f"sha256 {'ของไฟล์' if th else 'of file'}:  {e.get('file_sha256')}",
        *files_lines(e.get("attachments"), th),
        ("นิยามที่ใช้:" if th else "definitions:"),
        *[f"  {_kind_words(d['kind'], th)}  {'รุ่น' if th else 'version'} {d['version']}" for d in seal.definitions],
        "",
        (f"ตรวจภายหลัง: ruam audit verify --file {e.get('file')} --seal {seal.head_seq}:{seal.head_hash}" if th else
         f"check later: ruam audit verify --file {e.get('file')} --seal {seal.head_seq}:{seal.head_hash}")
        + (f" --files {(e.get('attachments') or {}).get('folder')}" if (e.get("attachments") or {}).get("folder")
           else ""),
        *([f"{'บันทึกตราประทับที่' if th else 'seal written to'}: {where_written}"] if where_written else []),
        "",
        ("ลงชื่อ ........................................  วันที่ ................" if th else
         "signed ........................................  date ................"),
    ]
    return "\n".join(lines)


def export_warning(seal: Any, th: bool) -> str | None:
    """Said when the exported ledger did not verify (the export is written all the same)."""
    if seal.verdict_word != "failed":
        return None
    v = seal.verdict
    counts = ", ".join(f"{kind_label(k, th)} {n:,}" for k, n in sorted((v.get("finding_counts") or {}).items()) if n)
    n = v.get("findings_total") or 0
    return (f"คำเตือน: บันทึกที่ส่งออกไม่ผ่านการตรวจสอบ พบปัญหา {n:,} ข้อ ({counts}) "
            "ตราประทับจึงบันทึกผลการตรวจว่า «ไม่ผ่าน»: สั่ง ruam audit verify เพื่อดูรายละเอียด" if th else
            f"warning: the exported ledger does not verify: {n:,} finding(s) ({counts}); the seal records the "
            "verdict as failed: run 'ruam audit verify' for the findings")


def files_lines(files: dict | None, th: bool) -> list[str]:
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


__all__ = ["CHECKS", "FINDING_KINDS", "VERDICTS", "check_label", "check_state", "export_warning", "files_lines",
           "finding_text", "kind_label", "report_view", "seal_text", "sealed_verdict", "verdict", "where"]
