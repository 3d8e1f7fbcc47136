"""The storage boundary: one unit of work per command, the ledger append, reads.

``Store.transaction()`` yields a ``Tx``; everything a command writes goes
through it and commits together, or not at all. Driver errors are translated
here into Ruam's own errors; nobody above storage catches ``sqlalchemy.exc``.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import and_, insert, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from storage import hotpath as hot
from storage import schema as s
from storage.calendar import CalendarTx
from storage.db import make_engine, normalize_url
from storage.ledger_reads import LedgerReads
from storage.ledger_writes import LedgerWrites
from storage.offices import OfficeRows
from storage.registry import RegistryRows, public
from storage.textguard import refuse_nul
from workflow.authority import Assignment
from workflow.errors import Conflict, Duplicate, NotFound, RuamError, StorageError


class _Writer:
    """SQLite's one kept write connection and its lock, shared by a database's office stores."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.conn: Connection | None = None


class Store:
    """A database: SQLite file (default) or PostgreSQL, opened for one office.

    Every ``Tx`` it yields reads and writes that office's rows only (each query
    filters by ``office_id``). ``Store(url)`` is the default office (id 1, the one
    a database had before there were offices); ``for_office(code)`` another office
    of the same database, on the same engine.
    """

    def __init__(self, url: str | None = None, **engine_kw: Any) -> None:
        self.url = normalize_url(url)
        self.engine: Engine = make_engine(self.url, **engine_kw)
        self.dialect = self.engine.dialect.name
        # SQLite has one writer at a time anyway (BEGIN IMMEDIATE): this process's
        # writes take turns on one kept connection instead of a pool checkout each.
        self._shared = _Writer()
        self.office_id = s.DEFAULT_OFFICE
        self.office_code = "default"
        self.record_office: str | None = None  # what the office's records carry (none: the default office)

    def for_office(self, code: str | None) -> Store:
        """The same database opened for the office ``code`` (None: the default office);
        NotFound if there is no such office."""
        if code is None:
            row = {"id": s.DEFAULT_OFFICE, "code": None}
        else:
            with self.reading() as tx:
                row = tx.office_row(code)
            if row is None:
                raise NotFound("office", code, "สำนักงาน")
        other = copy.copy(self)
        other.office_id = row["id"]
        other.office_code = row["code"] or "default"
        other.record_office = None if row["id"] == s.DEFAULT_OFFICE else row["code"]
        return other

    def release_writer(self) -> None:
        with self._shared.lock:
            if self._shared.conn is not None:
                self._shared.conn.close()
                self._shared.conn = None

    def dispose(self) -> None:
        self.release_writer()
        self.engine.dispose()

    # -- schema ----------------------------------------------------------------------
    def migrate(self) -> None:
        """Create or upgrade the schema to the revision this code expects (Alembic)."""
        from storage.migrate import upgrade

        with self._translate():
            upgrade(self.engine)

    def schema_revision(self) -> str | None:
        with self._translate(), self.engine.connect() as conn:
            conn = conn.execution_options(ruam_readonly=True)
            with conn.begin():
                try:
                    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                except sa_exc.DBAPIError:
                    return None

    def ensure_current(self) -> None:
        found = self.schema_revision()
        if found != s.SCHEMA_REVISION:
            what = "no Ruam schema" if found is None else f"schema revision {found}"
            raise StorageError(
                f"the database has {what}; run 'ruam init' to create or upgrade it",
                f"ฐานข้อมูลยังไม่มีโครงสร้างของ Ruam ที่ตรงรุ่น ({what}) โปรดสั่ง 'ruam init'",
            )

    def ledger_guards_present(self) -> bool:
        """Whether the triggers that refuse UPDATE/DELETE on the ledger exist."""
        with self.reading() as tx:
            if self.dialect == "sqlite":
                q = text("SELECT count(*) FROM sqlite_master WHERE type='trigger' AND tbl_name='ledger'")
                return tx.conn.execute(q).scalar() >= 2
            q = text("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'ledger'::regclass AND NOT tgisinternal "
                     "AND tgenabled <> 'D'")
            return tx.conn.execute(q).scalar() >= 2

    # -- units of work -------------------------------------------------------------------
    @contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except RuamError:
            raise
        except sa_exc.IntegrityError as exc:
            raise _integrity(exc) from None
        except self.engine.dialect.loaded_dbapi.Error as exc:  # from the hot path's raw cursor
            if isinstance(exc, self.engine.dialect.loaded_dbapi.IntegrityError):
                raise _integrity(exc) from None
            raise _database_error(str(exc)) from None
        except sa_exc.DBAPIError as exc:
            raise _database_error(str(exc.orig) if exc.orig else str(exc)) from None

    @contextmanager
    def transaction(self, *, step: bool = False) -> Iterator[Tx]:
        """One command's writes: all commit together or none do.

        ``step`` (PostgreSQL; a workflow step, ``Ruam.advance``): the reads run before any
        transaction is opened (under READ COMMITTED each statement sees what was committed
        when it began, in a transaction or not), and a step whose only write is
        ``move_and_append`` sends that one statement as its own transaction — no BEGIN, no
        COMMIT round trip. The first other write opens the transaction (``Tx._writing``).
        (SQLite: the step's transaction is the driver's own, ``_driver_transaction``.)"""
        if self.dialect != "sqlite":
            with self._translate(), self.engine.begin() as conn:
                tx = Tx(conn, self.office_id, self.record_office)
                if step:
                    tx._reads_first()
                try:
                    yield tx
                except BaseException:
                    tx.close()
                    tx._end_reads_first(ok=False)
                    raise
                tx.close()
                tx._end_reads_first(ok=True)
            return
        shared = self._shared
        if not shared.lock.acquire(timeout=60):
            raise StorageError("the database is busy; try again", "ฐานข้อมูลไม่ว่าง โปรดลองอีกครั้ง")
        try:
            with self._translate():
                if shared.conn is None or shared.conn.closed or shared.conn.invalidated:
                    shared.conn = self.engine.connect()
                conn = shared.conn
                try:
                    if step:
                        yield from self._driver_transaction(conn)
                        return
                    with conn.begin():
                        tx = Tx(conn, self.office_id, self.record_office)
                        try:
                            yield tx
                        finally:
                            tx.close()
                except BaseException:
                    if conn.invalidated:
                        shared.conn = None
                    raise
        finally:
            shared.lock.release()

    def _driver_transaction(self, conn) -> Iterator[Tx]:
        """SQLite, a step: its transaction begun and ended on the driver (``BEGIN IMMEDIATE``, as
        ``storage.db`` begins every writing one), not through SQLAlchemy's — whose bookkeeping cost
        a step about a twentieth of its time. A statement sent through SQLAlchemy meanwhile (a
        definition not yet cached, a refusal's look-up) joins it (``storage.db``: no second BEGIN)
        and SQLAlchemy's own transaction then ends with it."""
        driver = conn.connection.driver_connection
        driver.execute("BEGIN IMMEDIATE")
        tx = Tx(conn, self.office_id, self.record_office)
        try:
            yield tx
        except BaseException:
            tx.close()
            if conn.in_transaction():
                conn.rollback()
            if driver.in_transaction:
                driver.rollback()
            raise
        tx.close()
        if conn.in_transaction():
            conn.commit()
        if driver.in_transaction:
            driver.commit()

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        with self._translate(), self.engine.connect() as conn:
            conn = conn.execution_options(ruam_readonly=True)
            with conn.begin():
                tx = Tx(conn, self.office_id, self.record_office)
                try:
                    yield tx
                finally:
                    tx.close()


def _database_error(message: str) -> StorageError:
    message = message.strip().splitlines()[0] if message.strip() else "unknown"
    if "locked" in message or "could not serialize" in message or "deadlock" in message:
        return StorageError(f"the database is busy; try again ({message})", "ฐานข้อมูลไม่ว่าง โปรดลองอีกครั้ง")
    return StorageError(f"database error: {message}", f"ฐานข้อมูลขัดข้อง: {message}")


def _integrity(exc: Exception) -> RuamError:
    message = str(getattr(exc, "orig", None) or exc)
    if "document_numbers" in message or "pk_document_numbers" in message:
        return Duplicate("document number", "")
    if "processes" in message and ("fiscal_year" in message or "pk_processes" in message):
        return Duplicate("process", "")
    if "calendar_items" in message or "calendar_reminders" in message or "calendar_state" in message:
        return Duplicate("calendar item", "")
    if "ledger" in message:
        return StorageError("another writer appended to the ledger at the same time; try again",
                            "มีการบันทึกพร้อมกัน โปรดลองอีกครั้ง")
    return StorageError(f"the database refused the change: {message.splitlines()[0]}",
                        f"ฐานข้อมูลไม่ยอมรับการเปลี่ยนแปลง: {message.splitlines()[0]}")


class Tx(LedgerWrites, LedgerReads, CalendarTx, OfficeRows, RegistryRows):
    """Repository methods inside one transaction, for one office: every query
    names ``office_id`` (its rows are the only ones a ``Tx`` reads or writes)."""

    def __init__(self, conn: Connection, office_id: int = s.DEFAULT_OFFICE,
                 record_office: str | None = None) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self._cursor = None
        self.office_id = office_id
        self.record_office = record_office  # the code this office's records carry (None: the default office)
        # the office's Merkle tree (storage.merkle): its code; the default office's is "default"
        self.chain_key = record_office or "default"
        self._dbapi = None  # the driver connection while no transaction is open yet (``_reads_first``)
        self._owners: dict[tuple[str, int, str], str | None] = {}  # document_owner's answers

    def _reads_first(self) -> None:
        """PostgreSQL: run the reads outside a transaction (the driver in autocommit) until the
        first write, which opens one (``_writing``)."""
        dbapi = self.conn.connection.dbapi_connection
        if dbapi.info.transaction_status == 0:  # idle: nothing begun on this connection
            dbapi.autocommit = True
            self._dbapi = dbapi

    def _writing(self) -> None:
        """Before a write: the transaction it belongs to is open."""
        if self._dbapi is not None and self._dbapi.info.transaction_status == 0:
            self._run("BEGIN")

    def _end_reads_first(self, ok: bool) -> None:
        dbapi, self._dbapi = self._dbapi, None
        if dbapi is None or dbapi.closed:
            return
        try:
            if dbapi.info.transaction_status != 0:  # a transaction _writing opened and nobody ended
                dbapi.commit() if ok else dbapi.rollback()
        finally:
            dbapi.autocommit = False

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None

    def _run(self, statement: str, params: Sequence = (), *, many: bool = False):
        """Run hot-path SQL on the driver's cursor, inside this transaction."""
        refuse_nul(params, statement)  # as storage.textguard does for every SQLAlchemy statement
        if self._cursor is None:
            self._cursor = self.conn.connection.dbapi_connection.cursor()
        if many:
            self._cursor.executemany(statement, params)
        else:
            self._cursor.execute(statement, params)
        return self._cursor

    # -- processes -----------------------------------------------------------------------------
    def insert_process(self, **values: Any) -> None:
        self.conn.execute(insert(s.processes).values(office_id=self.office_id, **values))

    def get_process(self, process_id: str) -> dict | None:
        c = s.processes.c
        row = self.conn.execute(select(s.processes).where(c.office_id == self.office_id,
                                                          c.id == process_id)).first()
        return _public(row)

    def processes(self, *, fiscal_year: int | None = None, tasks: Sequence[str] | None = None,
                  state: str | None = None, limit: int | None = None, offset: int = 0) -> list[dict]:
        c = s.processes.c
        q = select(s.processes).order_by(c.fiscal_year, c.task_id)
        conds = [c.office_id == self.office_id]
        if fiscal_year is not None:
            conds.append(c.fiscal_year == fiscal_year)
        if tasks is not None:
            conds.append(c.task_id.in_(list(tasks)))
        if state is not None:
            conds.append(c.state == state)
        q = q.where(and_(*conds))
        if limit:
            q = q.limit(limit).offset(offset)
        return [_public(r) for r in self.conn.execute(q)]

    @staticmethod
    def _process_head_row(row) -> dict | None:
        if row is None:
            return None
        return {"state": row[0], "version": row[1], "task_id": row[2], "procedure_version": row[3],
                "organization_version": row[4]}

    def step_reads(self, process_id: str, scopes: set[str | None] | None, *, history: bool = False,
                   feedback: bool = False) -> tuple[dict | None, list[Assignment] | None, dict]:
        """What a step needs of a process (state, version, task, definition versions) and, if ``scopes`` is given (the caller's guess of the scopes
        covering the task), ``assignments_for_scopes(scopes)``: on PostgreSQL in one
        round trip, with — when asked — the process's record texts (``history``, as
        ``record_texts``) and its open feedback (``feedback``, as ``open_feedback``) in the
        third value's keys of those names, and always the office's roles epoch as of the same
        snapshot (``epoch``: what ``move_and_append`` checks). The caller checks the guess against the
        process's organization, and reads what the third value lacks itself."""
        d = self.dialect
        if d != "postgresql":  # SQLite: the row and the epoch in one read, the history and assignments after
            row = self._run(hot.sql(d, "process_head_epoch"), (self.office_id, self.office_id, process_id)).fetchone()
            if row is None:
                return None, None, {}
            extra = {"epoch": row[5], **({"history": self.record_texts(process_id)} if history else {})}
            return self._process_head_row(row), self.assignments_for_scopes(scopes) if scopes else None, extra
        # (no guess: the row, the epoch and the history all the same, the assignments read by the
        # caller once it knows the scopes — after the epoch, so a change between makes it stale)
        named = tuple(x for x in scopes if x is not None) if scopes else ()
        extras, params = "", [self.office_id, self.office_id, *named, self.office_id]
        if history:
            extras += hot.sql(d, "with_history")
            params += (self.office_id, process_id)
        if feedback:
            extras += hot.sql(d, "with_feedback")
            params += (self.office_id, process_id)
        q = hot.sql(d, "process_head_with_assignments", marks=hot.marks(d, len(named)) or "NULL", extras=extras)
        row = self._run(q, (*params, self.office_id, process_id)).fetchone()
        if row is None:
            return None, None, {}
        extra, at = {"epoch": row[6]}, 7
        if history:
            extra["history"] = row[at] or []
            at += 1
        if feedback:
            extra["feedback"] = row[at] or []
        # the assignments come as one JSON array (times as ISO text, which read_time takes)
        return self._process_head_row(row), self._assignment_rows(row[5] or ()) if scopes else None, extra

    def still_as_read(self, process_id: str, version: int, epoch: int) -> bool:
        """SQLite, under the write lock: whether the process is still at ``version`` and its office's
        roles epoch still ``epoch`` (then what a step read of both at its previous step still holds)."""
        row = self._run(hot.sql(self.dialect, "process_head_epoch"),
                        (self.office_id, self.office_id, process_id)).fetchone()
        return row is not None and row[1] == version and row[5] == epoch

    def stream_processes(self, batch: int = 5000,
                         part: tuple[str | None, str | None] | None = None) -> Iterator[dict]:
        """Every process row (of the id range ``part``), ordered by id, in constant memory (keyset pages)."""
        c = s.processes.c
        last = None
        while True:
            q = (select(c.id, c.task_id, c.procedure_version, c.organization_version, c.state, c.version)
                 .where(c.office_id == self.office_id).order_by(c.id).limit(batch))
            if part is not None and part[0] is not None:
                q = q.where(c.id >= part[0])
            if part is not None and part[1] is not None:
                q = q.where(c.id < part[1])
            if last is not None:
                q = q.where(c.id > last)
            rows = [dict(r._mapping) for r in self.conn.execute(q)]
            yield from rows
            if len(rows) < batch:
                return
            last = rows[-1]["id"]

    def move_process(self, process_id: str, expected_version: int, state: str, at: dt.datetime) -> int:
        """Set the new state if the process is still at ``expected_version``.

        The conditional UPDATE is the optimistic lock: of two commands that read
        the same version, the second matches no row (on PostgreSQL it waits for
        the first's row lock, then re-checks the WHERE) and gets ``Conflict``.
        """
        d = self.dialect
        self._writing()
        moved = self._run(hot.sql(d, "move_process"), (state, hot.bind_time(d, at), self.office_id, process_id,
                                                      expected_version)).rowcount
        if moved != 1:
            row = self._run(hot.sql(d, "process_version"), (self.office_id, process_id)).fetchone()
            found = row[0] if row else None
            raise Conflict(process_id, expected_version, found)
        return expected_version + 1

    # -- document numbers, attachments, feedback -----------------------------------------------
    def document_owner(self, kind: str, year: int, number: str) -> str | None:
        """The process that used a document number in a calendar year, if any (asked once per
        transaction: a step's guard asks, then its reservation; the number's key refuses a
        number another transaction took in between)."""
        key = (kind, year, number)
        if key not in self._owners:
            row = self._run(hot.sql(self.dialect, "document_owner"), (self.office_id, kind, year, number)).fetchone()
            self._owners[key] = row[0] if row else None
        return self._owners[key]

    def reserve_document_number(self, kind: str, year: int, number: str, process_id: str) -> None:
        owner = self.document_owner(kind, year, number)
        if owner == process_id:
            return  # the same process re-issuing its own order after a send-back
        if owner is not None:
            raise Duplicate("document number", f"{number} ({year + 543})")
        self._writing()
        self._run(hot.sql(self.dialect, "reserve_document"), (self.office_id, kind, year, number, process_id))

    def put_attachment(self, sha256: str, name: str, media_type: str, content: bytes,
                       at: dt.datetime) -> bool:
        if self.has_attachment(sha256):
            return False
        self.conn.execute(insert(s.attachments).values(office_id=self.office_id, sha256=sha256, name=name,
                                                       media_type=media_type, size=len(content), content=content,
                                                       stored_at=at))
        return True

    def has_attachment(self, sha256: str) -> bool:
        c = s.attachments.c
        return self.conn.execute(select(c.sha256).where(c.office_id == self.office_id,
                                                        c.sha256 == sha256)).first() is not None

    def get_attachment(self, sha256: str) -> dict | None:
        c = s.attachments.c
        row = self.conn.execute(select(s.attachments).where(c.office_id == self.office_id,
                                                            c.sha256 == sha256)).first()
        return _public(row)

    def attachment_hashes(self) -> Iterator[tuple[str, bytes]]:
        c = s.attachments.c
        for sha, content in self.conn.execute(select(c.sha256, c.content).where(c.office_id == self.office_id)):
            yield sha, content

    def add_feedback(self, feedback_id: str, process_id: str, at: dt.datetime) -> None:
        self.conn.execute(insert(s.feedback).values(office_id=self.office_id, id=feedback_id,
                                                    process_id=process_id, received_at=at, decided=False))

    def open_feedback(self, process_id: str) -> list[str]:
        rows = self._run(hot.sql(self.dialect, "open_feedback"), (self.office_id, process_id, False)).fetchall()
        return [r[0] for r in rows]

    def mark_feedback_decided(self, process_id: str, ids: Sequence[str]) -> None:
        """The process's opinions ``ids`` are decided (those a closing step's evidence answered)."""
        d = self.dialect
        self._writing()
        self._run(hot.sql(d, "decide_feedback", marks=hot.marks(d, len(ids))),
                  (True, self.office_id, process_id, *ids))


_public = public
