"""A whole fiscal year through the ``ruam`` command, read as a Thai officer reads it.

Every human output — listings, a process, its steps, the ledger, people,
definitions, the calendar, reports and checkpoints, the outbox, status, the
audit's verify, replay, history and export, and the refusals and usage errors —
must carry no definition id, record kind, status, person id, ISO date or CE
year (an id only inside ``(รหัส …)``, where a person is shown what to type).
``--json`` keeps the ids. A new output that leaks one fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli.ruam import main
from tests import steps
from tests.thai_output import problems


class Walk:
    def __init__(self, db: str, tmp: Path, capsys) -> None:
        self.db, self.tmp, self.capsys = db, tmp, capsys
        self.found: list[str] = []
        self.people: set[str] = set()
        self.files = 0

    def file(self, data: dict) -> str:
        self.files += 1
        path = self.tmp / f"evidence-{self.files}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return str(path)

    def __call__(self, *argv: str, code: int = 0) -> str:
        got = main([*argv, "--db", self.db])
        out = self.capsys.readouterr()
        text = out.out + out.err
        assert got == code, f"ruam {' '.join(argv)} → {got}: {text}"
        self.found += problems(text, self.people, where="ruam " + " ".join(argv[:3]))
        return text


@pytest.fixture
def walk(tmp_path, capsys):
    w = Walk(f"sqlite:///{tmp_path / 'walk.db'}", tmp_path, capsys)
    w("init", "--demo")
    main(["people", "list", "--json", "--db", w.db])
    w.people = {p["id"] for p in json.loads(capsys.readouterr().out)}
    return w


def test_a_fiscal_year_through_the_cli_reads_in_thai(walk):
    w = walk
    w("cycle", "open", "2570")
    w("processes", "--fiscal-year", "2570")
    w("definitions", "list")
    w("definitions", "check")
    w("people", "list")
    w("process", "show", steps.PROCESS, "--as", steps.OFFICER)
    w("process", "show", steps.PROCESS)
    for trigger, actor, evidence in steps.HAPPY_PATH[:3]:
        w("advance", steps.PROCESS, trigger, "--as", actor, "--evidence-file", w.file(evidence))
    w("send-back", steps.PROCESS, "--as", steps.DIRECTOR, "--reason", "แก้ไขรายชื่อ")
    w("advance", steps.PROCESS, "send_notifications", "--as", steps.OFFICER,
      "--evidence-file", w.file(steps.notifications()))
    for trigger, actor, evidence in steps.HAPPY_PATH[3:]:
        w("advance", steps.PROCESS, trigger, "--as", actor, "--evidence-file", w.file(evidence))
    w("process", "show", steps.PROCESS)
    w("log", steps.PROCESS)
    w("log", "--limit", "40")
    w("people", "assign", "auditor", "responsible_officer", "--scope", "task_curriculum_administration")
    w("people", "add", "officer_extra", "--name", "เจ้าหน้าที่เพิ่ม (ตัวอย่าง)", "--position", "นักวิชาการ")
    w.people.add("officer_extra")
    w("tick")
    w("tick", "--now", "2570-03-17")              # a demo database: the simulated clock moves forward
    w("report", "submit", steps.PROCESS, "H1", "--as", steps.OFFICER, "--summary", "สรุปผล ๖ เดือน")
    w("checkpoint", "record", "2570/committee_supervision/r1/office", "--as", "ktpn_1",
      "--findings", "ดำเนินการตามแผน", "--advice", "ประชาสัมพันธ์เพิ่ม", "--held-on", "2570-03-16")
    w("checkpoint", "record", "2570/committee_supervision/extra", "--as", "ktpn_1",
      "--findings", "ครั้งเพิ่มเติม", "--advice", "ติดตามต่อ")
    w("report", "submit", steps.PROCESS, "H1", "--as", steps.OFFICER, "--summary", "อีกครั้ง", code=1)
    w("tick", "--now", "2570-04-01T00:00")        # what was not done by 31 March is overdue
    w("tick", "--all-offices", "--now", "2570-04-02T00:00")   # every office (here one), as the service does
    w("log", "--limit", "60")
    w("calendar", "--fiscal-year", "2570")
    w("calendar", "--overdue")
    w("outbox")
    w("status")
    w("verify")
    w("audit", "verify", "--no-progress")
    w("audit", "replay", "--as-of", "2570-09-30", "--no-progress")
    w("audit", "history", steps.PROCESS)
    w("audit", "export", "-o", str(w.tmp / "ledger.csv"), "--format", "csv", "--no-progress")
    w("audit", "verify", "--file", str(w.tmp / "ledger.csv"), "--seal", str(w.tmp / "ledger.csv.seal.json"),
      "--no-progress")
    assert not w.found, "\n".join(w.found)


def test_refusals_and_usage_errors_read_in_thai(walk):
    w = walk
    w("cycle", "open", "2570")
    w("cycle", "open", "2570x", code=2)
    w("advance", steps.PROCESS, "issue_appointment", "--as", steps.OFFICER,
      "--evidence-file", w.file(steps.appointment()), code=1)                      # not this state
    w("advance", steps.PROCESS, "complete_analysis", "--as", "auditor",
      "--evidence-file", w.file(steps.analysis()), code=1)                         # not allowed
    w("advance", steps.PROCESS, "complete_analysis", "--as", steps.OFFICER,
      "--evidence-file", w.file({"summary": ""}), code=1)                          # evidence missing
    w("advance", steps.PROCESS, "complete_analysis", "--as", steps.OFFICER, code=1)
    w("advance", steps.PROCESS, "complete_analysis", "--as", steps.OFFICER,
      "--evidence-file", w.file(steps.analysis() | {"legal_bases": "x"}), code=1)   # wrong type
    w("advance", "2570/no_such_task", "complete_analysis", "--as", steps.OFFICER, code=1)
    w("process", "show", "not-a-process", code=2)
    w("people", "assign", "nobody", "admin", code=1)
    w("audit", "replay", "--as-of", "2569-13-45", code=2)
    w("audit", "replay", "--as-of", "31/02/2570", code=2)
    w("tick", "--all-offices", "--office", "default", code=2)
    assert not w.found, "\n".join(w.found)


# --------------------------------------------------------------------------- the pages

def visible_text(html: str) -> str:
    """What a person reads on a page: its text, and the words in its fields, buttons and titles."""
    import html as htmlmod
    import re

    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    shown = []
    for tag in re.finditer(r"(?is)<(input|textarea|button|img|a|abbr|span|td|th|div|option)\b[^>]*>", html):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(0)))
        if tag.group(1).lower() == "input" and (attrs.get("type") in ("hidden", "checkbox", "radio")
                                                or re.search(r"\shidden[\s>]", tag.group(0))):
            continue
        for name in ("placeholder", "title", "aria-label", "alt", "value"):
            if name in attrs and not (name == "value" and tag.group(1).lower() in ("option", "button")):
                shown.append(attrs[name])
    inline = r"(?i)</?(?:code|small|strong|em|b|i|span|a|abbr|time|bdi|mark|output|label)\b[^>]*>"
    text = re.sub(r"(?s)<[^>]+>", "\n", re.sub(inline, "", html))
    return htmlmod.unescape(text + "\n" + "\n".join(shown))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_page_of_a_fiscal_year_reads_in_thai(web, clock):
    from fastapi.testclient import TestClient

    from tests.page_walk import VISITORS, build_scene, concrete, page_paths
    from tests.webkit import login

    export_id = build_scene(web, clock)
    people = {p["id"] for p in web.state.web.app.people()}
    found: list[str] = []
    seen = 0
    for person in VISITORS:
        with TestClient(web) as client:
            if person is not None:
                login(client, person)
            for url in [u for p in page_paths(web) for u in concrete(p, export_id)]:
                if "lang=en" in url or url.startswith("/lang/"):
                    continue
                page = client.get(url)
                if "text/html" not in page.headers.get("content-type", ""):
                    continue
                seen += 1
                found += problems(visible_text(page.text), people, where=f"{person or 'visitor'} {url}")
    assert seen > 40
    assert not found, "\n".join(dict.fromkeys(found))
