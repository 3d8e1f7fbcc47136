"""The fold's state at a tree size, as bytes a seal commits to (its sha256 in the
``audit.sealed`` record, which is in the tree), so ``audit verify --since`` can
start from it and fold only the records after.

The bytes are a pickle of the fold's state (processes, assignments, people,
definitions registered and active, document numbers, counters, the last record,
each extension's state) without its caches and callables. They are read back
only after their sha256 matched a sealed record, and then by an unpickler that
builds nothing but Ruam's own domain types, containers and datetimes (a pickle
naming anything else is refused), so even a hostile snapshot cannot run code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
import zlib
from collections.abc import Callable, Sequence

from workflow.definitions import Definition
from workflow.errors import Finding
from workflow.replay import Fold, FoldExtension, ProcessState

# caches rebuilt on demand, callables, and what belongs to one audit run
_SKIP = frozenset({"definition", "findings", "until", "_until_text", "_handlers", "_scopes", "_specs",
                   "_final_states", "_strings", "extensions"})
_BUILTINS = frozenset({"set", "frozenset", "list", "dict", "tuple", "object", "bytes", "bytearray", "slice",
                       "complex", "range"})
_ALLOWED = {"datetime": {"datetime", "date", "timedelta", "timezone", "time"},
            "collections": {"Counter", "OrderedDict", "defaultdict", "deque"},
            "copyreg": {"_reconstructor", "__newobj__"}, "zoneinfo": {"ZoneInfo"}, "zoneinfo._zoneinfo": {"ZoneInfo"}}


class SnapshotError(ValueError):
    """A snapshot that cannot be read back."""


_FIELDS = tuple(f.name for f in dataclasses.fields(ProcessState))


class _LazyStates(dict):
    """The processes of a loaded snapshot, each decoded when first read: ``verify --since`` touches
    the few processes its records name, so loading costs little more than reading the bytes."""

    def _decode(self, key, raw):
        if type(raw) is bytes:
            fields = _Unpickler(io.BytesIO(raw)).load()
            if not isinstance(fields, tuple) or len(fields) != len(_FIELDS):
                raise SnapshotError("a process in the snapshot is malformed")
            raw = ProcessState(*fields)
            dict.__setitem__(self, key, raw)
        return raw

    def __getitem__(self, key):
        return self._decode(key, dict.__getitem__(self, key))

    def get(self, key, default=None):
        raw = dict.get(self, key, _MISSING)
        return default if raw is _MISSING else self._decode(key, raw)

    def values(self):
        return [self._decode(k, v) for k, v in list(dict.items(self))]

    def items(self):
        return [(k, self._decode(k, v)) for k, v in list(dict.items(self))]

    def pop(self, key, *default):
        if key in self:
            value = self[key]
            dict.pop(self, key)
            return value
        return dict.pop(self, key, *default)

    def __iter__(self):
        return dict.__iter__(self)


_MISSING = object()


def dump(fold: Fold) -> bytes:
    state = {k: v for k, v in fold.__dict__.items() if k not in _SKIP}
    state["processes"] = {pid: pickle.dumps(tuple(getattr(p, f) for f in _FIELDS), protocol=5)
                          for pid, p in fold.processes.items()}
    exts = [(type(e).__module__, type(e).__qualname__, e.__dict__) for e in fold.extensions]
    return zlib.compress(pickle.dumps({"ruam_fold": 2, "fold": state, "extensions": exts}, protocol=5), 6)


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        ours = (module == "workflow" or module.startswith("workflow.")) and "." not in name
        if not ((module == "builtins" and name in _BUILTINS) or name in _ALLOWED.get(module, ()) or ours):
            raise SnapshotError(f"the snapshot names {module}.{name}, which a fold never holds")
        found = super().find_class(module, name)
        if ours and not (isinstance(found, type) and found.__module__.startswith("workflow")):
            raise SnapshotError(f"the snapshot names {module}.{name}, which is not one of Ruam's types")
        return found


def load(content: bytes, definition: Callable[[str], Definition | None], findings: list[Finding],
         extensions: Sequence[FoldExtension]) -> Fold:
    """A fold as it stood at the snapshot; ``extensions`` are fresh instances whose state is restored
    (the same kinds, in the same order, as when it was taken)."""
    try:
        data = _Unpickler(io.BytesIO(zlib.decompress(content))).load()
    except SnapshotError:
        raise
    except Exception as exc:  # noqa: BLE001 - any malformed pickle is one kind of refusal
        raise SnapshotError(f"the snapshot cannot be read: {type(exc).__name__}") from None
    if not isinstance(data, dict) or data.get("ruam_fold") != 2:
        raise SnapshotError("not a fold snapshot")
    names = [(type(e).__module__, type(e).__qualname__) for e in extensions]
    if names != [(m, q) for m, q, _ in data["extensions"]]:
        raise SnapshotError("the snapshot was taken with other fold extensions")
    fold = Fold(definition, findings, extensions=extensions)
    fold.__dict__.update(data["fold"])
    fold.processes = _LazyStates(fold.processes)
    for ext, (_m, _q, state) in zip(extensions, data["extensions"], strict=True):
        ext.__dict__.update(state)
    return fold
