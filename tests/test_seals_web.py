"""The seal routes: a record's proof file (signed in) checks offline; the keys and the
checkpoints are public (a witness keeps them)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from engine.audit import seals
from engine.audit.keys import Keys, checked_proof


def test_the_proof_route_and_the_public_keys_and_checkpoints(web, tokens, tmp_path, monkeypatch):
    monkeypatch.setenv("RUAM_KEY_DIR", str(tmp_path / "keys"))
    app = web.state.web.app
    keys = Keys(tmp_path / "keys")
    sealed = seals.seal(app, keys)
    with TestClient(web) as client:
        assert client.get("/api/audit/proof/3").status_code == 401
        auth = {"Authorization": f"Bearer {tokens['auditor']}"}
        r = client.get("/api/audit/proof/3", headers=auth)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        assert 'filename="ruam-3.tlog-proof"' in r.headers["content-disposition"]
        assert checked_proof(r.text, keys.verifiers())["seq"] == 3
        assert client.get(f"/api/audit/proof/{sealed.record.seq + 3}", headers=auth).status_code == 404
        assert client.get("/api/audit/proof/0", headers=auth).status_code == 422
        public = client.get("/api/public/audit/keys").json()
        assert [k["status"] for k in public["keys"]] == ["active"]
        [cp] = client.get("/api/public/audit/checkpoints").json()
        assert cp["note"] == sealed.note and cp["size"] == sealed.checkpoint.size


def test_the_public_seals_page_shows_the_keys_and_checkpoints_in_thai(web, tmp_path, monkeypatch):
    monkeypatch.setenv("RUAM_KEY_DIR", str(tmp_path / "keys"))
    app = web.state.web.app
    sealed = seals.seal(app, Keys(tmp_path / "keys"))
    with TestClient(web) as client:
        page = client.get("/public/seals")
        note = client.get(f"/api/public/audit/checkpoints/{sealed.checkpoint.size}")
        assert client.get("/api/public/audit/checkpoints/999999").status_code == 404
    assert page.status_code == 200 and note.text == sealed.note
    assert "ใช้ลงนามอยู่" in page.text and sealed.note.split("\n")[2] in page.text
    assert f"บันทึก {sealed.checkpoint.size:,} รายการ" in page.text and " 2569 " in page.text
    import re

    from tests.thai_output import problems

    text = re.sub(r"<[^>]+>", " ", page.text.split("<main", 1)[1])
    assert not problems(text), problems(text)
