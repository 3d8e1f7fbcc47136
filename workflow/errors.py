"""One error hierarchy for Ruam. Every refusal a user can meet is one of these.

::

    RuamError                       exit 1 / HTTP 4xx, message in Thai and English
    ├── DefinitionError             a definition file is invalid (lists every problem)
    ├── NotFound                    unknown process, person, trigger, item …
    ├── Refused                     the command is understood but not allowed now
    │   ├── NotAllowed              the actor holds no allowed role for this task now
    │   ├── InvalidTransition       the trigger cannot fire from the current state
    │   ├── EvidenceInvalid         evidence missing or malformed (names each field)
    │   ├── GuardFailed             evidence well-formed but a check fails
    │   └── Conflict                someone else changed the process first
    ├── IntegrityError              the ledger or a projection does not verify
    └── StorageError                the database refused or is unreachable

Each error carries its ids as attributes and builds its messages from them.
The CLI and the web map each class to one exit code / HTTP status.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class RuamError(Exception):
    """Base of every error a user may see."""

    http_status = 400
    code = "error"

    def __init__(self, message_en: str, message_th: str | None = None) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_th = message_th or message_en

    def message(self, lang: str = "th") -> str:
        return self.message_th if lang == "th" else self.message_en

    def details(self) -> dict:
        return {}


@dataclass(frozen=True)
class Problem:
    """One problem in a definition file or in submitted evidence."""

    field: str
    problem: str
    file: str | None = None
    line: int | None = None
    problem_th: str | None = None  # the same problem in Thai (what a Thai reader is shown)

    def text(self, lang: str = "th") -> str:
        """The problem alone, in ``lang`` (Thai where it has been worded so)."""
        return (self.problem_th or self.problem) if lang == "th" else self.problem

    def located(self, lang: str = "en") -> str:
        """``file:line: field: problem``, as a definition's problems are listed."""
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"{where}{self.field}: {self.text(lang)}"

    def __str__(self) -> str:
        return self.located("en")


class DefinitionError(RuamError):
    code = "definition_invalid"
    http_status = 422

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "; ".join(p.located("en") for p in self.problems)
        lines_th = "; ".join(p.located("th") for p in self.problems)
        super().__init__(
            f"invalid definition ({len(self.problems)} problem(s)): {lines}",
            f"นิยามไม่ถูกต้อง ({len(self.problems)} ข้อ): {lines_th}",
        )

    def details(self) -> dict:
        return {"problems": [{k: v for k, v in p.__dict__.items() if k != "problem_th" or v} for p in self.problems]}


class NotFound(RuamError):
    code = "not_found"
    http_status = 404

    def __init__(self, kind: str, key: str, kind_th: str | None = None) -> None:
        self.kind, self.key = kind, key
        super().__init__(f"no {kind} '{key}'", f"ไม่พบ{kind_th or kind} '{key}'")


class UsageError(RuamError):
    """An argument is malformed (exit 2 in the CLI)."""

    code = "usage"
    http_status = 422

    def __init__(self, field_name: str, problem: str, problem_th: str | None = None) -> None:
        self.field, self.problem, self.problem_th = field_name, problem, problem_th or problem
        super().__init__(f"{field_name}: {problem}", f"{problem_th or problem} ({field_name})")


class Refused(RuamError):
    code = "refused"
    http_status = 409


class NotAllowed(Refused):
    code = "not_allowed"
    http_status = 403

    def __init__(self, actor: str, trigger: str, process: str, allowed: tuple[str, ...]) -> None:
        self.actor, self.trigger, self.process, self.allowed = actor, trigger, process, allowed
        roles = ", ".join(allowed)
        super().__init__(
            f"{actor} may not '{trigger}' on {process}: it needs one of the roles "
            f"[{roles}] for this task's group, valid now",
            f"{actor} ไม่มีสิทธิ์ '{trigger}' ใน {process}: ต้องมีบทบาท [{roles}] "
            f"ของกลุ่มงานนี้ที่มีผลอยู่ในขณะนี้",
        )


class InvalidTransition(Refused):
    code = "invalid_transition"

    def __init__(self, process: str, state: str, trigger: str, possible: list[str]) -> None:
        self.process, self.state, self.trigger, self.possible = process, state, trigger, possible
        opts = ", ".join(possible) or "none"
        super().__init__(
            f"'{trigger}' cannot be done on {process} in state '{state}'; possible now: {opts}",
            f"ทำ '{trigger}' ไม่ได้ใน {process} ซึ่งอยู่ในขั้น '{state}'; ทำได้ตอนนี้: {opts}",
        )


class EvidenceInvalid(Refused):
    code = "evidence_invalid"
    http_status = 422

    def __init__(self, trigger: str, problems: list[Problem]) -> None:
        self.trigger, self.problems = trigger, list(problems)
        lines = "; ".join(f"{p.field}: {p.problem}" for p in self.problems)
        lines_th = "; ".join(f"{p.field}: {p.text('th')}" for p in self.problems)
        super().__init__(
            f"evidence for '{trigger}' is not acceptable: {lines}",
            f"หลักฐานของ '{trigger}' ไม่ถูกต้อง: {lines_th}",
        )

    def details(self) -> dict:
        return {"problems": [{"field": p.field, "problem": p.problem, "problem_th": p.text("th")}
                             for p in self.problems]}


class GuardFailed(EvidenceInvalid):
    code = "guard_failed"


class Conflict(Refused):
    code = "conflict"
    http_status = 409

    def __init__(self, process: str, expected: int | None, found: int | None) -> None:
        self.process, self.expected, self.found = process, expected, found
        super().__init__(
            f"{process} was changed by someone else (expected version {expected}, "
            f"found {found}); reload it and try again",
            f"{process} ถูกแก้ไขโดยผู้อื่นแล้ว (คาดว่ารุ่น {expected} แต่พบรุ่น {found}) "
            f"โปรดโหลดใหม่แล้วลองอีกครั้ง",
        )


class Duplicate(Refused):
    code = "duplicate"
    http_status = 409

    def __init__(self, what: str, key: str) -> None:
        self.what, self.key = what, key
        super().__init__(f"{what} '{key}' already exists", f"มี{what} '{key}' อยู่แล้ว")


@dataclass(frozen=True)
class Finding:
    """One audit finding, located by ledger sequence number."""

    kind: str          # chain | legality | authority | projection | definition | calendar
    seq: int | None
    message: str       # English
    data: dict = field(default_factory=dict)
    message_th: str = ""  # Thai, where the finding's author gave it

    def text(self, lang: str = "th") -> str:
        return self.message_th if lang == "th" and self.message_th else self.message


class IntegrityError(RuamError):
    code = "integrity"
    http_status = 409

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = list(findings)
        first = self.findings[0] if self.findings else None
        where = f"record {first.seq}: " if first and first.seq is not None else ""
        text = f"{where}{first.message}" if first else "integrity check failed"
        super().__init__(f"ledger does not verify: {text}", f"บันทึกไม่ผ่านการตรวจสอบ: {text}")


class StorageError(RuamError):
    code = "storage"
    http_status = 503
