"""Every document the public site publishes carries its proof: the inclusion proof of the
ledger record it comes from, against a signed checkpoint, checkable with no database."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.audit import seals
from engine.audit.keys import Keys, checked_proof, office_key_dir
from tests import steps
from tests.ita_helpers import complete_task


@pytest.fixture
def client(web):
    with TestClient(web) as c:
        yield c


def test_a_published_document_links_its_proof_once_sealed(client, opened):
    complete_task(opened, publish=True)
    page = f"/public/{steps.PROCESS}"
    assert "/proofs/" not in client.get(page).text                      # nothing sealed yet: no link
    keys = Keys(office_key_dir(Path(os.environ["RUAM_KEY_DIR"]), "default"))
    seals.seal(opened, keys)
    text = client.get(page).text
    links = sorted(set(re.findall(rf'href="(/public/{steps.PROCESS}/proofs/(\d+))"', text)))
    assert links and 'href="/public/seals"' in text
    with opened.store.reading() as tx:
        kinds = {r.seq: (r.kind, (r.data or {}).get("trigger")) for r in tx.records(after_seq=0, limit=10_000)}
    triggers = {kinds[int(seq)][1] for _url, seq in links}
    assert {"issue_appointment", "record_meeting"} <= triggers            # the order's and the minutes' records
    for url, seq in links:
        r = client.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        got = checked_proof(r.text, keys.verifiers())                     # offline: the file and the key only
        assert got["seq"] == int(seq) and got["process"] == steps.PROCESS
    # a record behind nothing published (the analysis step, a definition) has no public proof
    hidden = next(s for s, (k, t) in kinds.items() if t == "complete_analysis")
    assert client.get(f"/public/{steps.PROCESS}/proofs/{hidden}").status_code == 404
    assert client.get(f"/public/{steps.PROCESS}/proofs/1").status_code == 404
