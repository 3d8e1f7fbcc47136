"""The ledger's write methods of a ``Tx``: sealing records onto the office's chain (and
its Merkle tree), and a step's move-and-seal in one statement on PostgreSQL."""

from __future__ import annotations

import weakref
from collections.abc import Sequence

from sqlalchemy.engine import Engine

from storage import hotpath as hot
from storage import merkle as tree
from workflow.canonical import sha256_hex
from workflow.errors import Conflict, Duplicate, NotFound, StorageError
from workflow.ledger import Entry, Record

_DB_SEALS: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


class StaleReads(Exception):
    """A step's write found that what it decided on no longer holds (the office's roles changed
    since it read them): nothing was written; decide the step again on fresh reads."""


class _Committed:
    """A ``Tx``'s connection after ``append(commit=True)``: any further use is a bug."""

    def __getattr__(self, name: str):
        raise RuntimeError("this transaction was committed by its last append; nothing may run in it")


class LedgerWrites:
    """Mixed into ``Tx`` (its connection, cursor, office and ``_run``)."""

    def move_and_append(self, process_id: str, expected_version: int, state: str, entry: Entry,
                        reserve: tuple[str, int, str] | None = None, roles_epoch: int | None = None) -> Record:
        """``move_process``, ``reserve_document_number(*reserve, process_id)`` if given, then
        ``append([entry], commit=True)``: a step's writes.

        On PostgreSQL (when the database seals) in one statement (``hotpath``
        ``move_and_seal_one``, ``move_reserve_and_seal_one``): the process row is updated,
        then the head locked and the record sealed — the same locks in the same order as
        the calls, in one round trip. ``Conflict`` if the process is no longer at
        ``expected_version`` (nothing sealed, nothing reserved); ``Duplicate`` if another
        process took the number. ``roles_epoch`` (PostgreSQL): the office's roles epoch the
        step read its assignments at; if a role of the office changed since, nothing is
        written and ``StaleReads`` is raised (the step is to be decided again on fresh reads)."""
        d = self.dialect
        owner = self.document_owner(*reserve) if reserve else None
        if owner is not None and owner != process_id:
            raise Duplicate("document number", f"{reserve[2]} ({reserve[1] + 543})")
        if d != "postgresql" or not self._db_seals():
            self.move_process(process_id, expected_version, state, entry.at)
            if reserve:
                self.reserve_document_number(*reserve, process_id)
            [record] = self.append([entry], commit=True)
            return record
        office = self.office_id
        before, between = Record.template(entry, self.record_office)
        at = hot.bind_time(d, entry.at)
        args = (state, at, office, process_id, expected_version, roles_epoch, office)
        name = "move_and_seal_one"
        if reserve and owner is None:  # (the same process re-issuing its number after a send-back holds it)
            name = "move_reserve_and_seal_one"
            args += (office, *reserve, process_id)
        args += (office, before, between, office, self.chain_key, self.chain_key, office, entry.kind,
                 entry.process, entry.actor, at)
        row = self._tree_statement(hot.sql(d, name), args)
        if row is None:
            found = self._run(hot.sql(d, "process_version"), (office, process_id)).fetchone()
            if found is not None and found[0] == expected_version:  # (the process did not move: a role did)
                raise StaleReads(process_id)
            raise Conflict(process_id, expected_version, found[0] if found else None)
        return self._sealed_one(entry, row, before, between, commit=True)

    def _tree_statement(self, statement: str, args: Sequence):
        """Run a sealing statement that also grows the office's Merkle tree (``hotpath._TREE``):
        its row, or None; a node the tree lacks is the error the other paths give."""
        try:
            return self._run(statement, args).fetchone()
        except self.conn.dialect.loaded_dbapi.IntegrityError as exc:
            if "merkle_nodes" in str(exc) and "null value" in str(exc):
                raise StorageError(tree.MISSING_TH_EN[1], tree.MISSING_TH_EN[0]) from None
            raise

    def append(self, entries: Sequence[Entry], *, commit: bool = False) -> list[Record]:
        """Seal entries onto the chain, in order, inside this transaction.

        ``commit``: this is the transaction's last write; commit right after it, so
        the chain head (PostgreSQL) stays locked only for the sealing statement and
        the COMMIT. Nothing may run in this ``Tx`` afterwards.

        PostgreSQL, one entry (every step): one statement locks the head row
        (``FOR UPDATE``: appenders queue on it and none reads a stale head, so the
        chain cannot fork), fills the record's chain slots in the canonical text
        workflow encoded, hashes it and inserts it (``hotpath.SQL["seal_one"]``).
        The lock is taken last in every command, after the process row. Several
        entries, or a database whose sha256 disagrees with ours: the head is read
        ``FOR UPDATE`` and Python seals each record. SQLite: the transaction holds
        the database write lock from ``BEGIN IMMEDIATE``. UNIQUE(prev_hash) stays
        as the safety net.
        """
        if not entries:
            return []
        d = self.dialect
        office = self.office_id
        if d == "postgresql" and len(entries) == 1 and self._db_seals():
            entry = entries[0]
            before, between = Record.template(entry, self.record_office)
            args = (office, before, between, office, self.chain_key, self.chain_key, office, entry.kind,
                    entry.process, entry.actor, hot.bind_time(d, entry.at))
            self._writing()
            row = self._tree_statement(hot.sql(d, "seal_one"), args)
            return [self._sealed_one(entry, row, before, between, commit=commit)]
        self._writing()
        head = self._run(hot.sql(d, "head_for_update" if d == "postgresql" else "head"), (office,)).fetchone()
        if head is None:
            raise NotFound("office", str(office), "สำนักงาน")
        seq, prev = head
        first, after, leaves = seq + 1, prev, []
        records, rows = [], []
        for entry in entries:
            seq += 1
            record = Record.seal(entry, seq, prev, self.record_office)
            body = record.canonical()
            digest = sha256_hex(body)
            record.hashed(digest, body)
            rows.append((office, seq, prev, digest, record.kind, record.process, record.actor,
                         hot.bind_time(d, entry.at), body))
            records.append(record)
            leaves.append((body.encode("utf-8"), digest))
            prev = digest
        self._run(hot.sql(d, "insert_record"), rows, many=True)
        self._run(hot.sql(d, "move_head"), (seq, prev, office))
        tree.grow(self, self.chain_key, first, after, leaves)  # the office's Merkle tree, same transaction
        if commit:
            self.conn.connection.dbapi_connection.commit()
            self._finish_here()
        return records

    def _sealed_one(self, entry: Entry, row, before: str, between: str, *, commit: bool) -> Record:
        """After the database sealed one record (``row``: seq, prev_hash, hash): check its hash,
        grow the office's Merkle tree, commit if asked."""
        seq, prev, digest = row
        text = before + prev + between + str(seq) + "}"
        if sha256_hex(text.encode("utf-8")) != digest:  # pragma: no cover - see _db_seals
            raise StorageError(f"the database's sha256 of record {seq} differs from Ruam's: run 'ruam audit verify'",
                               f"ค่า sha256 ของบันทึกที่ {seq} จากฐานข้อมูลไม่ตรงกับของระบบ โปรดสั่ง 'ruam audit verify'")
        if commit:
            self.conn.connection.dbapi_connection.commit()  # nothing to do outside a transaction
            self._finish_here()
        return Record.seal(entry, seq, prev, self.record_office).hashed(digest, text)

    def _db_seals(self) -> bool:
        """Whether this PostgreSQL database seals records itself: its sha256 over a
        Thai sample's UTF-8 bytes equals ours (checked once per engine, not per step)."""
        engine = self.conn.engine
        known = _DB_SEALS.get(engine)
        if known is None:
            sample = '{"ทดสอบ":"ร่วม ✓","n":1}'
            digest, encoding = self._run(hot.sql(self.dialect, "sha256_of"), (sample,)).fetchone()
            known = _DB_SEALS[engine] = encoding.upper() in ("UTF8", "UTF-8") and digest == sha256_hex(sample)
        return known

    def _finish_here(self) -> None:
        """Nothing more runs in this unit of work (it commits with its last append)."""
        self.close()
        self.conn = _Committed()  # type: ignore[assignment]
