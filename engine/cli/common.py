"""What every ``ruam`` sub-command shares: the parser class and common flags,
exit codes, opening the application, language, moments and years, JSON
printing, reading evidence files, the progress bar.

The sub-command modules (``admin``, ``process``, ``audit``, ``calendar``,
``serve``) import this module and nothing of one another. Heavy modules load
inside the functions that need them, so ``ruam --help`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
EXIT_FAILED = EXIT_REFUSED  # an audit finding


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"ruam: {message}\n")


def add_common(p: argparse.ArgumentParser, *, json_flag: bool = False, as_flag: str | None = None) -> None:
    p.add_argument("--db", default=argparse.SUPPRESS, metavar="URL",
                   help="database URL or SQLite file (default: $RUAM_DATABASE_URL, else ./ruam.db)")
    p.add_argument("--lang", choices=("th", "en"), default=argparse.SUPPRESS, help="language of messages")
    p.add_argument("--office", default=argparse.SUPPRESS, metavar="CODE",
                   help="the office (default: $RUAM_OFFICE, else the default office)")
    if json_flag:
        p.add_argument("--json", action="store_true", help="print JSON")
    if as_flag == "required":
        p.add_argument("--as", dest="actor", required=True, metavar="PERSON", help="who acts")
    elif as_flag == "optional":
        p.add_argument("--as", dest="actor", default=None, metavar="PERSON",
                       help="who acts (default: the local operator, 'system')")


def lang(args: argparse.Namespace) -> str:
    return getattr(args, "lang", None) or os.environ.get("RUAM_LANG", "th")


def office_code(args: argparse.Namespace) -> str | None:
    """The office a command is for: ``--office``, else ``RUAM_OFFICE``, else None (the default office)."""
    return getattr(args, "office", None) or os.environ.get("RUAM_OFFICE") or None


def db_url(args: argparse.Namespace) -> str:
    return getattr(args, "db", None) or os.environ.get("RUAM_DATABASE_URL") or "ruam.db"


def _json_default(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


STORES: list = []  # disposed when the command ends (main), so no pooled connection outlives it


def open_app(args: argparse.Namespace, *, check_schema: bool = True):
    from engine.app import Ruam
    from storage.store import Store

    store = Store(db_url(args))
    STORES.append(store)
    if check_schema:
        store.ensure_current()
    app = Ruam(store)
    if check_schema:
        app = app.for_office(office_code(args))  # NotFound (exit 1) if there is no such office
        from engine.clock import load  # on a demonstration database, its simulated clock (engine.clock)

        load(app)
    return app


def names_of(app, args: argparse.Namespace):
    """What the command's reader sees in place of ids (``engine.names``), in their language."""
    from engine.names import Names

    return Names.of(app, lang(args))


def typed(identifier: str, language: str) -> str:
    """An id the reader may type into a later command, set apart: ``(รหัส …)``."""
    return f"(รหัส {identifier})" if language == "th" else f"(id {identifier})"


def verified_office(app) -> dict | None:
    """The office whose ledger was verified (its code and display names); None for a database too
    damaged to name it (the verdict says what is wrong)."""
    from engine.offices import this_office

    try:
        return this_office(app)
    except Exception:  # noqa: BLE001 - the audit's verdict matters more than its wording
        return {"code": app.office, "name_th": app.office, "name_en": ""}


def office_line(office: dict, th: bool) -> str:
    """``สำนักงาน: NAME (รหัส CODE)``: which office a verdict is about (an office known by its code
    alone, as an export made before offices: the code alone)."""
    from engine.names import shown_office

    name = shown_office(office, th)
    return (f"{'สำนักงาน' if th else 'office'}: {name + ' ' if name else ''}"
            f"{typed(office['code'], 'th' if th else 'en')}")


def fiscal_year(text: str | None, field: str = "fiscal_year") -> int | None:
    from workflow.errors import UsageError
    from workflow.fiscal import to_arabic_digits

    if text is None:
        return None
    try:
        return int(to_arabic_digits(text))
    except ValueError:
        raise UsageError(field, f"'{text}' is not a BE year like 2570", f"'{text}' ไม่ใช่ปี พ.ศ. เช่น 2570") from None


def moment(text: str | None, field: str):
    from workflow.errors import UsageError
    from workflow.fiscal import parse_moment

    if text is None:
        return None
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise UsageError(field, str(exc), getattr(exc, "th", None)) from None


def explain(exc: Exception, language: str) -> str:
    """A refusal in the reader's words: titles and names from the database the command opened."""
    if STORES:
        try:
            from engine.app import Ruam
            from engine.names import Names
            from engine.names import explain as with_names

            return with_names(exc, Names.of(Ruam(STORES[-1]), language))
        except Exception:  # noqa: BLE001 - a database that cannot name things: the error's own words
            pass
    message = getattr(exc, "message", None)
    return message(language) if callable(message) else str(exc)


def dispose_stores() -> None:
    """Close the databases the command opened (``ruam`` runs one command and exits)."""
    while STORES:
        STORES.pop().dispose()


def read_mapping_file(name: str, option: str = "--evidence-file") -> dict:
    """A JSON or YAML file holding a mapping of field to value (usage error otherwise)."""
    from workflow.errors import UsageError

    path = Path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(option, f"cannot read {path}: {exc.strerror}", f"อ่านไฟล์ {path} ไม่ได้") from None
    except UnicodeDecodeError:
        raise UsageError(option, f"{path} is not UTF-8 text", f"ไฟล์ {path} ไม่ใช่ข้อความ UTF-8") from None
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError:
        import yaml

        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UsageError(option, f"{path} is neither JSON nor YAML: {exc}",
                               f"ไฟล์ {path} ไม่ใช่ JSON หรือ YAML ที่อ่านได้") from None
    if not isinstance(loaded, dict):
        raise UsageError(option, f"{path} must hold a mapping of field to value",
                         f"ไฟล์ {path} ต้องเป็นชุดของช่องและค่า")
    refuse_nul(loaded, f"{option} {path}")
    return loaded


def write_whole(path: Path, data: bytes) -> None:
    """All or nothing: a temporary file beside the target, renamed over it (an error names --output)."""
    from workflow.errors import UsageError

    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsageError("--output", f"cannot write {path}: {exc.strerror}", f"เขียนไฟล์ {path} ไม่ได้: {exc.strerror}") from None


def refuse_nul(value, where: str) -> None:
    """UsageError naming the first key or text value in JSON-like data that holds a NUL (U+0000):
    it is not text, and PostgreSQL's text cannot store it."""
    from workflow.canonical import nul_in
    from workflow.errors import UsageError

    found = nul_in(value)
    if found is not None:
        raise UsageError(where, f"{found} contains a NUL character (\\x00), which is not text",
                         f"{found} มีอักขระ NUL (\\x00) ซึ่งไม่ใช่ข้อความ")


# --------------------------------------------------------------------------- the progress bar

class Progress:
    """Progress of a long audit: a bar on a terminal, plain lines otherwise.
    
    ``Progress(label)`` is called with the number of records done; ``set_total``
    gives the expected count when it is known. On a terminal it redraws one line
    (at most five times a second); elsewhere (logs, CI, a pipe) it prints a plain
    line at every tenth of the work (runs of 100,000 records or more), or every
    100,000 records if the total is unknown.
    """

    QUIET_BELOW = 100_000

    def __init__(self, label: str, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total: int | None = None
        self.start = time.monotonic()
        self._last_draw = 0.0
        self._next_line = 0
        self._drawn = False

    def set_total(self, total: int) -> None:
        self.total = total if total > 0 else None

    def _rate(self, done: int) -> float:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        return done / elapsed

    def __call__(self, done: int) -> None:
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.2 and (self.total is None or done < self.total):
                return
            self._last_draw = now
            if self.total:
                frac = min(done / self.total, 1.0)
                bar = "#" * int(frac * 30)
                text = f"\r{self.label} [{bar:<30}] {frac:6.1%} {done:,}/{self.total:,} {self._rate(done):,.0f}/s"
            else:
                text = f"\r{self.label} {done:,} {self._rate(done):,.0f}/s"
            self.stream.write(text)
            self.stream.flush()
            self._drawn = True
            return
        if self.total is not None and self.total < self.QUIET_BELOW:
            return  # a short run needs no progress lines in a log
        step = max(self.total // 10, 1) if self.total else 100_000
        if not self._next_line:
            self._next_line = step
        if done >= self._next_line:
            pct = f" ({done / self.total:.0%})" if self.total else ""
            self.stream.write(f"{self.label}: {done:,} records{pct}, {self._rate(done):,.0f}/s\n")
            self.stream.flush()
            self._next_line = (done // step + 1) * step

    def close(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def progress(args: argparse.Namespace, label: str) -> Progress | None:
    """The command's progress bar, unless ``--no-progress``."""
    if getattr(args, "no_progress", False):
        return None
    return Progress(label)
