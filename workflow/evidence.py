"""Evidence: check and normalize what an officer submits against a step's fields.

``validate_evidence`` returns the normalized evidence (NFC text, ISO dates,
booleans as booleans) or raises ``EvidenceInvalid`` naming every bad field.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from workflow.definitions import FieldSpec
from workflow.errors import EvidenceInvalid, Problem
from workflow.fiscal import parse_date, to_arabic_digits

MAX_TEXT = 20_000
_DOC_NUMBER = re.compile(r"^[^/]{0,40}\d[^/]{0,20}/\s*\d{1,6}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TRUE = {"true", "yes", "y", "1", "ใช่", "จริง"}
_FALSE = {"false", "no", "n", "0", "ไม่ใช่", "ไม่"}


def normalize_doc_number(text: str) -> str:
    """The comparable form of a document number: Arabic digits, no spaces."""
    return re.sub(r"\s+", "", to_arabic_digits(unicodedata.normalize("NFC", text)))


def _one(spec: FieldSpec, value: Any, where: str, problems: list[Problem]) -> Any:
    t = spec.type
    if isinstance(value, str) and "\x00" in value:  # not text; and no database text column holds it
        problems.append(Problem(where, "contains a NUL character (\\x00), which is not text",
                                problem_th="มีอักขระ NUL (\\x00) ซึ่งไม่ใช่ข้อความ"))
        return None
    if t == "text":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            problems.append(Problem(where, "must be text", problem_th="ต้องเป็นข้อความ"))
            return None
        text = unicodedata.normalize("NFC", str(value)).strip()
        if len(text) > MAX_TEXT:
            problems.append(Problem(where, f"is longer than {MAX_TEXT} characters", problem_th=f"ยาวเกิน {MAX_TEXT:,} ตัวอักษร"))
        return text
    if t == "date":
        try:
            return parse_date(str(value)).isoformat()
        except ValueError as exc:
            problems.append(Problem(where, str(exc), problem_th=getattr(exc, "th", None)))
            return None
    if t == "doc_number":
        text = unicodedata.normalize("NFC", str(value)).strip()
        if not _DOC_NUMBER.match(to_arabic_digits(text)):
            problems.append(Problem(where, f"'{text}' is not a document number like ๑๒๓/๒๕๗๐ or ศธ ๐๔๐๘๖/๑๒๓",
                                    problem_th=f"'{text}' ไม่ใช่เลขที่หนังสือ เช่น ๑๒๓/๒๕๗๐ หรือ ศธ ๐๔๐๘๖/๑๒๓"))
            return None
        return text
    if t == "choice":
        if value not in spec.options:
            problems.append(Problem(where, f"'{value}' is not one of: {', '.join(spec.options)}",
                                    problem_th=f"'{value}' ไม่ใช่ตัวเลือกที่มี: "
                                               + ", ".join(spec.option_titles[o].th if o in spec.option_titles
                                                           else o for o in spec.options)))
            return None
        return value
    if t == "boolean":
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        problems.append(Problem(where, f"'{value}' is not true or false", problem_th=f"'{value}' ไม่ใช่ ใช่/ไม่ใช่"))
        return None
    if t == "integer":
        if isinstance(value, bool):
            problems.append(Problem(where, "must be a whole number", problem_th="ต้องเป็นจำนวนเต็ม"))
            return None
        try:
            return int(to_arabic_digits(str(value)).strip())
        except ValueError:
            problems.append(Problem(where, f"'{value}' is not a whole number", problem_th=f"'{value}' ไม่ใช่จำนวนเต็ม"))
            return None
    if t == "attachment":
        if isinstance(value, str):
            value = {"sha256": value.removeprefix("sha256:")}
        if not isinstance(value, dict) or not _SHA256.match(str(value.get("sha256", ""))):
            problems.append(Problem(where, "must be a stored file's sha256 (64 hex digits)",
                                    problem_th="ต้องเป็นไฟล์ที่เก็บไว้แล้ว (sha256 ๖๔ หลัก)"))
            return None
        out = {"sha256": value["sha256"]}
        if "\x00" in str(value.get("name") or ""):
            problems.append(Problem(f"{where}.name", "contains a NUL character (\\x00), which is not text",
                                    problem_th="มีอักขระ NUL (\\x00) ซึ่งไม่ใช่ข้อความ"))
            return None
        if value.get("name"):
            out["name"] = unicodedata.normalize("NFC", str(value["name"]))
        if isinstance(value.get("size"), int):
            out["size"] = value["size"]
        return out
    if t == "list":
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            problems.append(Problem(where, "must be a list", problem_th="ต้องเป็นรายการ"))
            return None
        items = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                problems.append(Problem(f"{where}[{i}]", "must be a mapping of item fields",
                                        problem_th="แต่ละรายการต้องระบุช่องของรายการ"))
                continue
            items.append(_record(spec.fields, item, f"{where}[{i}]", problems))
        if len(value) < spec.min_items:
            problems.append(Problem(where, f"needs at least {spec.min_items} item(s)",
                                    problem_th=f"ต้องมีอย่างน้อย {spec.min_items} รายการ"))
        return items
    problems.append(Problem(where, f"unsupported type '{t}'"))
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _record(fields: tuple[FieldSpec, ...], raw: dict, prefix: str, problems: list[Problem]) -> dict:
    known = {f.id for f in fields}
    for key in raw:
        if key not in known:
            problems.append(Problem(f"{prefix}.{key}" if prefix else key,
                                    f"unknown field (expected: {', '.join(sorted(known))})",
                                    problem_th="ไม่มีช่องนี้ในหลักฐานของขั้นตอนนี้"))
    out: dict[str, Any] = {}
    for spec in fields:
        where = f"{prefix}.{spec.id}" if prefix else spec.id
        value = raw.get(spec.id)
        if _blank(value):
            if spec.required:
                problems.append(Problem(where, "is required",
                                        problem_th="ต้องระบุ"))
            continue
        normalized = _one(spec, value, where, problems)
        if normalized is not None:
            out[spec.id] = normalized
    return out


def validate_evidence(trigger: str, fields: tuple[FieldSpec, ...], raw: Any) -> dict:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise EvidenceInvalid(trigger, [Problem("evidence", "must be a mapping of field to value",
                                                    problem_th="หลักฐานต้องเป็นชุดของช่องและค่า")])
    problems: list[Problem] = []
    out = _record(fields, raw, "", problems)
    if problems:
        raise EvidenceInvalid(trigger, problems)
    return out


def attachment_hashes(fields: tuple[FieldSpec, ...], evidence: dict) -> list[str]:
    """Every attachment sha256 named in normalized evidence."""
    found = []
    for spec in fields:
        value = evidence.get(spec.id)
        if spec.type == "attachment" and isinstance(value, dict):
            found.append(value["sha256"])
        elif spec.type == "list" and isinstance(value, list):
            for item in value:
                found.extend(attachment_hashes(spec.fields, item))
    return found


def field_summary(fields: tuple[FieldSpec, ...]) -> list[dict]:
    """What a step asks for, for ``process show`` and the API."""
    out = []
    for f in fields:
        entry: dict[str, Any] = {"name": f.id, "type": f.type, "required": f.required,
                                 "title_th": f.title.th, "title_en": f.title.en}
        if f.options:
            entry["options"] = list(f.options)
            entry["option_titles"] = {o: {"th": t.th, "en": t.en} for o, t in (f.option_titles or {}).items()}
        if f.fields:
            entry["fields"] = field_summary(f.fields)
        if f.min_items:
            entry["min_items"] = f.min_items
        out.append(entry)
    return out


_ATTACHMENT_KEYS = frozenset({"sha256", "name", "size"})
_MISSING = object()
_CHECKERS: dict[int, tuple[tuple[FieldSpec, ...], Any]] = {}


def is_normalized(fields: tuple[FieldSpec, ...], evidence: Any) -> bool:
    """True exactly when ``validate_evidence`` would accept ``evidence`` and return it unchanged.

    The audit's fast path: a recorded step's evidence was normalized when it was
    recorded, so replay asks this cheap question first and runs the full
    validation (for its messages) only when the answer is no. The check for a
    tuple of fields is compiled once into closures.
    """
    entry = _CHECKERS.get(id(fields))
    if entry is None or entry[0] is not fields:
        entry = _CHECKERS[id(fields)] = (fields, _compile_record(fields))
    return type(evidence) is dict and entry[1](evidence)


def _compile_record(fields: tuple[FieldSpec, ...]):
    """Generate one straight-line function for ``fields`` (nested lists inlined as loops).

    Like attrs' and cattrs' generated methods: the rules stay those of the small
    per-type predicates below, but a record's dozen checks run without a Python
    call each. The generated text depends only on the definition, never on data.
    """
    env: dict[str, Any] = {"M": _MISSING, "isnfc": unicodedata.is_normalized, "MAX": MAX_TEXT, "NUL": "\x00",
                           "iso_date": _iso_date, "doc_number": _doc_number, "attachment": _attachment}
    lines = ["def check(raw):"]
    _emit_record(fields, "raw", 1, lines, env, [0])
    lines.append("    return True")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), "<evidence check>", "exec"), env, namespace)  # noqa: S102 - generated from the definition only
    return namespace["check"]


def _emit_record(fields: tuple[FieldSpec, ...], raw: str, depth: int, lines: list[str], env: dict,
                 counter: list[int]) -> None:
    pad = "    " * depth
    seen = f"seen{depth}"
    lines.append(f"{pad}if len({raw}) > {len(fields)}: return False")
    lines.append(f"{pad}{seen} = 0")
    for f in fields:
        counter[0] += 1
        v = f"v{counter[0]}"
        lines.append(f"{pad}{v} = {raw}.get({f.id!r}, M)")
        lines.append(f"{pad}if {v} is M:")
        lines.append(f"{pad}    {'return False' if f.required else 'pass'}")
        lines.append(f"{pad}else:")
        lines.append(f"{pad}    {seen} += 1")
        # a blank value would have been dropped (or refused if required)
        lines.append(f"{pad}    if {v} is None or {v} == '' or {v} == []: return False")
        _emit_value(f, v, depth + 1, lines, env, counter)
    lines.append(f"{pad}if {seen} != len({raw}): return False")


def _emit_value(spec: FieldSpec, v: str, depth: int, lines: list[str], env: dict, counter: list[int]) -> None:
    pad = "    " * depth
    t = spec.type
    if t == "text":
        lines.append(f"{pad}if type({v}) is not str or len({v}) > MAX or {v} != {v}.strip() "
                     f"or not isnfc('NFC', {v}) or NUL in {v}: return False")
    elif t == "date":
        lines.append(f"{pad}if not iso_date({v}): return False")
    elif t == "doc_number":
        lines.append(f"{pad}if not doc_number({v}): return False")
    elif t == "choice":
        name = f"options{counter[0]}"
        env[name] = tuple(spec.options)
        lines.append(f"{pad}if {v} not in {name}: return False")
    elif t == "boolean":
        lines.append(f"{pad}if type({v}) is not bool: return False")
    elif t == "integer":
        lines.append(f"{pad}if type({v}) is not int: return False")
    elif t == "attachment":
        lines.append(f"{pad}if not attachment({v}): return False")
    elif t == "list":
        item = f"i{counter[0]}"
        lines.append(f"{pad}if type({v}) is not list or len({v}) < {int(spec.min_items or 0)}: return False")
        lines.append(f"{pad}for {item} in {v}:")
        lines.append(f"{pad}    if type({item}) is not dict: return False")
        _emit_record(spec.fields, item, depth + 1, lines, env, counter)
    else:
        lines.append(f"{pad}return False")


def _iso_date(value: Any) -> bool:
    if type(value) is not str or len(value) != 10:
        return False
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return False
    return day.year <= 2400 and day.isoformat() == value


def _doc_number(value: Any) -> bool:
    return (type(value) is str and value == value.strip() and unicodedata.is_normalized("NFC", value)
            and "\x00" not in value and _DOC_NUMBER.match(to_arabic_digits(value)) is not None)


def _attachment(value: Any) -> bool:
    if type(value) is not dict or not value.keys() <= _ATTACHMENT_KEYS:
        return False
    if not _SHA256.match(str(value.get("sha256", ""))):
        return False
    if "name" in value and not (value["name"] and type(value["name"]) is str and "\x00" not in value["name"]
                                and unicodedata.is_normalized("NFC", value["name"])):
        return False
    return "size" not in value or isinstance(value["size"], int)
