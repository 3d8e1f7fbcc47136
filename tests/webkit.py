"""Helpers for the web tests: a client per person, form flattening."""

from __future__ import annotations

import re
from typing import Any

from argon2 import PasswordHasher

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # tests only
PASSWORD = "a long enough password"

PEOPLE = ["officer_teacher_welfare", "director_administration", "director_policy_planning", "deputy_4",
          "esa_director", "ktpn_1", "auditor", "admin"]


def flatten(evidence: dict) -> dict[str, str]:
    """Evidence as the process page's form posts it."""
    out: dict[str, str] = {}
    for key, value in evidence.items():
        if isinstance(value, list):
            for i, item in enumerate(value):
                for sub, v in item.items():
                    out[f"{key}[{i}].{sub}"] = _text(v)
        else:
            out[key] = _text(value)
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def login(client, person: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"person": person, "password": password,
                                       "token": hidden(page.text, "token"), "next": "/"},
                       follow_redirects=False)
