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
    return loaded
