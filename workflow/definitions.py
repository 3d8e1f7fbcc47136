"""Typed definitions — procedure, organization, calendar: frozen, each with the
``version`` that is the sha256 of its canonical content.

``workflow.reader`` builds them from YAML text (``load_definition``) or from
stored content (``from_content``) and validates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class Title:
    th: str
    en: str

    def get(self, lang: str = "th") -> str:
        return self.th if lang == "th" else self.en


@dataclass(frozen=True)
class FieldSpec:
    id: str
    type: str
    title: Title
    required: bool = False
    options: tuple[str, ...] = ()
    option_titles: dict = field(default_factory=dict, compare=False, hash=False)
    fields: tuple[FieldSpec, ...] = ()
    min_items: int = 0
    help: Title | None = None


@dataclass(frozen=True)
class GuardSpec:
    check: str
    params: dict
    message: Title | None = None


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: tuple[str, ...]
    title: Title
    evidence: tuple[FieldSpec, ...] = ()
    guards: tuple[GuardSpec, ...] = ()
    kind: str = "advance"  # advance | send_back | cancel


@dataclass(frozen=True)
class StateSpec:
    id: str
    title: Title
    final: bool = False
    seed: str = ""


@dataclass(frozen=True)
class LegalBasis:
    id: str
    title: Title


@dataclass(frozen=True)
class Procedure:
    id: str
    title: Title
    initial: str
    states: tuple[StateSpec, ...]
    transitions: tuple[TransitionSpec, ...]
    legal_basis: tuple[LegalBasis, ...]
    version: str
    content: dict = field(compare=False, hash=False, repr=False)

    kind = "procedure"

    def state(self, state_id: str) -> StateSpec:
        return next(s for s in self.states if s.id == state_id)

    @cached_property
    def _by_source(self) -> dict[str, list[TransitionSpec]]:
        index: dict[str, list[TransitionSpec]] = {}
        for t in self.transitions:
            for source in t.sources:
                index.setdefault(source, []).append(t)
        return index

    @cached_property
    def _by_trigger_source(self) -> dict[tuple[str, str], TransitionSpec]:
        return {(t.trigger, s): t for s, ts in self._by_source.items() for t in reversed(ts)}

    @cached_property
    def _triggers(self) -> frozenset[str]:
        return frozenset(t.trigger for t in self.transitions)

    def transitions_from(self, state: str) -> list[TransitionSpec]:
        return list(self._by_source.get(state, ()))

    def transition(self, trigger: str, state: str) -> TransitionSpec | None:
        return self._by_trigger_source.get((trigger, state))

    def triggers(self) -> frozenset[str]:
        return self._triggers

    def trigger_title(self, trigger: str) -> Title:
        return next(t.title for t in self.transitions if t.trigger == trigger)


@dataclass(frozen=True)
class RoleSpec:
    id: str
    title: Title
    scope: str  # office | unit | task


@dataclass(frozen=True)
class UnitSpec:
    id: str
    title: Title


@dataclass(frozen=True)
class TaskSpec:
    id: str
    title: Title
    mission_group: str
    seed: str = ""


@dataclass(frozen=True)
class MissionGroupSpec:
    id: str
    title: Title
    units: tuple[str, ...]
    tasks: tuple[TaskSpec, ...]
    seed: str = ""


@dataclass(frozen=True)
class Signer:
    """A person who signs the office's documents: their name and position as printed."""

    id: str
    name: str
    position: str


@dataclass(frozen=True)
class Letterhead:
    """What the office's documents print about the office (ระเบียบงานสารบรรณ): its name,
    address, letter code (ศธ ๐๔xxx), contacts, signers and who signs which document kind;
    the Garuda image is the office's own file (path and sha256), never shipped."""

    office_name: str
    address: str
    letter_code: str
    telephone: str
    email: str
    contact_unit: str
    signers: tuple[Signer, ...]
    signs: dict = field(default_factory=dict, compare=False, hash=False)  # document kind -> signer id
    garuda_path: str = ""
    garuda_sha256: str = ""

    def signer(self, signer_id: str) -> Signer | None:
        return next((s for s in self.signers if s.id == signer_id), None)

    def signer_of(self, kind: str) -> Signer | None:
        """Who signs a document kind: the one named in ``signs``, else the first signer."""
        return self.signer(self.signs.get(kind, "")) or (self.signers[0] if self.signers else None)


@dataclass(frozen=True)
class Organization:
    id: str
    title: Title
    roles: tuple[RoleSpec, ...]
    units: tuple[UnitSpec, ...]
    mission_groups: tuple[MissionGroupSpec, ...]
    version: str
    content: dict = field(compare=False, hash=False, repr=False)
    letterhead: Letterhead | None = None

    kind = "organization"

    @cached_property
    def tasks(self) -> tuple[TaskSpec, ...]:
        return tuple(t for g in self.mission_groups for t in g.tasks)

    @cached_property
    def _task_index(self) -> dict[str, TaskSpec]:
        return {t.id: t for t in self.tasks}

    def task(self, task_id: str) -> TaskSpec | None:
        return self._task_index.get(task_id)

    @cached_property
    def _group_index(self) -> dict[str, MissionGroupSpec]:
        return {g.id: g for g in self.mission_groups}

    def mission_group(self, group_id: str) -> MissionGroupSpec | None:
        return self._group_index.get(group_id)

    def role(self, role_id: str) -> RoleSpec | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def unit(self, unit_id: str) -> UnitSpec | None:
        return next((u for u in self.units if u.id == unit_id), None)

    def scopes_covering(self, task_id: str) -> set[str | None]:
        """Assignment scopes that include a task: the office (None), the task,
        its mission group, and each unit leading that mission group."""
        found = self._scopes.get(task_id)
        if found is None:
            task = self.task(task_id)
            if task is None:
                return {None}
            group = self.mission_group(task.mission_group)
            found = self._scopes[task_id] = frozenset(
                {None, task_id, task.mission_group, *(group.units if group else ())})
        return set(found)

    @cached_property
    def _scopes(self) -> dict[str, frozenset[str | None]]:
        return {}

    def scope_ids(self) -> set[str]:
        return {t.id for t in self.tasks} | {g.id for g in self.mission_groups} | {
            u.id for u in self.units
        }


@dataclass(frozen=True)
class MonthDay:
    month: int
    day: int


@dataclass(frozen=True)
class RoundSpec:
    id: str
    title: Title
    opens: MonthDay
    due: MonthDay


@dataclass(frozen=True)
class CalendarItemSpec:
    id: str
    kind: str  # report | checkpoint
    title: Title
    per: str  # task | mission_group | office
    responsible_roles: tuple[str, ...]
    rounds: tuple[RoundSpec, ...]
    reminder_days: tuple[int, ...]
    escalate_to: tuple[str, ...]
    required_count: int | None = None
    minimum_count: int | None = None
    seed: str = ""


@dataclass(frozen=True)
class Calendar:
    id: str
    title: Title
    timezone: str
    cycle_opens: MonthDay
    items: tuple[CalendarItemSpec, ...]
    version: str
    content: dict = field(compare=False, hash=False, repr=False)

    kind = "calendar"

    def item(self, item_id: str) -> CalendarItemSpec | None:
        return next((i for i in self.items if i.id == item_id), None)


Definition = Procedure | Organization | Calendar
