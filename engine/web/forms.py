"""Trigger forms built from a step's evidence fields, and form data parsed back
into evidence the engine validates (the engine stays the only judge)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from workflow.definitions import FieldSpec

_ITEM = re.compile(r"^([a-z][a-z0-9_]*)\[(\d{1,3})\]\.([a-z][a-z0-9_]*)$")
RESERVED = {"csrf", "trigger", "expected_version", "note", "lang", "draft_member"}  # draft_member: ร่างเอกสาร
BLANK_ROWS = 2


@dataclass
class Widget:
    """One input (or one list of rows of inputs) on a trigger form."""

    name: str                   # form key
    id: str                     # field id
    type: str
    label: str
    required: bool
    help: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    columns: list[Widget] = field(default_factory=list)   # for lists: the item fields
    rows: list[list[Widget]] = field(default_factory=list)


def _options(spec: FieldSpec, lang: str) -> list[tuple[str, str]]:
    titles = spec.option_titles or {}
    return [(opt, titles[opt].get(lang) if opt in titles else opt) for opt in spec.options]


def _scalar(spec: FieldSpec, name: str, lang: str, value: Any) -> Widget:
    if spec.type == "boolean" and isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, dict):  # an attachment already stored
        value = value.get("sha256", "")
    return Widget(name=name, id=spec.id, type=spec.type, label=spec.title.get(lang), required=spec.required,
                  help=spec.help.get(lang) if spec.help else "", options=_options(spec, lang),
                  value="" if value is None else value)


def widgets(fields: tuple[FieldSpec, ...], lang: str, values: dict | None = None) -> list[Widget]:
    values = values or {}
    out = []
    for spec in fields:
        value = values.get(spec.id)
        if spec.type != "list":
            out.append(_scalar(spec, spec.id, lang, value))
            continue
        items = [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
        count = max(len(items) + (BLANK_ROWS if not items else 1), spec.min_items, 1)
        rows = [[_scalar(sub, f"{spec.id}[{i}].{sub.id}", lang, (items[i] if i < len(items) else {}).get(sub.id))
                 for sub in spec.fields] for i in range(count)]
        out.append(Widget(name=spec.id, id=spec.id, type="list", label=spec.title.get(lang),
                          required=spec.required, help=spec.help.get(lang) if spec.help else "",
                          columns=[_scalar(sub, f"{spec.id}[].{sub.id}", lang, None) for sub in spec.fields],
                          rows=rows))
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse(form: dict[str, Any], fields: tuple[FieldSpec, ...],
          store_file: Any = None) -> dict:
    """Form keys ``field`` and ``field[i].sub`` into evidence; blank rows dropped.

    ``store_file(upload) -> dict`` keeps an uploaded file and returns its
    reference (sha256, name, size).
    """
    by_id = {f.id: f for f in fields}
    evidence: dict[str, Any] = {}
    lists: dict[str, dict[int, dict]] = {}
    for key, value in form.items():
        if key in RESERVED:
            continue
        if hasattr(value, "filename"):  # an upload
            if not value.filename or store_file is None:
                continue
            value = store_file(value)
        match = _ITEM.match(key)
        if match:
            fid, index, sub = match.group(1), int(match.group(2)), match.group(3)
            spec = by_id.get(fid)
            if spec is None or spec.type != "list":
                evidence.setdefault(key, value)  # let the engine name the unknown field
                continue
            lists.setdefault(fid, {}).setdefault(index, {})[sub] = value
        elif key in by_id:
            if not _blank(value):
                evidence[key] = value
        elif not _blank(value):
            evidence[key] = value
    for fid, rows in lists.items():
        items = []
        for _, row in sorted(rows.items()):
            kept = {k: v for k, v in row.items() if not _blank(v)}
            if kept:
                items.append(kept)
        if items:
            evidence[fid] = items
    return evidence
