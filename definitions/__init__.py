"""The shipped definitions of Ruam: data only, loaded as package resources."""

from __future__ import annotations

from importlib import resources

SHIPPED = ("organization.yaml", "procedure.yaml", "calendar.yaml", "documents/saraban.yaml")


def shipped_texts() -> list[tuple[str, str]]:
    """(name, YAML text) of every shipped definition, organization first."""
    root = resources.files(__name__)
    return [(f"definitions/{name}", (root / name).read_text(encoding="utf-8")) for name in SHIPPED]


def ita_texts() -> list[tuple[str, str]]:
    """(name, YAML text) of every shipped ITA catalogue (definitions/ita/, one per year and agency type)."""
    folder = resources.files(__name__) / "ita"
    return sorted((f"definitions/ita/{f.name}", f.read_text(encoding="utf-8"))
                  for f in folder.iterdir() if f.name.endswith(".yaml"))
