"""Small input helpers shared by the CLI's command modules."""

from __future__ import annotations

import json
from pathlib import Path

from workflow.errors import UsageError


def read_mapping_file(name: str, option: str = "--evidence-file") -> dict:
    """A JSON or YAML file holding a mapping of field to value (usage error otherwise)."""
    path = Path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(option, f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(option, f"{path} is not UTF-8 text") from None
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError:
        import yaml

        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UsageError(option, f"{path} is neither JSON nor YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise UsageError(option, f"{path} must hold a mapping of field to value")
    refuse_nul(loaded, f"{option} {path}")
    return loaded


def refuse_nul(value, where: str, inner: str = "") -> None:
    """UsageError naming the first key or text value in JSON-like data that holds a NUL (U+0000):
    it is not text, and PostgreSQL's text cannot store it."""
    found = _nul_at(value, inner)
    if found is not None:
        raise UsageError(where, f"{found or 'the value'} contains a NUL character (\\x00), which is not text",
                         f"{found or 'ค่า'} มีอักขระ NUL (\\x00) ซึ่งไม่ใช่ข้อความ")


def _nul_at(value, at: str) -> str | None:
    if isinstance(value, str):
        return at if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{at}.{key}" if at else str(key)
            if "\x00" in str(key):
                return name.replace("\x00", "\\x00")
            found = _nul_at(item, name)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_at(item, f"{at}[{i}]")
            if found is not None:
                return found
    return None
