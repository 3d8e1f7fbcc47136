"""The canonical encoding every hash in Ruam is computed over.

UTF-8, every string NFC-normalized, JSON with sorted keys and no insignificant
white space. The same logical record always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any


def normalize(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", str(k)): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN and infinity have no canonical form")
        return value
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


def canonical_text(value: Any) -> str:
    """Canonical JSON text. Fast path: when the encoded text is already NFC it is the
    answer (JSON's delimiters are ASCII starters, so NFC text means every string and
    key in it is NFC); otherwise normalize each string and key, then encode."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        text = None  # a type or number with no canonical form: normalize() names it
    if text is not None and unicodedata.is_normalized("NFC", text):
        return text
    return json.dumps(normalize(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_hex(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def content_hash(value: Any) -> str:
    return sha256_hex(canonical_text(value))


def nul_in(value: Any, where: str = "") -> str | None:
    """Where in JSON-like data (keys too) a string holds a NUL (U+0000, not text, and not storable
    in PostgreSQL's text), as ``a.b[2].c``; None if nowhere."""
    if isinstance(value, str):
        return (where or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and "\x00" in key:
                return name.replace("\x00", "\\x00")
            found = nul_in(item, name)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = nul_in(item, f"{where}[{i}]")
            if found:
                return found
    return None
