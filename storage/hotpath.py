"""Driver-level SQL for the statements every step runs.

An advance runs about seven statements; building each as a SQLAlchemy
expression and generating its cache key costs more than the statement itself
on SQLite (measured: ~130 µs of ~180 µs). These few go to the driver as text,
inside the same SQLAlchemy transaction (so error translation and the unit of
work are unchanged). Written once with ``?`` placeholders; PostgreSQL's
``%s`` form is derived here — the one place the two backends' SQL differs.
"""

from __future__ import annotations

import datetime as dt

# Every statement names its office first (``office_id = ?``): a Tx reads and writes its
# office's rows only. (An OR names it in each of its terms, so that each term can use the
# index that begins with the office: written once outside, both engines scanned the office.)
# The chain head's row of an office has ``id`` = the office's id.
SQL = {
    "move_process": "UPDATE processes SET state = ?, version = version + 1, updated_at = ? "
                    "WHERE office_id = ? AND id = ? AND version = ?",
    "process_version": "SELECT version FROM processes WHERE office_id = ? AND id = ?",
    # the process row with its office's roles epoch (what a remembered step checks; SQLite's step read)
    "process_head_epoch": "SELECT state, version, task_id, procedure_version, organization_version, "
                          "(SELECT roles_epoch FROM offices WHERE id = ?) FROM processes "
                          "WHERE office_id = ? AND id = ?",
    "records_for": "SELECT body FROM ledger WHERE office_id = ? AND process_id = ? ORDER BY seq",
    "head": "SELECT seq, hash FROM chain_head WHERE id = ?",
    "head_for_update": "SELECT seq, hash FROM chain_head WHERE id = ? FOR UPDATE",
    "insert_record": "INSERT INTO ledger (office_id, seq, prev_hash, hash, kind, process_id, actor, recorded_at, "
                     "body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "move_head": "UPDATE chain_head SET seq = ?, hash = ? WHERE id = ?",
    "document_owner": "SELECT process_id FROM document_numbers WHERE office_id = ? AND kind = ? AND year = ? "
                      "AND number = ?",
    "open_feedback": "SELECT id FROM feedback WHERE office_id = ? AND process_id = ? AND decided = ? "
                     "ORDER BY received_at",
    "decide_feedback": "UPDATE feedback SET decided = ? WHERE office_id = ? AND process_id = ? AND id IN ({marks})",
    "reserve_document": "INSERT INTO document_numbers (office_id, kind, year, number, process_id) "
                        "VALUES (?, ?, ?, ?, ?)",
    "assignments_in": "SELECT id, person_id, role, scope, valid_from, valid_until FROM role_assignments "
                      "WHERE (office_id = ? AND scope IS NULL) OR (office_id = ? AND scope IN ({marks})) ORDER BY id",
}

_PG = {name: sql.replace("?", "%s") for name, sql in SQL.items()}

# A step's move of its process, when the process is still at the version the step read
# and the office's roles epoch is still the one it read the assignments with (migration
# 0010: every change of a role assignment moves it; NULL: the step did not read it).
_MOVE = ("WITH RECURSIVE moved AS (UPDATE processes SET state = %s, version = version + 1, updated_at = %s "
         "WHERE office_id = %s AND id = %s AND version = %s "
         "AND (SELECT o.roles_epoch = COALESCE(%s::bigint, o.roles_epoch) FROM offices o WHERE o.id = %s) "
         "RETURNING version), ")
_RESERVE = ("reserved AS (INSERT INTO document_numbers (office_id, kind, year, number, process_id) "
            "SELECT %s, %s, %s, %s, %s FROM moved), ")
# the office's head, locked only if the process moved (the one-time EXISTS runs the UPDATE first)
_HEAD_AFTER_MOVE = "head AS (SELECT seq, hash FROM chain_head WHERE id = %s AND EXISTS (SELECT 1 FROM moved) FOR UPDATE), "

# PostgreSQL's sealing of one record, after a ``head`` (the office's head row, locked): the
# record's text with its chain slots filled, its sha256, the head moved…
_SEAL = ("rec AS (SELECT seq + 1 AS seq, hash AS prev, %s || hash || %s || (seq + 1)::text || '}' AS body "
         "FROM head), "
         "sealed AS (SELECT seq, prev, body, encode(sha256(convert_to(body, 'UTF8')), 'hex') AS hash FROM rec), "
         "moved_head AS (UPDATE chain_head SET seq = sealed.seq, hash = sealed.hash FROM sealed "
         "WHERE chain_head.id = %s)")
# …the office's Merkle tree grown in the same statement (storage.merkle's layout, RFC 9162
# hashes): the record's leaf at ``seq - 1``, then each subtree it closes — while the node's
# index is odd, its parent from the stored left sibling and it (read by ``ruam_merkle_node``,
# migration 0009: a fresh snapshot, taken once the head is locked, that sees the nodes of
# the appender this one waited for). A sibling missing (a tree
# never built) makes the parent's hash NULL, which the NOT NULL column refuses: the step
# fails whole, as a missing node does on the other paths (``merkle.MISSING``).
_TREE = (", up(level, idx, hash) AS ("
         "SELECT 0, seq - 1, sha256('\\x00'::bytea || convert_to(body, 'UTF8')) FROM sealed "
         "UNION ALL "
         "SELECT u.level + 1, u.idx / 2, sha256('\\x01'::bytea || ruam_merkle_node(%s, u.level, u.idx - 1) || u.hash) "
         "FROM up u WHERE u.idx %% 2 = 1 AND u.hash IS NOT NULL), "
         "grown AS (INSERT INTO merkle_nodes (chain, level, idx, hash) SELECT %s, level, idx, hash FROM up)")
# …and the record inserted
_INSERT_SEALED = (" INSERT INTO ledger (office_id, seq, prev_hash, hash, kind, process_id, actor, recorded_at, body) "
                  "SELECT %s, seq, prev, hash, %s, %s, %s, %s, body FROM sealed RETURNING seq, prev_hash, hash")

# PostgreSQL only: a step's statements folded so that each network round trip does
# more (a round trip, not the statement, is most of a statement's cost there).
_PG.update({
    # the process row and the assignments for the scopes covering its task, in one read
    "process_head_with_assignments":
        "SELECT p.state, p.version, p.task_id, p.procedure_version, p.organization_version, "
        "(SELECT json_agg(json_build_array(a.id, a.person_id, a.role, a.scope, a.valid_from, a.valid_until) "
        "ORDER BY a.id) FROM role_assignments a "
        "WHERE (a.office_id = %s AND a.scope IS NULL) OR (a.office_id = %s AND a.scope IN ({marks}))), "
        # …and the office's roles epoch as of the same snapshot (what a step read checks when it writes)
        "(SELECT o.roles_epoch FROM offices o WHERE o.id = %s) "
        "{extras}FROM processes p WHERE p.office_id = %s AND p.id = %s",
    # …with what the step's guards read: the process's record texts (as records_for) and its
    # open feedback (as open_feedback)
    "with_history": ", (SELECT array_agg(body ORDER BY seq) FROM ledger WHERE office_id = %s AND process_id = %s) ",
    "with_feedback": ", (SELECT array_agg(id ORDER BY received_at) FROM feedback WHERE office_id = %s "
                     "AND process_id = %s AND decided = false) ",
    # one record sealed onto the chain in one statement, the head locked only for it:
    # the record's canonical text comes from workflow with its two chain slots open
    # (``Record.template``); under the head's row lock the database fills them with
    # the head's hash and the next seq, hashes exactly the text it stores (the same
    # sha256 over the same UTF-8 bytes), inserts the record and moves the head.
    # Waiting appenders queue on the lock (FOR UPDATE re-reads the newest head).
    "seal_one":
        # (the office's head row only: appenders of other offices lock other rows)
        "WITH RECURSIVE head AS (SELECT seq, hash FROM chain_head WHERE id = %s FOR UPDATE), "
        + _SEAL + _TREE + _INSERT_SEALED,
    # a step's process move and its record's seal in one statement (a step with no other
    # write): the process row is updated first (the one-time EXISTS filter runs the UPDATE
    # before the head is scanned, so the lock order stays process row, then head) and the
    # record is sealed only if the process was still at the version the step read; no row
    # back means it was not (``Conflict``), and nothing was sealed.
    "move_and_seal_one": _MOVE + _HEAD_AFTER_MOVE + _SEAL + _TREE + _INSERT_SEALED,
    # …and a document number the step uses reserved for its process (after the head, as the
    # statement's last work: two steps of one office reserving the same number meet on the
    # head first, and the second is refused by the number's key)
    "move_reserve_and_seal_one": _MOVE + _RESERVE + _HEAD_AFTER_MOVE + _SEAL + _TREE + _INSERT_SEALED,
    # the database's sha256 of a text, against Python's (checked once per engine)
    "sha256_of": "SELECT encode(sha256(convert_to(%s, 'UTF8')), 'hex'), current_setting('server_encoding')",
})




def sql(dialect: str, name: str, **fmt: str) -> str:
    text = (_PG if dialect == "postgresql" else SQL)[name]
    return text.format(**fmt) if fmt else text


def marks(dialect: str, n: int) -> str:
    return ", ".join(["%s" if dialect == "postgresql" else "?"] * n)


def bind_time(dialect: str, moment: dt.datetime):
    """What the driver takes for a UTC instant (SQLAlchemy's SQLite text form)."""
    moment = moment.astimezone(dt.timezone.utc)
    if dialect == "sqlite":  # (isoformat: the same text as "%Y-%m-%d %H:%M:%S.%f", without strftime's cost)
        return moment.replace(tzinfo=None).isoformat(" ", "microseconds")
    return moment


def read_time(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)
