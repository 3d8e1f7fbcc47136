"""The organization's ``letterhead``: what the office's documents print about the office.

Read inside ``workflow.reader``'s organization builder; every problem names the
field and its line, in English and Thai. Nothing is read from disk: the Garuda
image is named by a path and its sha256 (the engine reads and checks the file).
"""

from __future__ import annotations

import re
from typing import Any

from workflow.definitions import Letterhead, Signer

Reader = Any  # workflow.reader's problem collector (not imported: the reader imports this module)

TEXT_FIELDS = {
    "office_name": "ชื่อส่วนราชการ",
    "address": "ที่ตั้ง",
    "letter_code": "รหัสหนังสือ (ศธ ๐๔xxx)",
    "telephone": "โทรศัพท์",
    "email": "ไปรษณีย์อิเล็กทรอนิกส์",
    "contact_unit": "ส่วนราชการเจ้าของเรื่อง",
}
SIGNED_KINDS = ("appointment", "letter", "report", "minutes", "semiannual_memo", "checkpoint_record")
_LETTER_CODE = re.compile(r"^[\u0E01-\u0E2E]{2,4}\s?[0-9\u0E50-\u0E59]{4,7}(\.[0-9\u0E50-\u0E59]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def read_letterhead(r: Reader, raw: Any, line: int) -> Letterhead | None:
    """The letterhead block, or None (with problems recorded) when it is not a mapping."""
    m = r.mapping(raw, "letterhead", line)
    if m is None:
        return None
    r.unknown_keys(m, {*TEXT_FIELDS, "signers", "signs", "garuda"}, "letterhead")
    texts: dict[str, str] = {}
    for key, th in TEXT_FIELDS.items():
        value = m.get(key)
        if not isinstance(value, str) or not value.strip():
            r.problem(f"letterhead.{key}", "is required (text)", m.line_of(key), f"ต้องระบุ{th} (ข้อความ)")
            value = ""
        # the address keeps the office's own line breaks (as it stands on a letter); the rest is one line
        texts[key] = "\n".join(" ".join(line.split()) for line in str(value).splitlines() if line.strip()) \
            if key == "address" else " ".join(str(value).split())
    if texts["letter_code"] and not _LETTER_CODE.match(texts["letter_code"]):
        r.problem("letterhead.letter_code", f"'{texts['letter_code']}' is not a letter code like ศธ ๐๔๐๘๖",
                  m.line_of("letter_code"), f"'{texts['letter_code']}' ไม่ใช่รหัสหนังสือ (เช่น ศธ ๐๔๐๘๖)")
    if texts["email"] and not _EMAIL.match(texts["email"]):
        r.problem("letterhead.email", f"'{texts['email']}' is not an e-mail address", m.line_of("email"),
                  f"'{texts['email']}' ไม่ใช่ที่อยู่ไปรษณีย์อิเล็กทรอนิกส์")
    signers = _signers(r, m)
    signs = _signs(r, m, {s.id for s in signers})
    path, digest = _garuda(r, m)
    return Letterhead(**texts, signers=tuple(signers), signs=signs, garuda_path=path, garuda_sha256=digest)


def _signers(r: Reader, m: Any) -> list[Signer]:
    raw = r.seq(m.get("signers"), "letterhead.signers", m.line_of("signers"))
    out: list[Signer] = []
    for i, item in enumerate(raw):
        where = f"letterhead.signers[{i}]"
        sm = r.mapping(item, where, raw.line_of(i))
        if sm is None:
            continue
        r.unknown_keys(sm, {"id", "name", "position"}, where)
        sid = sm.get("id")
        if not isinstance(sid, str) or not _ID.match(sid):
            r.problem(f"{where}.id", f"'{sid}' is not an id (lower-case letters, digits, _)", sm.line_of("id"),
                      f"'{sid}' ไม่ใช่รหัส (อักษรอังกฤษตัวเล็ก ตัวเลข _)")
            sid = ""
        elif any(s.id == sid for s in out):
            r.problem(f"{where}.id", f"'{sid}' is used twice", sm.line_of("id"), f"รหัส '{sid}' ซ้ำ")
        vals = {}
        for key, th in (("name", "ชื่อผู้ลงนาม"), ("position", "ตำแหน่งผู้ลงนาม")):
            value = sm.get(key)
            if not isinstance(value, str) or not value.strip():
                r.problem(f"{where}.{key}", "is required (text)", sm.line_of(key), f"ต้องระบุ{th}")
                value = ""
            vals[key] = " ".join(str(value).split())
        out.append(Signer(str(sid), vals["name"], vals["position"]))
    return out


def _signs(r: Reader, m: Any, ids: set[str]) -> dict:
    raw = m.get("signs")
    if raw is None:
        return {}
    sm = r.mapping(raw, "letterhead.signs", m.line_of("signs"))
    if sm is None:
        return {}
    out = {}
    for kind, signer in sm.items():
        line = sm.line_of(kind)
        if kind not in SIGNED_KINDS:
            r.problem(f"letterhead.signs.{kind}", f"unknown document kind (expected one of: {', '.join(SIGNED_KINDS)})",
                      line, f"ไม่รู้จักประเภทเอกสาร '{kind}' (ที่มี: {', '.join(SIGNED_KINDS)})")
        elif signer not in ids:
            r.problem(f"letterhead.signs.{kind}", f"unknown signer '{signer}' (not in letterhead.signers)",
                      line, f"ไม่พบผู้ลงนาม '{signer}' ใน letterhead.signers")
        else:
            out[str(kind)] = str(signer)
    return out


def _garuda(r: Reader, m: Any) -> tuple[str, str]:
    raw = m.get("garuda")
    if raw is None:
        return "", ""
    gm = r.mapping(raw, "letterhead.garuda", m.line_of("garuda"))
    if gm is None:
        return "", ""
    r.unknown_keys(gm, {"path", "sha256"}, "letterhead.garuda")
    path, digest = gm.get("path"), gm.get("sha256")
    if not isinstance(path, str) or not path.strip():
        r.problem("letterhead.garuda.path", "is required when garuda is given (the office's image file)",
                  gm.line_of("path"), "ต้องระบุที่อยู่ไฟล์ภาพครุฑของสำนักงาน")
        path = ""
    elif not path.lower().endswith((".png", ".jpg", ".jpeg")):
        r.problem("letterhead.garuda.path", "must be a PNG or JPEG image", gm.line_of("path"),
                  "ต้องเป็นไฟล์ภาพ PNG หรือ JPEG")
    if digest is not None and (not isinstance(digest, str) or not _SHA256.match(digest)):
        r.problem("letterhead.garuda.sha256", "must be 64 lower-case hex digits", gm.line_of("sha256"),
                  "ต้องเป็นเลขฐานสิบหก ๖๔ หลัก (ตัวพิมพ์เล็ก)")
        digest = ""
    return str(path or "").strip(), str(digest or "")
