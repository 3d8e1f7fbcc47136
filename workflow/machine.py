"""The `transitions` machine of a procedure: one per procedure version.

The machine is built once (``machine_for``) with no models attached; a step is
fired on a throw-away model carrying the state read from the database, so
thousands of processes never build thousands of machines. The machine decides
legality and runs the guards; it only *collects* the step — the engine appends
it to the ledger in one transaction with the new state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from transitions import Machine, MachineError

from workflow.definitions import Procedure, TransitionSpec
from workflow.errors import GuardFailed, InvalidTransition
from workflow.evidence import validate_evidence
from workflow.guards import GuardContext, run_guards


@dataclass(frozen=True)
class Step:
    """A transition the machine accepted, waiting to be recorded."""

    trigger: str
    kind: str
    source: str
    dest: str
    evidence: dict


class _Model:
    __slots__ = ("state", "step")

    def __init__(self, state: str) -> None:
        self.state = state
        self.step: Step | None = None


class ProcedureMachine:
    def __init__(self, procedure: Procedure) -> None:
        self.procedure = procedure
        transitions = []
        for spec in procedure.transitions:
            for source in spec.sources:
                transitions.append({
                    "trigger": spec.trigger, "source": source, "dest": spec.dest,
                    "conditions": [self._guard(spec)], "after": [self._collect(spec)],
                })
        self._machine = Machine(
            model=None, states=[s.id for s in procedure.states], transitions=transitions,
            initial=procedure.initial, auto_transitions=False, send_event=True,
        )

    @staticmethod
    def _guard(spec: TransitionSpec):
        def check(event: Any) -> bool:
            problems = run_guards(spec.guards, event.kwargs["evidence"], event.kwargs["ctx"])
            if problems:
                raise GuardFailed(spec.trigger, problems)
            return True
        return check

    @staticmethod
    def _collect(spec: TransitionSpec):
        def collect(event: Any) -> None:
            event.model.step = Step(spec.trigger, spec.kind, event.transition.source,
                                    event.transition.dest, event.kwargs["evidence"])
        return collect

    def available(self, state: str) -> list[TransitionSpec]:
        return self.procedure.transitions_from(state)

    def fire(self, process: str, state: str, trigger: str, raw_evidence: Any,
             ctx: GuardContext) -> Step:
        """Validate evidence, check legality and guards; return the step or raise."""
        spec = self.procedure.transition(trigger, state)
        if spec is None or trigger not in self._machine.events:
            possible = sorted({t.trigger for t in self.available(state)})
            raise InvalidTransition(process, state, trigger, possible)
        evidence = validate_evidence(trigger, spec.evidence, raw_evidence)
        model = _Model(state)
        try:
            self._machine.events[trigger].trigger(model, evidence=evidence, ctx=ctx)
        except MachineError:
            raise InvalidTransition(process, state, trigger,
                                    sorted({t.trigger for t in self.available(state)})) from None
        assert model.step is not None
        return model.step

    def is_legal(self, state: str, trigger: str, dest: str) -> bool:
        spec = self.procedure.transition(trigger, state)
        return spec is not None and spec.dest == dest


_machines: dict[str, ProcedureMachine] = {}
_lock = threading.Lock()


def machine_for(procedure: Procedure) -> ProcedureMachine:
    """The one machine of this procedure version (built on first use)."""
    machine = _machines.get(procedure.version)
    if machine is None:
        with _lock:
            machine = _machines.get(procedure.version)
            if machine is None:
                machine = _machines[procedure.version] = ProcedureMachine(procedure)
    return machine
