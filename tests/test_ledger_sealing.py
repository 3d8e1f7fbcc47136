"""Sealing a record onto the chain, on both backends.

On PostgreSQL a step's record is sealed by the database under the chain-head lock:
it fills the two chain slots of the canonical text workflow encoded
(``Record.template``) and hashes what it stores. These tests hold it to the
contract: the stored text is exactly ``Record.canonical()``, its hash is
sha256 of that text, the chain stays linear under concurrent appenders, and a
step that fails leaves nothing behind.
"""

import datetime as dt
import itertools
import threading
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text as sql

from engine.app import Ruam
from engine.audit.live import verify
from tests import steps
from tests.steps import PROCESS
from workflow.canonical import sha256_hex
from workflow.errors import Conflict, EvidenceInvalid
from workflow.ledger import GENESIS, Entry, Record

AWKWARD = ['ข้อความ "ในเครื่องหมาย" \\ แบ็กสแลช', "it's; COMMIT; --", "$1 %s %(x)s {}", "emoji ✓ 🙂",
           "line\nbreak\ttab", '"prev_hash":""', "e\u0301 (NFD)", "\\x00 not a NUL"]


def _entry(data: dict, process: str | None = "2570/task_x") -> Entry:
    return Entry(kind="process.transitioned", at=dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC),
                 actor="officer_x", role="responsible_officer", process=process, data=data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(data=st.dictionaries(st.text(max_size=12), json_values, max_size=5),
       seq=st.integers(1, 10**15), prev=st.sampled_from([GENESIS, "ab" * 32]),
       process=st.none() | st.text(max_size=20))
def test_the_template_around_the_chain_slots_is_the_canonical_text(data, seq, prev, process):
    entry = _entry(data, process)
    before, between = Record.template(entry)
    assert before + prev + between + str(seq) + "}" == Record.seal(entry, seq, prev).canonical()


def test_a_step_with_awkward_evidence_stores_exactly_the_text_it_hashed(opened):
    note = " | ".join(AWKWARD)
    rec = opened.advance(PROCESS, "complete_analysis", "officer_teacher_welfare", steps.analysis(), note=note)
    with opened.store.reading() as tx:
        body, digest, prev = tx.conn.execute(
            sql("SELECT body, hash, prev_hash FROM ledger WHERE seq = :seq"), {"seq": rec.seq}).one()
    body = body.decode() if isinstance(body, bytes) else body
    assert body == rec.canonical()
    assert digest == sha256_hex(body) == rec.hash
    assert Record.from_text(body).data["note"] == unicodedata.normalize("NFC", note.strip())  # stored as NFC
    assert prev == rec.prev_hash
    head_seq, head_hash = _head(opened)
    assert (head_seq, head_hash) == (rec.seq, rec.hash)
    assert verify(opened).ok


def test_threads_appending_to_one_chain_keep_it_linear(opened):
    tasks = [t.id for t in opened.active().organization.tasks]
    start = _head(opened)[0]
    errors: list[Exception] = []
    barrier = threading.Barrier(len(tasks) * 2)

    def step(task):
        barrier.wait()
        try:
            Ruam(opened.store, clock=opened.clock).advance(
                f"2570/{task}", "complete_analysis", "officer_" + task.removeprefix("task_"), steps.analysis())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def feedback(i):
        from engine.feedback import receive_feedback

        barrier.wait()
        try:
            receive_feedback(Ruam(opened.store, clock=opened.clock), f"2570/{tasks[i]}", f"ความเห็น {AWKWARD[i % 8]}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=step, args=(t,)) for t in tasks]
    threads += [threading.Thread(target=feedback, args=(i,)) for i in range(len(tasks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    records = [r for r in opened.log_records() if r.seq > start]
    assert [r.seq for r in records] == list(range(start + 1, start + 1 + 2 * len(tasks)))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    assert verify(opened).ok


def test_a_refused_step_leaves_the_chain_and_the_process_as_they_were(opened):
    before = _head(opened), opened.process(PROCESS)["version"]
    with pytest.raises(EvidenceInvalid):
        opened.advance(PROCESS, "complete_analysis", "officer_teacher_welfare", {})
    with pytest.raises(Conflict):
        opened.advance(PROCESS, "complete_analysis", "officer_teacher_welfare", steps.analysis(),
                       expected_version=3)
    assert (_head(opened), opened.process(PROCESS)["version"]) == before
    opened.advance(PROCESS, "complete_analysis", "officer_teacher_welfare", steps.analysis())
    assert _head(opened)[0] == before[0][0] + 1
    assert verify(opened).ok


def test_nothing_runs_in_a_transaction_after_its_committing_append(opened):
    start = _head(opened)[0]
    with pytest.raises(RuntimeError, match="committed"), opened.store.transaction() as tx:
        tx.append([_entry({"n": 1})], commit=True)
        tx.head()  # a programming error: it would run outside the committed unit of work
    assert _head(opened)[0] == start + 1


def _head(app) -> tuple[int, str]:
    with app.store.reading() as tx:
        return tx.head()


def test_steps_go_on_after_refused_ones_on_the_same_connections(opened):
    # psycopg prepares a statement after its fifth use and answers a rollback with
    # DEALLOCATE ALL: steps after refused ones must not depend on what it dropped
    opened.advance(PROCESS, "complete_analysis", "officer_teacher_welfare", steps.analysis())
    for task in [t.id for t in opened.active().organization.tasks if f"2570/{t.id}" != PROCESS][:6]:
        opened.advance(f"2570/{task}", "complete_analysis", "officer_" + task.removeprefix("task_"), steps.analysis())
    for _ in range(3):
        with pytest.raises(EvidenceInvalid):
            opened.advance(PROCESS, "issue_appointment", "director_administration", {})
        opened.advance(PROCESS, "send_back", "director_administration", {"reason": "แก้ไข"})
        opened.advance(PROCESS, "complete_analysis", "officer_teacher_welfare", steps.analysis())
    assert verify(opened).ok
