"""Definitions: the shipped files pass; each kind of broken file gives its error
with file, line and field — never a traceback."""

import subprocess
import sys

import pytest

from definitions import shipped_texts
from workflow.definitions import Calendar, Organization, Procedure
from workflow.errors import DefinitionError
from workflow.reader import load_definition

SHIPPED = dict(shipped_texts())
PROC = SHIPPED["definitions/procedure.yaml"]
ORG = SHIPPED["definitions/organization.yaml"]
CAL = SHIPPED["definitions/calendar.yaml"]


def test_shipped_definitions_load():
    proc, org, cal = load_definition(PROC), load_definition(ORG), load_definition(CAL)
    assert isinstance(proc, Procedure) and isinstance(org, Organization) and isinstance(cal, Calendar)
    assert [s.id for s in proc.states] == ["analyzing_regulations", "appointing", "notifying", "meeting",
                                           "reporting", "reviewing_feedback", "closed", "cancelled"]
    assert len(org.mission_groups) == 4 and len(org.tasks) == 11
    assert org.mission_group("mission_personnel").units == ("group_personnel_administration",
                                                            "group_teacher_personnel_development")
    committee = cal.item("committee_supervision")
    assert committee.minimum_count == 2 and committee.required_count is None
    assert cal.item("director_supervision").required_count == 2


def test_version_is_the_hash_of_content_not_formatting():
    a = load_definition(PROC)
    b = load_definition("# a comment\n" + PROC.replace("kind: procedure", "kind:   procedure"))
    assert a.version == b.version
    c = load_definition(PROC.replace("en: Send back}", "en: Return}"))
    assert c.version != a.version


def test_golden_paths_of_the_shipped_procedure():
    """The expected trigger paths, as data: every path from the initial state."""
    proc = load_definition(PROC)
    forward = {(t.trigger, s): t.dest for t in proc.transitions for s in t.sources}
    golden = {
        "one round": ["complete_analysis", "issue_appointment", "send_notifications", "record_meeting",
                      "send_report", "close"],
        "two rounds": ["complete_analysis", "issue_appointment", "send_notifications", "record_meeting",
                       "send_report", "next_round", "record_meeting", "send_report", "close"],
        "sent back once": ["complete_analysis", "send_back", "complete_analysis", "issue_appointment",
                           "send_notifications", "record_meeting", "send_report", "close"],
        "cancelled at the meeting": ["complete_analysis", "issue_appointment", "send_notifications", "cancel"],
    }
    ends = {"one round": "closed", "two rounds": "closed", "sent back once": "closed",
            "cancelled at the meeting": "cancelled"}
    for name, path in golden.items():
        state = proc.initial
        for trigger in path:
            assert (trigger, state) in forward, f"{name}: {trigger} from {state}"
            state = forward[(trigger, state)]
        assert state == ends[name], name


BROKEN = [
    ("unknown state", PROC.replace("to: appointing\n", "to: appointed\n", 1), "unknown state 'appointed'"),
    ("unreachable state", PROC.replace("from: reporting\n    to: reviewing_feedback", "from: reporting\n    to: meeting"),
     "unreachable"),
    ("duplicate trigger from one state",
     PROC.replace("trigger: record_meeting\n    from: meeting", "trigger: send_notifications\n    from: notifying"),
     "duplicate trigger 'send_notifications' from state 'notifying'"),
    ("unknown evidence type", PROC.replace("type: doc_number", "type: serial", 1), "unknown evidence type 'serial'"),
    ("missing title", PROC.replace("title: {th: ยกเลิก, en: Cancelled}", "seed: x"), "title: is required"),
    ("missing English", PROC.replace("en: Cancelled}", "xx: Cancelled}"), "title.en: missing title"),
    ("bad guard field", PROC.replace("field: legal_bases\n", "field: legal_basez\n", 1), "no evidence field 'legal_basez'"),
    ("unknown check", PROC.replace("check: not_future", "check: not_in_future", 1), "unknown check 'not_in_future'"),
    ("not YAML", PROC.replace("states:", "states: [", 1), "not valid YAML"),
    ("wrong kind", PROC.replace("kind: procedure", "kind: recipe"), "must be one of"),
    ("unknown key", ORG.replace("units:\n  - id: group_supervision", "unitz:\n  - id: group_supervision"), "unknown key"),
    ("bad month", CAL.replace("opens: {month: 3, day: 1}", "opens: {month: 13, day: 1}"), "month: must be 1–12"),
    ("31 February", CAL.replace("due: {month: 3, day: 31}", "due: {month: 2, day: 31}", 1), "day: must be 1–29"),
    ("required count mismatch", CAL.replace("required_count: 2", "required_count: 3", 1), "is 3 but 2 round(s)"),
]


@pytest.mark.parametrize("name,text,expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_each_kind_of_broken_definition(name, text, expected):
    with pytest.raises(DefinitionError) as err:
        load_definition(text, "office.yaml")
    messages = [str(p) for p in err.value.problems]
    assert any(expected in m for m in messages), messages
    assert all(m.startswith("office.yaml") for m in messages)
    assert any(p.line for p in err.value.problems)


def test_unknown_role_is_found_when_read_with_the_organization(tmp_path):
    broken = tmp_path / "procedure.yaml"
    broken.write_text(PROC.replace("roles: [group_director, esa_director]", "roles: [group_director, pope]"),
                      encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "engine.cli", "definitions", "check", str(broken), "--lang", "en"],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "unknown role 'pope'" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_check_reports_every_problem_with_file_and_line(tmp_path):
    broken = tmp_path / "calendar.yaml"
    broken.write_text(CAL.replace("opens: {month: 3, day: 1}", "opens: {month: 13, day: 1}")
                      .replace("kind: checkpoint", "kind: party", 1), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "engine.cli", "definitions", "check", str(broken)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    lines = [x for x in done.stderr.splitlines() if x.startswith(str(broken))]
    assert len(lines) == 2, done.stderr
    assert all(":" in x.removeprefix(str(broken))[1:] for x in lines)
    ok = subprocess.run([sys.executable, "-m", "engine.cli", "definitions", "check"], capture_output=True, text=True)
    from definitions import ita_texts

    assert ok.returncode == 0 and ok.stdout.count("ผ่าน ") == 4 + len(ita_texts())   # and the ITA catalogues
