"""What the live audit and its workers both check: the snapshot, the stored
definitions, the process table against the fold."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from storage.store import Tx
from workflow.audit import definition_from_content
from workflow.definitions import Definition
from workflow.errors import Finding
from workflow.replay import Fold


def snapshot(store: Any, tx: Tx) -> None:
    if store.dialect == "postgresql":
        tx.conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def intact_definitions(tx: Tx) -> Callable[[str], Definition | None]:
    """Definitions read afresh in this snapshot, each only if its content hashes to its version.

    Never from the application's cache: the audit trusts only what is stored now.
    """
    seen: dict[str, Definition | None] = {}

    def lookup(version: str) -> Definition | None:
        if version not in seen:
            seen[version] = definition_from_content(version, tx.definition_content(version))
        return seen[version]

    return lookup


_TH_KEYS = {"state": "สถานะ", "version": "รุ่น", "procedure version": "รุ่นขั้นตอน",
            "organization version": "รุ่นโครงสร้างหน่วยงาน", "task": "งาน"}


def compare_processes(rows: Callable[[], Iterable[dict]], fold: Fold, findings: list[Finding],
                      changed: set[str]) -> int:
    """The live process table (one range of it) must equal the fold of the ledger (invariant 3).

    ``changed``: processes with records after the snapshot the fold stopped at;
    not compared (returns how many were left out).
    """
    matched, skipped = 0, 0
    for row in rows():  # streamed: millions of processes must not sit in memory twice
        pid = row["id"]
        if pid in changed:
            skipped += 1
            continue
        state = fold.processes.get(pid)
        if state is None:
            findings.append(Finding("projection", None, f"{pid} is in the process table but never in the ledger",
                                    message_th=f"{pid} อยู่ในตารางกระบวนการแต่ไม่เคยอยู่ในบันทึก"))
            continue
        matched += 1
        for key, want, have in (("state", state.state, row["state"]), ("version", state.version, row["version"]),
                                ("procedure version", state.procedure, row["procedure_version"]),
                                ("organization version", state.organization, row["organization_version"]),
                                ("task", state.task, row["task_id"])):
            if want != have:
                findings.append(Finding("projection", state.last_seq,
                                        f"{pid}: {key} is '{have}' in the table but '{want}' by the ledger",
                                        message_th=f"{pid}: {_TH_KEYS[key]} ในตารางเป็น '{have}' แต่ตามบันทึกเป็น "
                                                   f"'{want}'"))
    if matched + len(changed & fold.processes.keys()) != len(fold.processes):
        live = {row["id"] for row in rows()}
        for pid, state in fold.processes.items():
            if pid not in live and pid not in changed:
                findings.append(Finding("projection", state.last_seq, f"{pid} is in the ledger but not in the "
                                                                      "process table",
                                        message_th=f"{pid} อยู่ในบันทึกแต่ไม่อยู่ในตารางกระบวนการ"))
    return skipped
