"""What a person reads in place of an id: Thai titles (English with ``lang="en"``).

States, triggers, roles, scopes (units, mission groups, tasks), evidence fields
and their choices are named by the definitions; record kinds, calendar and
outbox statuses by the tables below; people by name and position. Evidence is
told as readable lines in the definition's field order, dates in BE. Every face
(the ``ruam`` command, the pages) names things through here, so an id never
reaches a person by accident; ids stay in ``--json`` and the API's fields.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from workflow.definitions import Calendar, FieldSpec, Organization, Procedure
from workflow.errors import RuamError
from workflow.fiscal import format_date_be, format_datetime_be, parse_date

KINDS: dict[str, tuple[str, str]] = {
    "process.opened": ("เปิดกระบวนการ", "process opened"),
    "process.transitioned": ("ดำเนินการขั้นตอน", "step"),
    "attachment.published": ("เผยแพร่หรือถอนไฟล์จากหน้าสาธารณะ", "file published or withdrawn"),
    "person.added": ("เพิ่มบุคคล", "person added"),
    "role.assigned": ("มอบหมายบทบาท", "role assigned"),
    "role.ended": ("สิ้นสุดการมอบหมายบทบาท", "role assignment ended"),
    "definition.registered": ("ลงทะเบียนนิยาม", "definition registered"),
    "definition.activated": ("เปิดใช้นิยาม", "definition activated"),
    "feedback.received": ("รับความคิดเห็น", "opinion received"),
    "calendar.started": ("เริ่มใช้ปฏิทิน", "calendar started"),
    "calendar.item_opened": ("เปิดรอบ", "round opened"),
    "calendar.item_not_applicable": ("ไม่อยู่ในรอบ", "not applicable"),
    "calendar.reminder_queued": ("แจ้งเตือน", "reminder"),
    "calendar.item_overdue": ("เกินกำหนด", "overdue"),
    "calendar.report_submitted": ("ส่งรายงาน", "report submitted"),
    "calendar.checkpoint_recorded": ("บันทึกผลการกำกับติดตาม", "checkpoint recorded"),
    "calendar.extra_round_recorded": ("บันทึกการกำกับติดตามครั้งเพิ่มเติม", "extra round recorded"),
    "audit.sealed": ("ประทับตราบันทึก (ลงนามจุดตรวจ)", "ledger sealed (checkpoint signed)"),
}

DEFINITION_KINDS = {"procedure": ("ขั้นตอนการดำเนินงาน", "procedure"),
                    "organization": ("โครงสร้างหน่วยงาน", "organization"),
                    "calendar": ("ปฏิทิน", "calendar"), "documents": ("ถ้อยคำเอกสาร", "document wording")}

OUTBOX_STATUSES = {"pending": ("รอส่ง", "pending"), "sending": ("กำลังส่ง", "sending"), "sent": ("ส่งแล้ว", "sent"),
                   "failed": ("ส่งไม่สำเร็จ", "failed"), "no_address": ("ไม่มีอีเมลผู้รับ", "no email address")}

ACTORS = {"system": ("ระบบ", "the system"), "public": ("ประชาชน (ไม่ระบุตัวตน)", "the public")}
OFFICE = ("ทั้งสำนักงาน", "the whole office")
ROUNDS = {"H1": ("รอบ ๖ เดือน", "6-month round"), "H2": ("รอบ ๑๒ เดือน", "12-month round")}

ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_ANY = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?\b")
_COMPOSITE = re.compile(r"\b\d{4}/[a-z][a-z0-9_]*(?:/[a-z0-9_]+/[a-z][a-z0-9_]*)?\b")
_WORD = re.compile(r"(?<![\w./-])[a-z][a-z0-9_]*(?![\w/-])")
_TYPED = re.compile(r"\((?:รหัส|id) [^()]*\)")


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "th" else pair[1]


def definition_kind(kind: str, lang: str) -> str:
    """A definition's kind in words (procedure → ขั้นตอนการดำเนินงาน …)."""
    return pick(DEFINITION_KINDS.get(kind, (kind, kind)), lang)


def outbox_status(status: str, lang: str) -> str:
    """A notification's status in words (needs no definitions: ``ruam status`` of a broken office)."""
    return pick(OUTBOX_STATUSES[status], lang) if status in OUTBOX_STATUSES else status


def calendar_status(status: str, lang: str) -> str:
    """A calendar item's status in words (the titles ``workflow.calendar.schedule`` gives)."""
    from workflow.calendar.schedule import STATUS_TITLES

    return pick(STATUS_TITLES.get(status, (status, status)), lang)


def office_name(app: Any, row: dict) -> tuple[str, str]:
    """An office's name as every face shows it (Thai, English): its stored names, except the default
    office's, which the migration that made offices (0007) named ``สำนักงานหลัก`` for want of better:
    it is the office name on the letterhead of its active organization when that has one (then no
    English name, so English readers read that Thai name), else the stored names.
    An office added by the operator keeps the names it was given."""
    stored = (row["name_th"], row["name_en"])
    if row["code"] != "default":
        return stored
    try:
        letterhead = app.for_office("default").active().organization.letterhead
    except RuamError:  # no definitions active (or not readable): the stored name
        return stored
    if letterhead is not None and letterhead.office_name:
        return letterhead.office_name, ""
    return stored


def shown_office(office: dict | tuple, th: bool) -> str:
    """The name a reader sees of an office: the English name in English when there is one, else the Thai."""
    name_th, name_en = (office["name_th"], office["name_en"]) if isinstance(office, dict) else office
    return name_th if th or not name_en else name_en


class Names:
    """Names of one office's definitions and people, in one language.

    ``procedures`` maps each procedure version a record may name to its
    definition (records made under an earlier version keep its titles).
    """

    def __init__(self, organization: Organization, procedure: Procedure, lang: str = "th", *,
                 calendar: Calendar | None = None, people: Iterable[dict] = (),
                 procedures: dict[str, Procedure] | None = None) -> None:
        self.org, self.procedure, self.calendar, self.lang = organization, procedure, calendar, lang
        self.people = {p["id"]: p for p in people}
        self.procedures = dict(procedures or {})
        self.procedures.setdefault(procedure.version, procedure)
        self.th = lang == "th"

    @classmethod
    def of(cls, app: Any, lang: str = "th", tx: Any = None) -> Names:
        """The names of the application's active definitions and its people."""
        active = app.active(tx)
        return cls(active.organization, active.procedure, lang, calendar=active.calendar,
                   people=app.people_to_name())

    def _t(self, title) -> str:
        return title.th if self.th else title.en

    def _proc(self, version: str | None) -> Procedure:
        return self.procedures.get(version or "", self.procedure)

    # ------------------------------------------------------------------ the definitions' ids
    def state(self, state_id: str | None, version: str | None = None) -> str:
        if not state_id:
            return "-"
        try:
            return self._t(self._proc(version).state(state_id).title)
        except (KeyError, StopIteration, AttributeError):
            return state_id

    def trigger(self, trigger: str | None, version: str | None = None) -> str:
        if not trigger:
            return "-"
        try:
            return self._t(self._proc(version).trigger_title(trigger))
        except StopIteration:
            return trigger

    def role(self, role_id: str | None) -> str:
        if not role_id:
            return "-"
        if role_id in ACTORS:
            return pick(ACTORS[role_id], self.lang)
        spec = self.org.role(role_id)
        return self._t(spec.title) if spec else role_id

    def scope(self, scope_id: str | None) -> str:
        if scope_id is None or scope_id == "office":
            return pick(OFFICE, self.lang)
        for found in (self.org.task(scope_id), self.org.mission_group(scope_id), self.org.unit(scope_id)):
            if found is not None:
                return self._t(found.title)
        return scope_id

    def task(self, task_id: str | None) -> str:
        return self.scope(task_id) if task_id else "-"

    def process(self, process_id: str | None) -> str:
        """``2570/task_x`` → the task's title and its fiscal year."""
        if not process_id:
            return "-"
        year, _, task = process_id.partition("/")
        if not task:
            return process_id
        return (f"{self.task(task)} ปีงบประมาณ {year}" if self.th else f"{self.task(task)}, FY {year} BE")

    def kind(self, kind: str) -> str:
        return pick(KINDS[kind], self.lang) if kind in KINDS else kind

    def definition_kind(self, kind: str) -> str:
        return definition_kind(kind, self.lang)

    def outbox_status(self, status: str) -> str:
        return outbox_status(status, self.lang)

    def round(self, round_id: str | None) -> str:
        if not round_id:
            return "-"
        if self.calendar is not None:
            for item in self.calendar.items:
                for r in item.rounds:
                    if r.id == round_id:
                        return self._t(r.title)
        return pick(ROUNDS[round_id], self.lang) if round_id in ROUNDS else round_id

    def calendar_item(self, item: str | None) -> str:
        if self.calendar is not None and item:
            spec = self.calendar.item(item)
            if spec is not None:
                return self._t(spec.title)
        return item or "-"

    def item_id(self, iid: str | None) -> str:
        """A calendar item's id ``FY/ITEM/ROUND/SUBJECT`` told as its item, round, subject and year."""
        if not iid:
            return "-"
        parts = iid.split("/")
        if len(parts) != 4:
            return iid
        fy, item, round_id, subject = parts
        year = f"ปีงบประมาณ {fy}" if self.th else f"FY {fy} BE"
        rnd = ("ครั้งเพิ่มเติม" if self.th else "extra round") if round_id == "extra" else self.round(round_id)
        return f"{self.calendar_item(item)} {rnd} — {self.scope(subject)} {year}"

    # ------------------------------------------------------------------ people
    def person(self, person_id: str | None) -> str:
        """A person as people name them: "name (position)"; the system and the public by a word."""
        if not person_id:
            return "-"
        if person_id in ACTORS:
            return pick(ACTORS[person_id], self.lang)
        p = self.people.get(person_id)
        if p is None:
            return person_id
        return f"{p['name']} ({p['position']})" if p.get("position") else p["name"]

    def persons(self, ids: Iterable[str]) -> str:
        names = [self.person(i) for i in ids]
        return ", ".join(names) if names else "-"

    # ------------------------------------------------------------------ free text
    def humanize(self, text: str) -> str:
        """A message written with ids (a refusal, an audit finding) told with titles and names:
        every process and calendar-item id, person, role, scope, state and trigger id, ISO instant
        and ISO date in it is replaced; what stands inside ``(รหัส …)`` is left for typing."""
        kept: list[str] = []

        def keep(m: re.Match) -> str:
            kept.append(m.group(0))
            return f"\x00{len(kept) - 1}\x00"

        text = _TYPED.sub(keep, text)
        text = _ISO_ANY.sub(lambda m: self.when(m.group(0)) if "T" in m.group(0) else self.day(m.group(0)), text)
        text = _COMPOSITE.sub(lambda m: self.item_id(m.group(0)) if m.group(0).count("/") == 3
                              else self.process(m.group(0)) if self.org.task(m.group(0).split("/")[1])
                              else m.group(0), text)
        text = _WORD.sub(lambda m: self._word(m.group(0)), text)
        return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)

    def _word(self, word: str) -> str:
        if word in self.people:
            return self.person(word)
        if self.org.role(word) is not None:
            return self.role(word)
        if self.org.task(word) or self.org.mission_group(word) or self.org.unit(word):
            return self.scope(word)
        if any(st.id == word for st in self.procedure.states):
            return self.state(word)
        if word in self.procedure.triggers():
            return self.trigger(word)
        return word

    # ------------------------------------------------------------------ values and evidence
    def when(self, value: Any) -> str:
        """An instant (datetime or ISO text) as BE, Bangkok time."""
        if value is None or value == "":
            return "-"
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
        return format_datetime_be(value)

    def day(self, value: Any) -> str:
        if value is None or value == "":
            return "-"
        if isinstance(value, dt.datetime):
            return format_datetime_be(value)
        try:
            return format_date_be(value if isinstance(value, dt.date) else parse_date(str(value)))
        except ValueError:
            return str(value)

    def fields_of(self, trigger: str | None, version: str | None = None) -> tuple[FieldSpec, ...]:
        proc = self._proc(version)
        spec = next((t for t in proc.transitions if t.trigger == trigger), None)
        return spec.evidence if spec else ()

    def value(self, spec: FieldSpec | None, value: Any) -> str:
        if value is None or value == "":
            return "-"
        if spec is not None and spec.id in ("task", "person") and isinstance(value, str):
            return self.task(value) if spec.id == "task" else self.person(value)
        kind = spec.type if spec else None
        if isinstance(value, bool) or kind == "boolean":
            return ("ใช่" if self.th else "yes") if value else ("ไม่ใช่" if self.th else "no")
        if kind == "date":
            return self.day(value)
        if kind == "choice" and spec is not None:
            title = spec.option_titles.get(value) if spec.option_titles else None
            return self._t(title) if title is not None and hasattr(title, "th") else str(title or value)
        if isinstance(value, dict) and "file" in value:
            f = value["file"] if isinstance(value["file"], dict) else {}
            return str(f.get("name") or value.get("name") or ("ไฟล์แนบ" if self.th else "attachment"))
        if isinstance(value, str) and ISO_INSTANT.match(value):
            return self.when(value)
        if isinstance(value, int) and self.th:
            return str(value)
        return str(value)

    def ordered(self, evidence: Any, fields: tuple[FieldSpec, ...] = ()) -> Any:
        """Evidence as stored (its keys sorted, the canonical form) in the definition's field order,
        lists' items too; keys the definition does not name come last."""
        if isinstance(evidence, list):
            return [self.ordered(item, fields) for item in evidence]
        if not isinstance(evidence, dict) or not fields or "sha256" in evidence:
            return evidence
        known = {f.id: f for f in fields}
        keys = [f.id for f in fields if f.id in evidence] + [k for k in evidence if k not in known]
        return {k: self.ordered(evidence[k], known[k].fields if k in known else ()) for k in keys}

    def evidence(self, evidence: dict | None, fields: tuple[FieldSpec, ...] = (), indent: str = "") -> list[str]:
        """Evidence as lines, in the definition's field order, each under its title; lists numbered."""
        if not evidence:
            return []
        lines: list[str] = []
        known = {f.id: f for f in fields}
        order = [f.id for f in fields if f.id in evidence] + sorted(k for k in evidence if k not in known)
        for key in order:
            spec, value = known.get(key), evidence[key]
            title = self._t(spec.title) if spec else key
            if isinstance(value, list):
                lines.append(f"{indent}{title}:")
                for n, item in enumerate(value, 1):
                    if isinstance(item, dict) and not ("file" in item and len(item) == 1):
                        sub = self.evidence(item, spec.fields if spec else (), indent + "     ")
                        first = sub[0].strip() if sub else "-"
                        lines.append(f"{indent}  {n}. {first}")
                        lines.extend(sub[1:])
                    else:
                        lines.append(f"{indent}  {n}. {self.value(spec.fields[0] if spec and spec.fields else spec, item)}")
            elif isinstance(value, dict) and "file" not in value:
                lines.append(f"{indent}{title}:")
                lines.extend(self.evidence(value, spec.fields if spec else (), indent + "  "))
            else:
                lines.append(f"{indent}{title}: {self.value(spec, value)}")
        return lines


def _path_titles(names: Names, fields, path: str) -> str:
    """``proposed_appointees[0].kind`` → the fields' titles: "รายชื่อ… ลำดับที่ 1 › ประเภท"."""
    out, specs = [], fields
    for part in path.split("."):
        name, _, index = part.partition("[")
        spec = next((f for f in specs if f.id == name), None)
        if spec is None:
            out.append(name)
            continue
        title = spec.title.th if names.th else spec.title.en
        if index:
            n = int(index.rstrip("]")) + 1 if index.rstrip("]").isdigit() else index.rstrip("]")
            title += f" {'ลำดับที่' if names.th else 'item'} {n}"
        out.append(title)
        specs = spec.fields
    return " › ".join(out)


def explain(exc: Exception, names: Names) -> str:
    """A refusal told with the titles of what it names (its own message, which carries ids, otherwise)."""
    from workflow.errors import Conflict, EvidenceInvalid, InvalidTransition, NotAllowed, NotFound, RuamError

    th, lang = names.th, names.lang
    if isinstance(exc, EvidenceInvalid):
        fields = names.fields_of(exc.trigger)
        lines = "; ".join(f"{_path_titles(names, fields, p.field)}: {p.text(lang)}" for p in exc.problems)
        return (f"หลักฐานของ «{names.trigger(exc.trigger)}» ไม่ถูกต้อง: {lines}" if th else
                f"the evidence for «{names.trigger(exc.trigger)}» is not acceptable: {lines}")
    if isinstance(exc, InvalidTransition):
        possible = ", ".join(names.trigger(t) for t in exc.possible) or "-"
        known = exc.trigger in names.procedure.triggers()
        what = names.trigger(exc.trigger) if known else f"'{exc.trigger}'"
        return (f"ทำ «{what}» ไม่ได้ใน{names.process(exc.process)} ซึ่งอยู่ในขั้น «{names.state(exc.state)}»; "
                f"ทำได้ตอนนี้: {possible}" if th else
                f"«{what}» cannot be done on {names.process(exc.process)} in «{names.state(exc.state)}»; "
                f"possible now: {possible}")
    if isinstance(exc, NotAllowed):
        roles = ", ".join(names.role(r) for r in exc.allowed)
        if exc.trigger == "administer":
            return (f"{names.person(exc.actor)} ไม่มีสิทธิ์จัดการระบบ: ต้องมีบทบาท{roles}ที่มีผลอยู่ในขณะนี้" if th else
                    f"{names.person(exc.actor)} may not administer Ruam: it needs the role {roles}, valid now")
        return (f"{names.person(exc.actor)} ไม่มีสิทธิ์ «{names.trigger(exc.trigger)}» ใน{names.process(exc.process)}: "
                f"ต้องมีบทบาท {roles} ของกลุ่มงานนี้ที่มีผลอยู่ในขณะนี้" if th else
                f"{names.person(exc.actor)} may not «{names.trigger(exc.trigger)}» on {names.process(exc.process)}: "
                f"it needs one of the roles {roles} for this task's group, valid now")
    if isinstance(exc, Conflict):
        return (f"{names.process(exc.process)} ถูกแก้ไขโดยผู้อื่นแล้ว (คาดว่ารุ่น {exc.expected} แต่พบรุ่น {exc.found}) "
                "โปรดโหลดใหม่แล้วลองอีกครั้ง" if th else
                f"{names.process(exc.process)} was changed by someone else (expected version {exc.expected}, "
                f"found {exc.found}); reload it and try again")
    if isinstance(exc, NotFound) and exc.kind == "process" and names.org.task(exc.key.partition("/")[2]):
        return f"ไม่พบ{names.process(exc.key)} (รหัส {exc.key})" if th else f"no {names.process(exc.key)} (id {exc.key})"
    if isinstance(exc, NotFound):
        return names.humanize(exc.message(lang).replace(f"'{exc.key}'", f"(รหัส {exc.key})" if th else f"(id {exc.key})"))
    return names.humanize(exc.message(lang) if isinstance(exc, RuamError) else str(exc))


FIELD_TYPES = {"text": ("ข้อความ", "text"), "date": ("วันที่", "date"), "doc_number": ("เลขที่หนังสือ", "document number"),
               "choice": ("ตัวเลือก", "choice"), "boolean": ("ใช่/ไม่ใช่", "yes/no"),
               "integer": ("จำนวนเต็ม", "whole number"), "list": ("รายการ", "list"),
               "attachment": ("ไฟล์แนบ", "attachment")}


__all__ = ["FIELD_TYPES", "KINDS", "OUTBOX_STATUSES", "Names", "calendar_status", "definition_kind", "explain",
           "office_name", "outbox_status", "pick"]
