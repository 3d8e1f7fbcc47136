"""The ledger record, its canonical encoding and its hash.

A record's hash is sha256 over the canonical text of its body (which includes
the previous record's hash and its own sequence number). Storage keeps that
exact text; verification recomputes the hash from it, never from columns.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from typing import Any

from workflow.canonical import canonical_text, sha256_hex

GENESIS = "0" * 64
# a record's keys: the default office's records, and every other office's (with its code)
FIELDS = frozenset({"seq", "prev_hash", "kind", "at", "actor", "role", "responsible", "process", "data"})
FIELDS_OFFICE = FIELDS | {"office"}


def format_instant(moment: dt.datetime) -> str:
    """UTC, microseconds, 'Z' — one spelling for every instant in the ledger."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC instant")
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str) -> dt.datetime:
    # The ledger's one spelling (27 characters, 'T', '.', 'Z') takes the fast path
    # (fromisoformat, ~50x quicker than strptime; replay parses every record's time).
    if len(text) == 27 and text[10] == "T" and text[19] == "." and text[26] == "Z" and text[4] == "-":
        try:
            moment = dt.datetime.fromisoformat(text[:26])
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is None:
            return moment.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True, kw_only=True)
class Entry:
    """What a command wants recorded; storage adds seq and prev_hash."""

    kind: str
    at: dt.datetime
    actor: str
    role: str
    responsible: str | None = None
    process: str | None = None
    data: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.kind or "." not in self.kind:
            raise ValueError(f"record kind '{self.kind}' must be 'area.event'")
        if self.at.tzinfo is None:
            raise ValueError("record time must be timezone-aware")


@dataclass(frozen=True, kw_only=True)
class Record:
    seq: int
    prev_hash: str
    kind: str
    at: str
    actor: str
    role: str
    responsible: str | None
    process: str | None
    data: dict
    # The office whose chain holds the record: its code, in the records of every office
    # but the default one (whose records, written before there were offices or after,
    # keep today's exact text and so their hashes). A record copied into another
    # office's chain no longer matches that chain's office.
    office: str | None = None

    @classmethod
    def seal(cls, entry: Entry, seq: int, prev_hash: str, office: str | None = None) -> Record:
        return cls(seq=seq, prev_hash=prev_hash, kind=entry.kind, at=format_instant(entry.at),
                   actor=entry.actor, role=entry.role, responsible=entry.responsible,
                   process=entry.process, data=entry.data, office=office)

    def body(self) -> dict[str, Any]:
        body = {"seq": self.seq, "prev_hash": self.prev_hash, "kind": self.kind, "at": self.at,
                "actor": self.actor, "role": self.role, "responsible": self.responsible,
                "process": self.process, "data": self.data}
        if self.office is not None:
            body["office"] = self.office
        return body

    def canonical(self) -> str:
        return canonical_text(self.body())

    @classmethod
    def template(cls, entry: Entry, office: str | None = None) -> tuple[str, str]:
        """The canonical text of ``entry``'s record around its two chain slots:
        ``before + prev_hash + between + str(seq) + "}"`` is ``canonical()`` of the
        record sealed at ``seq`` after ``prev_hash``.

        Lets a database fill the slots under its chain-head lock (PostgreSQL, see
        ``storage``) from text this module encoded. The slots hold ASCII (hex and
        digits), so the text stays NFC; keys sort ``…, prev_hash, process,
        responsible, role, seq``, and after the top-level ``"prev_hash":""`` come only
        escaped strings, so its last occurrence is the slot (a value can never hold an
        unescaped quote). ``office`` sorts before ``prev_hash``: the slots stay last."""
        text = cls.seal(entry, 0, "", office).canonical()
        slot = text.rfind('"prev_hash":""')
        if slot < 0 or not text.endswith(',"seq":0}'):
            raise ValueError("record text without its chain slots")
        before = text[:slot + len('"prev_hash":"')]
        between = text[slot + len('"prev_hash":"'):-2]
        return before, between

    @functools.cached_property
    def hash(self) -> str:
        """sha256 of the canonical text (computed once; a record is immutable)."""
        return sha256_hex(self.text)

    @functools.cached_property
    def text(self) -> str:
        """The canonical text (computed once)."""
        return self.canonical()

    def hashed(self, digest: str, text: str | None = None) -> Record:
        """This record, its hash already known to be ``digest`` (storage has just
        hashed its canonical text, ``text`` if given): spares encoding it again to
        answer ``hash`` (and ``text``)."""
        self.__dict__["hash"] = digest
        if text is not None:
            self.__dict__["text"] = text
        return self

    @property
    def moment(self) -> dt.datetime:
        return parse_instant(self.at)

    @classmethod
    def from_text(cls, text: str) -> Record:
        """Parse stored canonical text (raises ValueError if it is not a record)."""
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        if not isinstance(body, dict) or (body.keys() != FIELDS and body.keys() != FIELDS_OFFICE):
            raise ValueError("not a ledger record body")
        if "office" in body and not (isinstance(body["office"], str) and body["office"]):
            raise ValueError("not a ledger record body (office)")
        return cls(**body)
