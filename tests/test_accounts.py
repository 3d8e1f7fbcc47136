"""Accounts from the command line: set-password from stdin (never argv), API tokens."""

from __future__ import annotations

import io

import pytest

from engine.cli import ruam




def test_set_password_reads_stdin_and_token_prints_once(db, app, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert ruam.main(["people", "set-password", "auditor", "--db", db]) == 0
    from engine.accounts import Accounts, LoginRefused

    accounts = Accounts(app)
    assert accounts.authenticate("auditor", "a long enough password") == "auditor"
    with pytest.raises(LoginRefused):
        accounts.authenticate("auditor", "a long enough passworD")
    capsys.readouterr()
    assert ruam.main(["people", "token", "auditor", "--db", db]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("ruam_") and accounts.token_person(token) == "auditor"
    assert accounts.revoke_tokens("auditor") == 1
    assert accounts.token_person(token) is None


def test_short_passwords_and_unknown_people_are_refused(db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert ruam.main(["people", "set-password", "auditor", "--db", db]) == 2
    assert "อย่างน้อย 10" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert ruam.main(["people", "set-password", "nobody", "--db", db]) == 1
    assert ruam.main(["people", "token", "nobody", "--db", db]) == 1


def test_only_hashes_are_stored(app):
    from sqlalchemy import text

    from engine.accounts import Accounts

    accounts = Accounts(app)
    accounts.set_password("admin", "a long enough password")
    token = accounts.new_token("admin")
    session, _ = accounts.open_session("admin")
    with app.store.reading() as tx:
        dump = " ".join(str(r) for table in ("credentials", "api_tokens", "web_sessions")
                        for r in tx.conn.execute(text(f"SELECT * FROM {table}")))
    assert "a long enough password" not in dump and token not in dump and session not in dump
    assert "$argon2id$" in dump
