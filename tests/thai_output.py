"""What "Thai, whole" means, as a check on any text a person reads.

``problems(text)`` names every definition id, record kind, status, person id, ISO
date or timestamp and CE year in a human output. An id may stand only where a
person is shown what to type: inside ``(รหัส …)``. Used by the walk through a
whole fiscal year (tests/test_thai_walk.py) for the CLI and the pages.
"""

from __future__ import annotations

import re
from functools import lru_cache

from definitions import shipped_texts
from engine.names import KINDS, OUTBOX_STATUSES
from workflow.calendar.schedule import STATUS_TITLES
from workflow.reader import load_definition

# what a person types, or typed: ids shown to type, flags, and their own input quoted back in '…'
TYPED = re.compile(r"\((?:รหัส|id) [^()]*\)|(?<![\w-])--[a-z][a-z-]*|'[^'\n]*'")
WORD = re.compile(r"(?<![A-Za-z0-9_.])[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?(?![A-Za-z0-9_])")
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b")
CE_YEAR = re.compile(r"(?<![A-Za-z0-9_.,#/-])(?:19|20)\d{2}(?![A-Za-z0-9])")  # not inside an id or a hash
# words a Thai page may carry that happen to be spelled like an id: product and format names
ALLOWED = {"sqlite", "postgresql", "sha256", "json", "jsonl", "csv", "pdf", "ruam", "hash", "trigger", "http",
           "https", "www", "api", "ita", "leader"}


def _fields(fields) -> set[str]:
    out: set[str] = set()
    for f in fields:
        out.add(f.id)
        out.update(f.options)
        out |= _fields(f.fields)
    return out


@lru_cache(maxsize=1)
def definition_ids() -> frozenset[str]:
    ids: set[str] = set()
    for name, text in shipped_texts():
        d = load_definition(text, name)
        ids.add(d.id)
        if d.kind == "procedure":
            ids |= {s.id for s in d.states} | {t.trigger for t in d.transitions}
            for t in d.transitions:
                ids |= _fields(t.evidence)
            ids |= {b.id for b in d.legal_basis}
        elif d.kind == "organization":
            ids |= {r.id for r in d.roles} | {u.id for u in d.units} | {g.id for g in d.mission_groups}
            ids |= {t.id for g in d.mission_groups for t in g.tasks}
        elif d.kind == "documents":
            ids |= {k.kind for k in d.kinds}
        else:
            ids |= {i.id for i in d.items} | {r.id for i in d.items for r in i.rounds}
    ids |= set(KINDS) | set(OUTBOX_STATUSES) | set(STATUS_TITLES) | {"none", "done_late"}
    return frozenset(ids)


def problems(text: str, people: set[str] = frozenset(), *, where: str = "") -> list[str]:
    """Every id, ISO instant and CE year in ``text`` (outside ``(รหัส …)``), with its line."""
    forbidden = definition_ids() | set(people)
    found = []
    for line in text.splitlines():
        bare = TYPED.sub("", line)
        for word in WORD.findall(bare):
            if word in forbidden and word not in ALLOWED:
                found.append(f"{where}: id '{word}' in: {line.strip()[:160]}")
        for iso in ISO.findall(bare):
            found.append(f"{where}: ISO '{iso}' in: {line.strip()[:160]}")
        for year in CE_YEAR.findall(bare):
            found.append(f"{where}: CE year '{year}' in: {line.strip()[:160]}")
    return found
