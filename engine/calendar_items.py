"""Closing calendar items, and what is due: the commands behind ``ruam report
submit``, ``ruam checkpoint record`` and ``ruam calendar``, and the audit of
the calendar tables against the ledger.

Closing takes the tick's lock, checks the actor holds one of the item's
responsible roles for its subject *now*, marks the item done (late if after its
due day) and appends the record — one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from engine.app import Ruam
from engine.calendar import _process_of, _Writer
from engine.clock import database_now
from storage.store import Tx
from workflow.authority import acting_role
from workflow.calendar import schedule as wc
from workflow.calendar.fold import CalendarFold
from workflow.definitions import Calendar, CalendarItemSpec, Organization
from workflow.errors import EvidenceInvalid, NotAllowed, NotFound, Problem, Refused, UsageError
from workflow.fiscal import bangkok_date, fiscal_year_bounds, format_date_be, format_datetime_be, parse_date
from workflow.ledger import Record, format_instant

__all__ = ["calendar_view", "check_fiscal_year", "projection_findings", "record_checkpoint", "submit_report"]


# --------------------------------------------------------------------------- closing items

ROUND_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def check_fiscal_year(fiscal_year: int, field: str = "fiscal_year") -> int:
    """A Buddhist-Era fiscal year like 2570 (the range ``open_cycle`` accepts)."""
    if not 2500 <= fiscal_year <= 2700:
        raise UsageError(field, f"{fiscal_year} is not a Buddhist-Era fiscal year like 2570",
                         f"{fiscal_year} ไม่ใช่ปีงบประมาณ พ.ศ. เช่น 2570")
    return fiscal_year


def _acting(tx: Tx, org: Organization, spec: CalendarItemSpec, subject: str, actor: str, now: dt.datetime,
            what: str, item: str) -> str:
    scopes = wc.subject_scopes(org, spec.per, subject)
    role = acting_role(tx.assignments(person=actor), actor, spec.responsible_roles, scopes, now)
    if role is None:
        if tx.get_person(actor) is None:
            raise NotFound("person", actor, "บุคคล")
        raise NotAllowed(actor, what, item, spec.responsible_roles)
    return role


def _open_row(tx: Tx, app: Ruam, item_id: str, kind: str, now: dt.datetime) -> tuple[dict, Calendar]:
    row = tx.calendar_item(item_id, for_update=True)
    if row is None:
        raise NotFound("calendar item", item_id, "รายการในปฏิทิน")
    if row["kind"] != kind:
        raise UsageError("item", f"{item_id} is a {row['kind']}, not a {kind}",
                         f"{item_id} ไม่ใช่{'รายงาน' if kind == 'report' else 'การกำกับติดตาม'}")
    if row["status"] == wc.DONE:
        raise Refused(f"{item_id} was already done by {row['completed_by']}",
                      f"{item_id} ดำเนินการแล้วโดย {row['completed_by']}")
    if row["status"] == wc.NOT_APPLICABLE:
        raise Refused(f"{item_id} is not applicable this year (the calendar started after it was due)",
                      f"{item_id} ไม่อยู่ในรอบของปีนี้ (เริ่มใช้ปฏิทินหลังวันครบกำหนด)")
    _not_before_opening(row, now)
    cal = app.definition(row["calendar_version"], tx)
    return row, cal  # type: ignore[return-value]


def _not_before_opening(row: dict, now: dt.datetime) -> None:
    """A closing is judged by the clock that opened the item: never stamped before its opening record or its
    window. (Only a clock set back can get here: a tick ahead of the clock is refused, and a demonstration
    database's clock runs on from its last tick.)"""
    opened = max(row["recorded_at"], row["opens_at"])
    if now < opened:
        raise Refused(f"{row['id']} was opened at {format_datetime_be(opened)}, after this database's clock "
                      f"({format_datetime_be(now)}): it cannot be closed before then (check the server's clock)",
                      f"{row['id']} เปิดรอบเมื่อ {format_datetime_be(opened)} ซึ่งช้ากว่าเวลาปัจจุบันของฐานข้อมูล "
                      f"({format_datetime_be(now)}) จึงบันทึกก่อนเวลานั้นไม่ได้ (โปรดตรวจสอบนาฬิกาของเครื่อง)")


def _not_open_yet(item_id: str, fy: int, spec: CalendarItemSpec, round_id: str) -> Refused:
    rnd = next((r for r in spec.rounds if r.id == round_id), None)
    if rnd is None:
        return NotFound("calendar item", item_id, "รายการในปฏิทิน")
    opens = wc.day_in_fiscal_year(fy, rnd.opens)
    return Refused(f"{item_id} is not open yet: its window opens on {opens.isoformat()}",
                   f"{item_id} ยังไม่เปิดรอบ: เปิดวันที่ {format_date_be(opens)}")


def _complete(tx: Tx, w: _Writer, row: dict, kind: str, actor: str, role: str, evidence: dict,
              spec: CalendarItemSpec, now: dt.datetime) -> Record:
    late = now >= row["due_at"]
    rec = w.record(kind, {"item_id": row["id"], "late": late, "due_on": row["due_on"].isoformat(),
                          "evidence": evidence}, actor=actor, role=role, responsible=actor,
                   process=_process_of(tx, spec, row["fiscal_year"], row["subject"]))
    if not tx.update_calendar_item(row["id"], wc.OPEN, status=wc.DONE, completed_at=now, completed_by=actor,
                                   late=late, last_seq=rec.seq):
        raise Refused(f"{row['id']} was closed by someone else first", f"{row['id']} ถูกปิดโดยผู้อื่นก่อนแล้ว")
    return rec


def _text(value: Any, name: str, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise EvidenceInvalid(name, [Problem(name, "is required")])
        return None
    if not isinstance(value, str):
        raise EvidenceInvalid(name, [Problem(name, "must be text")])
    return value.strip()


def _files(tx: Tx, files: list | None) -> list[dict]:
    """Attachments named by content hash; each must be stored already (``Ruam.store_attachment``)."""
    out = []
    for i, f in enumerate(files or []):
        if not isinstance(f, dict) or not isinstance(f.get("sha256"), str) or not tx.has_attachment(f["sha256"]):
            raise EvidenceInvalid("files", [Problem(f"files[{i}]", "is not a stored attachment; upload it first")])
        out.append({"sha256": f["sha256"], "name": str(f.get("name", "")), "size": f.get("size")})
    return out


def submit_report(app: Ruam, fiscal_year: int, task: str, round_id: str, actor: str, summary: str,
                  document: str | None = None, item: str | None = None, files: list | None = None) -> Record:
    """The responsible officer submits a semiannual summary report (late if after its due day)."""
    check_fiscal_year(fiscal_year)
    round_id = round_id.strip().lower()
    if not ROUND_RE.match(round_id):
        raise UsageError("round", f"'{round_id}' is not a round like h1 or h2",
                         f"'{round_id}' ไม่ใช่รอบรายงาน (H1 = ๖ เดือน, H2 = ๑๒ เดือน)")
    with app.store.transaction() as tx:
        tx.lock_calendar()  # serialize with the tick: it may be marking this very item overdue
        now = database_now(app, tx)  # after the lock: never stamped before a tick that opened the item meanwhile
        defs = app.active(tx)
        cal = defs.calendar
        candidates = [i for i in (cal.items if cal else ()) if i.kind == "report" and i.per == "task"
                      and (item is None or i.id == item)]
        if not candidates:
            raise NotFound("report item", item or "(report per task)", "รายการรายงาน")
        spec = candidates[0]
        if defs.organization.task(task) is None:
            raise NotFound("task", task, "งาน")
        iid = wc.item_id(fiscal_year, spec.id, round_id, task)
        if tx.calendar_item(iid) is None:
            raise _not_open_yet(iid, fiscal_year, spec, round_id)
        row, row_cal = _open_row(tx, app, iid, "report", now)
        spec = row_cal.item(row["item"]) or spec
        role = _acting(tx, defs.organization, spec, task, actor, now, "submit report", iid)
        evidence = {"summary": _text(summary, "summary")}
        if document:
            evidence["document"] = _text(document, "document")
        if files:
            evidence["files"] = _files(tx, files)
        rec = _complete(tx, _Writer(tx, now), row, "calendar.report_submitted", actor, role, evidence, spec, now)
    app.log.info("calendar.report_submitted", item=iid, actor=actor, late=rec.data["late"], seq=rec.seq)
    return rec


def record_checkpoint(app: Ruam, item_id: str, actor: str, evidence: dict) -> Record:
    """Record a supervision checkpoint's findings and advice (per task of the group for a group one).

    ``FY/ITEM/extra`` records an extra round of an item that has a minimum
    count (the committee meets "at least twice"): it is created and closed at once.
    """
    parts = (item_id or "").split("/")
    if len(parts) not in (3, 4) or not parts[0].isdigit():
        raise UsageError("checkpoint", f"'{item_id}' is not a checkpoint id like 2570/director_supervision/r1/"
                         "mission_personnel (see 'ruam calendar')",
                         f"'{item_id}' ไม่ใช่รหัสการกำกับติดตาม (ดูรหัสได้จาก 'ruam calendar')")
    check_fiscal_year(int(parts[0]), "checkpoint")
    with app.store.transaction() as tx:
        tx.lock_calendar()  # serialize with the tick (see submit_report)
        now = database_now(app, tx)
        defs = app.active(tx)
        org = defs.organization
        if len(parts) == 3:
            return _extra_round(app, tx, defs.calendar, org, int(parts[0]), parts[1], parts[2], actor, evidence, now)
        row = tx.calendar_item(item_id)
        if row is None:
            spec = defs.calendar.item(parts[1]) if defs.calendar else None
            if spec is None:
                raise NotFound("calendar item", item_id, "รายการในปฏิทิน")
            raise _not_open_yet(item_id, int(parts[0]), spec, parts[2])
        row, cal = _open_row(tx, app, item_id, "checkpoint", now)
        spec = cal.item(row["item"])
        role = _acting(tx, org, spec, row["subject"], actor, now, "record checkpoint", item_id)
        clean = _checkpoint_evidence(org, spec, row["subject"], evidence, row["fiscal_year"], now)
        if evidence.get("files"):
            clean["files"] = _files(tx, evidence["files"])
        rec = _complete(tx, _Writer(tx, now), row, "calendar.checkpoint_recorded", actor, role, clean, spec, now)
    app.log.info("calendar.checkpoint_recorded", item=item_id, actor=actor, late=rec.data["late"], seq=rec.seq)
    return rec


def _checkpoint_evidence(org: Organization, spec: CalendarItemSpec, subject: str, evidence: dict,
                         fy: int, now: dt.datetime) -> dict:
    """A checkpoint's findings and advice (overall, and per task for a group's), and the day it was held:
    inside its fiscal year and not after today (Bangkok)."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for name in ("findings", "advice"):
        value = evidence.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(name, "is required (text)", problem_th="ต้องระบุ"))
        else:
            out[name] = value.strip()
    held_on = evidence.get("held_on")
    if held_on:
        try:
            day = parse_date(str(held_on))
        except ValueError as exc:
            problems.append(Problem("held_on", str(exc), problem_th=getattr(exc, "th", None)))
        else:
            first, last = fiscal_year_bounds(fy)
            today = bangkok_date(now)
            if day > today:
                problems.append(Problem("held_on", f"{format_date_be(day)} is in the future",
                                        problem_th=f"{format_date_be(day)} เป็นวันในอนาคต (วันนี้คือ "
                                                   f"{format_date_be(today)})"))
            elif not first <= day <= last:
                problems.append(Problem("held_on", f"{format_date_be(day)} is outside fiscal year {fy} BE",
                                        problem_th=f"{format_date_be(day)} ไม่อยู่ในปีงบประมาณ {fy} "
                                                   f"({format_date_be(first)} – {format_date_be(last)})"))
            else:
                out["held_on"] = day.isoformat()
    tasks = evidence.get("tasks") or []
    if not isinstance(tasks, list):
        problems.append(Problem("tasks", "must be a list of {task, findings, advice}",
                                problem_th="ต้องเป็นรายการของ งาน ข้อค้นพบ และข้อเสนอแนะ"))
        tasks = []
    if spec.per == "mission_group":
        group = org.mission_group(subject)
        expected = [t.id for t in group.tasks] if group else []
    else:
        expected = []
    known = {t.id for t in org.tasks}
    clean_tasks, seen = [], set()
    for i, t in enumerate(tasks):
        if not isinstance(t, dict) or t.get("task") not in known:
            unknown = t.get("task") if isinstance(t, dict) else t
            problems.append(Problem(f"tasks[{i}].task", f"unknown task '{unknown}'", problem_th=f"ไม่รู้จักงาน '{unknown}'"))
            continue
        if expected and t["task"] not in expected:
            problems.append(Problem(f"tasks[{i}].task", f"'{t['task']}' is not a task of {subject}",
                                    problem_th=f"{t['task']} ไม่ใช่งานของ {subject}"))
            continue
        entry = {"task": t["task"]}
        for name in ("findings", "advice"):
            value = t.get(name)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(f"tasks.{t['task']}.{name}", "is required (text)", problem_th="ต้องระบุ"))
            else:
                entry[name] = value.strip()
        seen.add(t["task"])
        clean_tasks.append(entry)
    for task in expected:
        if task not in seen:
            problems.append(Problem(f"tasks.{task}", "findings and advice are required for every task of the group",
                                    problem_th=f"ต้องระบุข้อค้นพบและข้อเสนอแนะของ {task} (ทุกงานในกลุ่ม)"))
    if problems:
        raise EvidenceInvalid("record checkpoint", problems)
    if clean_tasks:
        out["tasks"] = clean_tasks
    return out


def _extra_round(app: Ruam, tx: Tx, cal: Calendar | None, org: Organization, fy: int, item: str, word: str,
                 actor: str, evidence: dict, now: dt.datetime) -> Record:
    spec = cal.item(item) if cal else None
    if word != "extra" or spec is None or spec.kind != "checkpoint":
        raise UsageError("checkpoint", f"'{fy}/{item}/{word}': use FY/ITEM/extra for an extra round of a checkpoint",
                         f"'{fy}/{item}/{word}': ครั้งเพิ่มเติมของการกำกับติดตามใช้รูป ปี/รายการ/extra")
    if spec.minimum_count is None or spec.per != "office":
        raise Refused(f"{item} has a fixed number of rounds; extra rounds fit only an item with a minimum count",
                      f"{item} กำหนดจำนวนครั้งไว้แน่นอน เพิ่มครั้งได้เฉพาะรายการที่กำหนด 'อย่างน้อย'")
    if wc.fiscal_year_of(now) != fy:
        raise Refused(f"an extra round can be recorded only during its fiscal year ({fy})",
                      f"บันทึกครั้งเพิ่มเติมได้เฉพาะในปีงบประมาณ {fy}")
    subject = wc.OFFICE
    role = _acting(tx, org, spec, subject, actor, now, "record checkpoint", f"{fy}/{item}/extra")
    clean = _checkpoint_evidence(org, spec, subject, evidence, fy, now)
    if evidence.get("files"):
        clean["files"] = _files(tx, evidence["files"])
    n = tx.count_extra_rounds(fy, item) + 1
    round_id = f"extra{n}"
    iid = wc.item_id(fy, item, round_id, subject)
    w = _Writer(tx, now)
    rec = w.record("calendar.extra_round_recorded",
                   {"item_id": iid, "fiscal_year": fy, "item": item, "round": round_id, "subject": subject,
                    "kind": spec.kind, "calendar": cal.version, "organization": org.version, "evidence": clean},
                   actor=actor, role=role,
                   responsible=actor)
    day = now.astimezone(wc.BANGKOK).date()
    tx.insert_calendar_item(id=iid, fiscal_year=fy, item=item, round=round_id, subject=subject, kind=spec.kind,
                            per=spec.per, calendar_version=cal.version, opens_on=day, due_on=day,
                            opens_at=wc.day_start(day), due_at=wc.day_start(day + dt.timedelta(days=1)),
                            recorded_at=now, status=wc.DONE, responsible=[{"person": actor, "role": role}],
                            completed_at=now, completed_by=actor, late=False, last_seq=rec.seq)
    app.log.info("calendar.extra_round_recorded", item=iid, actor=actor, seq=rec.seq)
    return rec


# --------------------------------------------------------------------------- what is due

def calendar_view(app: Ruam, fiscal_year: int | None = None, overdue_only: bool = False,
                  lang: str = "th") -> dict:
    """Every item of a fiscal year: stored ones with their status and people, and
    scheduled ones not yet open (their people are named when they open)."""
    now = app.now()
    fy = check_fiscal_year(fiscal_year) if fiscal_year else wc.fiscal_year_of(now)
    with app.store.reading() as tx:
        defs = app.active(tx)
        rows = tx.calendar_items(fiscal_years=[fy])
        state = tx.calendar_state()
        names = {p["id"]: p["name"] for p in tx.people()}
        cals = {r["calendar_version"]: app.definition(r["calendar_version"], tx) for r in rows}
    org = defs.organization
    items = []
    stored = {r["id"] for r in rows}
    for r in rows:
        cal = cals[r["calendar_version"]]
        spec = cal.item(r["item"])
        rnd = next((x for x in spec.rounds if x.id == r["round"]), None) if spec else None
        status = wc.status_of(r, now)
        items.append({
            "id": r["id"], "fiscal_year": r["fiscal_year"], "item": r["item"], "kind": r["kind"],
            "round": r["round"], "subject": r["subject"], "per": r["per"],
            "responsible_roles": list(spec.responsible_roles) if spec else [],
            "title": spec.title.get(lang) if spec else r["item"],
            "round_title": rnd.title.get(lang) if rnd else r["round"],
            "subject_title": wc.subject_title(org, r["per"], r["subject"], lang),
            "opens_on": r["opens_on"], "due_on": r["due_on"], "status": status,
            "status_title": wc.status_title(status, lang),
            "responsible": [dict(x, name=names.get(x["person"], x["person"])) for x in r["responsible"]],
            "escalated_to": [dict(x, name=names.get(x["person"], x["person"])) for x in (r["escalated_to"] or [])],
            "completed_by": r["completed_by"], "completed_at": r["completed_at"], "late": r["late"],
        })
    if defs.calendar is not None:
        for occ in wc.occurrences(defs.calendar, org, fy):
            if occ.id in stored:
                continue
            started = state["started_at"] if state else None
            status = "not_applicable" if started and occ.overdue_at <= started else "scheduled"
            items.append({
                "id": occ.id, "fiscal_year": fy, "item": occ.item.id, "kind": occ.item.kind,
                "round": occ.round.id, "subject": occ.subject, "per": occ.item.per,
                "responsible_roles": list(occ.item.responsible_roles), "title": occ.item.title.get(lang),
                "round_title": occ.round.title.get(lang),
                "subject_title": wc.subject_title(org, occ.item.per, occ.subject, lang),
                "opens_on": occ.opens_on, "due_on": occ.due_on, "status": status,
                "status_title": wc.status_title(status, lang), "responsible": [], "escalated_to": [],
                "completed_by": None, "completed_at": None, "late": False,
            })
    items.sort(key=lambda i: (i["due_on"], i["item"], i["round"], i["subject"]))
    if overdue_only:
        items = [i for i in items if i["status"] == "overdue"]
    counts: dict[str, int] = {}
    for i in items:
        counts[i["status"]] = counts.get(i["status"], 0) + 1
    return {"fiscal_year": fy, "at": now, "items": items, "counts": counts}


# --------------------------------------------------------------------------- audit

_TH_KEYS = {"status": "สถานะ", "overdue": "เกินกำหนด", "late": "ล่าช้า", "completed_by": "ผู้ดำเนินการ"}


def _th_value(key: str, value) -> str:
    """A calendar item's field as a Thai reader reads it (a person stays an id, for ``Names.humanize``)."""
    if key == "status" and value in wc.STATUS_TITLES:
        return wc.status_title(value, "th")
    if isinstance(value, bool):
        return "ใช่" if value else "ไม่ใช่"
    return "-" if value is None else str(value)


def projection_findings(fold: CalendarFold, tx: Tx) -> list:
    """Differences between the calendar tables and the replayed ledger (invariant 3)."""
    from workflow.errors import Finding

    findings = []
    live = {r["id"]: r for r in tx.calendar_items()}
    for iid, want in fold.items.items():
        row = live.pop(iid, None)
        if row is None:
            findings.append(Finding("projection", None, f"calendar item {iid} is in the ledger but not in the table",
                                    message_th=f"รายการในปฏิทิน {iid} อยู่ในบันทึกแต่ไม่อยู่ในตารางปฏิทิน"))
            continue
        have = {"status": row["status"], "overdue": row["overdue_at"] is not None, "late": bool(row["late"]),
                "completed_by": row["completed_by"]}
        for key, value in have.items():
            if want[key] != value:
                findings.append(Finding("projection", row["last_seq"],
                                        f"calendar item {iid}: {key} is '{value}' in the table but "
                                        f"'{want[key]}' by the ledger",
                                        message_th=f"รายการในปฏิทิน {iid}: {_TH_KEYS[key]} ในตารางเป็น "
                                                   f"«{_th_value(key, value)}» แต่ตามบันทึกเป็น "
                                                   f"«{_th_value(key, want[key])}»"))
    for iid in live:
        findings.append(Finding("projection", None, f"calendar item {iid} is in the table but never in the ledger",
                                message_th=f"รายการในปฏิทิน {iid} อยู่ในตารางปฏิทินแต่ไม่เคยอยู่ในบันทึก"))
    state = tx.calendar_state()
    started = format_instant(state["started_at"]) if state else None
    if started != fold.started_at:
        findings.append(Finding("projection", None, f"the calendar started at {started} by the table but at "
                                                    f"{fold.started_at} by the ledger",
                                message_th=f"ตามตารางปฏิทินเริ่มใช้เมื่อ {started} แต่ตามบันทึกเริ่มใช้เมื่อ "
                                           f"{fold.started_at}"))
    stored = {(i, d) for i, days in tx.reminders().items() for d in days}
    if stored != fold.reminders:
        differ = len(stored ^ fold.reminders)
        findings.append(Finding("projection", None, f"{differ} reminder(s) differ between the table and the ledger",
                                message_th=f"การแจ้งเตือน {differ} รายการในตารางไม่ตรงกับบันทึก"))
    return findings
