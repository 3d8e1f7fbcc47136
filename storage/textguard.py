"""No NUL character reaches the database.

PostgreSQL's text cannot hold U+0000: its driver refuses such a value with an error
no one can act on (a 503 on the web), and SQLite would keep what PostgreSQL refuses.
The web and the CLI refuse a NUL where it comes in, naming the field; this is the
backstop for any other way in: every statement's text parameters are looked at
before they are sent, and a NUL is a ``UsageError`` naming the column, with nothing
written. Bytes (a stored file's content) may hold anything.
"""

from __future__ import annotations

import re

from sqlalchemy import event
from sqlalchemy.engine import Engine

from workflow.errors import UsageError

_COLUMNS = re.compile(r"^\s*INSERT\s+INTO\s+\w+\s*\(([^)]*)\)", re.IGNORECASE)


def refuse_nul(params, statement: str = "") -> None:
    """Raise ``UsageError`` if any text in ``params`` (one row or many) holds a NUL."""
    if not params:
        return
    if isinstance(params, dict):
        for key, value in params.items():
            if _has_nul(value):
                raise _refusal(re.sub(r"_\d+$", "", str(key)))
        return
    if isinstance(params, (list, tuple)):
        if isinstance(params[0], (list, tuple, dict)) and not isinstance(params, tuple):
            for row in params:  # executemany
                refuse_nul(row, statement)
            return
        for i, value in enumerate(params):
            if _has_nul(value):
                raise _refusal(_positional_name(statement, i))


def _has_nul(value) -> bool:
    if type(value) is str:
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def _positional_name(statement: str, index: int) -> str:
    match = _COLUMNS.match(statement)
    if match:
        columns = [c.strip() for c in match.group(1).split(",")]
        if index < len(columns):
            return columns[index]
    return f"value {index + 1}"


def _refusal(column: str) -> UsageError:
    return UsageError(column, "contains a NUL character (\\x00), which is not text and cannot be stored",
                      "มีอักขระ NUL (\\x00) ซึ่งไม่ใช่ข้อความและบันทึกไม่ได้")


def guard_engine(engine: Engine) -> None:
    """Check every statement SQLAlchemy sends on ``engine``."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(_conn, _cursor, statement, parameters, _context, _executemany):
        refuse_nul(parameters, statement)
