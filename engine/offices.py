"""Offices: add one, list them, show one; an overview of the offices a person may see.

One database serves many offices; each has its own people, definitions, processes,
calendar, outbox, files and hash chain (``storage`` scopes every query by office).
A database made before offices is the default office (code ``default``), which
every command uses unless told ``--office CODE`` (or ``RUAM_OFFICE``).

The operator (``system``) adds offices: an office is where a central office's
service begins to serve another office, not something a person of an office does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from engine.app import Ruam
from engine.names import office_name as display_name
from engine.names import shown_office as shown
from workflow.errors import NotFound, RuamError, UsageError
from workflow.replay import SYSTEM

OFFICE_CODE = re.compile(r"^[a-z][a-z0-9-]{1,31}$")

__all__ = ["OFFICE_CODE", "add_office", "display_name", "list_offices", "office_names", "overview", "problem",
           "show_office", "shown", "sign_in_offices", "this_office", "tick_every_office", "wakeups"]
DEFAULT = "default"


def add_office(app: Ruam, code: str, name_th: str, name_en: str = "", sender: str | None = None, *,
               load_shipped: bool = True, actor: str = SYSTEM) -> dict[str, Any]:
    """A new office (its chain empty); with ``load_shipped``, the shipped definitions loaded into it."""
    if actor != SYSTEM:
        raise UsageError("actor", "only the operator (system) adds offices", "เฉพาะผู้ดูแลระบบเพิ่มสำนักงานได้")
    if not OFFICE_CODE.match(code or "") or code == "default":
        raise UsageError("code", f"'{code}' is not an office code (2–32 of a-z 0-9 -, starting with a letter)",
                         f"'{code}' ไม่ใช่รหัสสำนักงาน (a-z 0-9 - ยาว 2–32 ตัว ขึ้นต้นด้วยตัวอักษร)")
    if not (name_th or "").strip():
        raise UsageError("name_th", "is required", "ต้องระบุชื่อสำนักงานภาษาไทย")
    if sender is not None and sender and "@" not in sender:
        raise UsageError("sender", f"'{sender}' is not an email address", f"'{sender}' ไม่ใช่ที่อยู่อีเมล")
    with app.store.transaction() as tx:
        office_id = tx.add_office(code, name_th.strip(), (name_en or "").strip(), sender or None, app.now())
    app.log.info("office.added", added=code, office_id=office_id)
    office = app.for_office(code)
    registered = []
    if load_shipped:
        from definitions import shipped_texts

        registered = office.register_definitions(shipped_texts())
    return {"code": code, "id": office_id, "definitions": registered}


def office_names(app: Ruam) -> dict[str, tuple[str, str]]:
    """Every office's code -> its display names (Thai, English), in the offices' order."""
    with app.store.reading() as tx:
        rows = tx.office_rows()
    return {r["code"]: display_name(app, r) for r in rows}


def this_office(app: Ruam) -> dict[str, Any]:
    """The office ``app`` is opened for: its code and display names."""
    with app.store.reading() as tx:
        row = tx.this_office()
    if row is None:
        raise NotFound("office", app.office, "สำนักงาน")
    name_th, name_en = display_name(app, row)
    return {"code": row["code"], "name_th": name_th, "name_en": name_en, "default": row["code"] == DEFAULT}


def _row(app: Ruam, row: dict) -> dict[str, Any]:
    office = app.for_office(row["code"])
    with office.store.reading() as tx:
        seq, head = tx.head()
        processes = len(tx.processes())
        people = len(tx.people())
    name_th, name_en = display_name(app, row)
    return {"code": row["code"], "name_th": name_th, "name_en": name_en,
            "stored_name_th": row["name_th"], "stored_name_en": row["name_en"], "sender": row["sender"],
            "created_at": row["created_at"], "default": row["code"] == DEFAULT, "records": seq, "head_hash": head,
            "processes": processes, "people": people}


def list_offices(app: Ruam) -> list[dict[str, Any]]:
    with app.store.reading() as tx:
        rows = tx.office_rows()
    return [_row(app, r) for r in rows]


def sign_in_offices(app: Ruam) -> list[dict[str, Any]]:
    """Every office's code and display names, the default office first (what a sign-in page
    offers): nothing of their data."""
    with app.store.reading() as tx:
        rows = tx.office_rows()
    out = []
    for r in sorted(rows, key=lambda r: (r["id"] != 1, r["id"])):
        name_th, name_en = display_name(app, r)
        out.append({"code": r["code"], "name_th": name_th, "name_en": name_en or name_th, "default": r["id"] == 1})
    return out


def show_office(app: Ruam, code: str) -> dict[str, Any]:
    with app.store.reading() as tx:
        row = tx.office_row(code)
    if row is None:
        raise NotFound("office", code, "สำนักงาน")
    return _row(app, row)


def granted_offices(app: Ruam, person: str) -> list[dict]:
    """The offices (other than ``app``'s) that granted ``person`` of ``app``'s office a role, explicitly:
    each by a role assignment there naming ``person@CODE``."""
    with app.store.reading() as tx:
        return [o for o in tx.offices_granting(f"{person}@{app.office}") if o["code"] != app.office]


def overview(app: Ruam, person: str) -> list[dict[str, Any]]:
    """A cross-office viewer's overview: per office granted, its processes by state and its open
    (and overdue) calendar items, in one query over those offices."""
    offices = granted_offices(app, person)
    with app.store.reading() as tx:
        counts = tx.office_counts([o["id"] for o in offices])
    return [{"code": o["code"], **dict(zip(("name_th", "name_en"), display_name(app, o))), **counts[o["id"]]}
            for o in offices]


def office_apps(app: Ruam) -> list[Ruam]:
    """``app``'s database opened for each of its offices, in the offices' order."""
    with app.store.reading() as tx:
        codes = [r["code"] for r in tx.office_rows()]
    return [app.for_office(code) for code in codes]


def problem(exc: Exception) -> dict[str, str]:
    """An office's failure in both languages: a refusal's own words, else the error's type and text."""
    if isinstance(exc, RuamError):
        return {"th": exc.message("th")[:500], "en": exc.message("en")[:500]}
    text = f"{type(exc).__name__}: {exc}"[:500]
    return {"th": text, "en": text}


def _remember(office: Ruam, **values: Any) -> None:
    """The office's wake-up in its status row (``ruam status``); a database that cannot take it is logged."""
    try:
        with office.store.transaction() as tx:
            tx.put_office_status(**values)
    except Exception as exc:  # noqa: BLE001 - the wake-up's work is done (or failed) either way
        office.log.error("scheduler.office_status_write_failed", error=repr(exc))


def tick_every_office(app: Ruam, smtp=None, *, now=None, tick=None, deliver=None, seal=None) -> dict[str, Any]:
    """The scheduler's wake-up over every office (and ``ruam tick --all-offices``): each office's tick
    (under its own calendar lock, so its items open exactly once; at ``now`` when given) and its
    outbox. An office that fails (its definitions broken, say) is logged, kept in its status row
    (``last_error``: its problem in Thai and English, as JSON) and left for the next wake-up; the
    others go on; an office that went through has its row's error cleared. Returns, per office,
    its summary; the offices that failed with their error (``failed``) and their problem in both
    languages (``problems``). ``seal(office)``, when given, seals the office's tree when a seal is
    due (a day's, a quarter's end) and returns the seal or None."""
    if tick is None:
        from engine.calendar import tick
    if deliver is None:
        from engine.outbox import deliver

    done: dict[str, Any] = {}
    failed: dict[str, str] = {}
    problems: dict[str, dict[str, str]] = {}
    at = None
    for office in office_apps(app):
        try:
            result = tick(office) if now is None else tick(office, now)
            sent = deliver(office, smtp)
            sealed = seal(office) if seal is not None else None
        except Exception as exc:  # noqa: BLE001 - one office's trouble must not stop the others
            failed[office.office] = f"{type(exc).__name__}: {exc}"[:500]
            problems[office.office] = problem(exc)
            office.log.error("scheduler.office_failed", error=repr(exc))
            _remember(office, last_error=json.dumps(problems[office.office], ensure_ascii=False),
                      last_error_at=office.now())
            continue
        at = result.at
        done[office.office] = result.summary() | {"outbox": sent}
        if seal is not None:
            done[office.office]["sealed"] = sealed.checkpoint.size if sealed else None
        _remember(office, last_tick_at=result.at, last_error=None, last_error_at=None,
                  last_tick_summary=json.dumps(done[office.office], default=str))
    return {"at": at, "offices": done, "failed": failed, "problems": problems}


def wakeups(app: Ruam) -> list[dict[str, Any]]:
    """Every office's calendar and wake-ups, for ``ruam status``: per office its code, id, display
    names, its calendar's last tick, its last wake-up through every office and that wake-up's
    failure (``last_error``: Thai and English; None when it went through)."""
    with app.store.reading() as tx:
        rows, states = tx.office_rows(), tx.office_wakeups()
    out = []
    for r in rows:
        state = states.get(r["id"], {})
        name_th, name_en = display_name(app, r)
        error = state.get("last_error")
        if error:
            try:
                error = json.loads(error)
            except ValueError:
                error = {"th": error, "en": error}
        summary = state.get("last_wakeup_summary")
        out.append({"code": r["code"], "id": r["id"], "name_th": name_th, "name_en": name_en,
                    "default": r["code"] == DEFAULT, "last_tick_at": state.get("last_tick_at"),
                    "last_wakeup_at": state.get("last_wakeup_at"),
                    "last_wakeup_summary": json.loads(summary) if summary else None,
                    "last_error": error or None, "last_error_at": state.get("last_error_at") if error else None})
    return out
