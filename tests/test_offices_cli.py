"""The commands over every office: ``ruam tick --all-offices``, ``ruam status`` per office,
``ruam verify`` naming its office, and the default office's name from its letterhead.

- ``tick --all-offices`` ticks every office as the service's wake-up does (one piece of
  code, ``engine.offices.tick_every_office``): an office whose definitions are broken is
  named with its problem and passed over, the others ticked; exit 1 when any failed;
- that failure is kept per office (a status row per office: no migration) and ``ruam
  status`` shows each office's last tick and last error, in BE and Bangkok time; an
  office that goes through again has its error cleared;
- ``verify`` / ``audit verify`` name the office they verified (``office`` in JSON);
- the default office, named ``สำนักงานหลัก`` by the migration, is shown by the office name
  of its organization's letterhead when it has one, by every face.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from definitions import shipped_texts
from engine.cli.ruam import main
from engine.offices import add_office
from tests.test_offices import _break_definitions, _signed_in
from tests.thai_output import problems

LETTERHEAD_NAME = "สำนักงานเขตพื้นที่การศึกษาประถมศึกษา (ตัวอย่าง) เขต ๑"  # definitions/organization.yaml
STATUS_ROWS = 9  # the service's rows of 'ruam status' (scheduler … database)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def three(app, db):
    """The default office, north (with an English name) and south, whose definitions are broken."""
    add_office(app, "north", "สำนักงานเหนือ", "North office")
    add_office(app, "south", "สำนักงานใต้", "South office")
    _break_definitions(app.for_office("south"))
    return app, db


def _human(text: str) -> list[str]:
    """What in a human output is not Thai, whole (no ids but in (รหัส …), no ISO, no CE year)."""
    return problems(text)


# ------------------------------------------------------------------------------ ruam tick --all-offices
def test_tick_all_offices_ticks_each_office_and_names_the_broken_one(three, capsys):
    app, db = three
    code, out, _ = _run(capsys, "--db", db, "tick", "--all-offices")
    assert code == 1                                       # one office failed
    lines = out.splitlines()
    [default_line] = [ln for ln in lines if ln.startswith(LETTERHEAD_NAME)]
    [north_line] = [ln for ln in lines if ln.startswith("สำนักงานเหนือ (รหัส north)")]
    [south_line] = [ln for ln in lines if ln.startswith("สำนักงานใต้ (รหัส south)")]
    assert "เปิดกระบวนการ 11" in default_line and "เปิดกระบวนการ 11" in north_line
    assert "ตรวจไม่สำเร็จ" in south_line and "ไม่พบนิยาม" in south_line   # its problem, in Thai
    assert lines[-1] == "สำนักงาน 3 แห่ง ตรวจแล้ว 2 แห่ง ไม่สำเร็จ 1 แห่ง"
    assert _human(out) == []
    for office in (app, app.for_office("north")):
        assert len(office.processes(fiscal_year=2570)) == 11
    assert app.for_office("south").processes() == []
    # again: each office's items were opened once, the broken office still reported
    code, out, _ = _run(capsys, "--db", db, "tick", "--all-offices", "--lang", "en")
    assert code == 1
    assert any(ln.startswith("North office (id north): tick at") and "processes opened 0" in ln
               for ln in out.splitlines())
    assert any(ln.startswith("South office (id south): not ticked") and "no definition" in ln
               for ln in out.splitlines())
    assert out.splitlines()[-1] == "3 office(s): 2 ticked, 1 failed"
    assert len(app.processes(fiscal_year=2570)) == 11


def test_tick_all_offices_json_lists_each_office_and_every_office_ok_is_exit_0(three, capsys):
    app, db = three
    code, out, _ = _run(capsys, "--db", db, "tick", "--all-offices", "--json")
    assert code == 1
    got = json.loads(out)
    by = {o["office"]: o for o in got["offices"]}
    assert list(by) == ["default", "north", "south"] and got["failed"] == ["south"]
    assert by["north"]["ok"] and by["north"]["summary"]["processes_opened"] == 11
    assert not by["south"]["ok"] and by["south"]["error"].startswith("NotFound")
    assert "ไม่พบนิยาม" in by["south"]["problem"]["th"]
    south = app.for_office("south")
    south.register_definitions(shipped_texts())  # south's definitions mended
    code, out, _ = _run(capsys, "--db", db, "tick", "--all-offices", "--json")
    assert code == 0 and json.loads(out)["failed"] == []
    assert len(south.processes(fiscal_year=2570)) == 11


def test_tick_all_offices_with_office_is_a_usage_error(three, capsys):
    app, db = three
    code, _, err = _run(capsys, "--db", db, "--office", "north", "tick", "--all-offices")
    assert code == 2 and "--office" in err and "Traceback" not in err
    code, _, err = _run(capsys, "--db", db, "tick", "--all-offices", "--office", "north")
    assert code == 2
    assert app.for_office("north").processes() == []           # nothing ticked


def test_tick_all_offices_ahead_of_a_real_databases_clock_is_refused_once(store, capsys):
    from engine.app import Ruam

    app = Ruam(store)
    app.init()  # a real office's database (not a demonstration): its clock is the real one
    add_office(app, "north", "สำนักงานเหนือ", "North office")
    capsys.readouterr()
    code, out, err = _run(capsys, "--db", store.url, "tick", "--all-offices", "--now", "2580-01-01")
    assert code == 1 and out == "" and err.count("ตรวจปฏิทินล่วงหน้าไม่ได้") == 1
    assert app.for_office("north").processes() == [] and app.processes() == []
    info = json.loads(_run(capsys, "--db", store.url, "status", "--json")[1])
    assert [o["last_error"] for o in info["offices"]] == [None, None]   # not an office's failure
    assert _run(capsys, "--db", store.url, "tick", "--all-offices")[0] == 0   # now: every office ticked


def test_tick_all_offices_is_the_schedulers_wake_up(three, capsys, monkeypatch):
    """One piece of code: the command calls what the scheduler calls."""
    import engine.offices

    _app, db = three
    seen = []
    real = engine.offices.tick_every_office

    def spy(*a, **kw):
        seen.append(kw.get("now"))
        return real(*a, **kw)

    monkeypatch.setattr(engine.offices, "tick_every_office", spy)
    assert _run(capsys, "--db", db, "tick", "--all-offices")[0] == 1
    assert seen == [None]


# ------------------------------------------------------------------------------ ruam status, per office
def test_status_shows_each_offices_last_tick_and_error_and_clears_it_once_mended(three, capsys):
    app, db = three
    _run(capsys, "--db", db, "tick", "--all-offices")
    code, out, _ = _run(capsys, "--db", db, "status")
    assert code == 0
    lines = out.splitlines()
    assert lines[STATUS_ROWS] == "สำนักงาน 3 แห่ง:"
    default, north, south = lines[STATUS_ROWS + 1:]
    assert default.startswith(f"  - {LETTERHEAD_NAME} (รหัส default): ตรวจปฏิทินล่าสุด ")
    assert north.startswith("  - สำนักงานเหนือ (รหัส north): ตรวจปฏิทินล่าสุด ") and "ข้อผิดพลาด" not in north
    assert "ตรวจปฏิทินล่าสุด -" in south                       # never ticked
    assert "ข้อผิดพลาดล่าสุด: ไม่พบนิยาม" in south and "น.)" in south  # the problem, when (Bangkok time)
    assert _human(out) == []
    info = json.loads(_run(capsys, "--db", db, "status", "--json")[1])
    by = {o["code"]: o for o in info["offices"]}
    assert [o["id"] for o in info["offices"]] == [1, 2, 3]
    assert by["south"]["last_error"]["en"].startswith("no definition") and by["south"]["last_error_at"]
    assert by["north"]["last_tick_at"].endswith("+00:00") and by["north"]["last_error"] is None
    assert by["north"]["last_wakeup_summary"]["processes_opened"] == 11
    app.for_office("south").register_definitions(shipped_texts())
    _run(capsys, "--db", db, "tick", "--all-offices")
    info = json.loads(_run(capsys, "--db", db, "status", "--json")[1])
    assert [o["last_error"] for o in info["offices"]] == [None, None, None]
    assert all(o["last_tick_at"] for o in info["offices"])


def test_status_shows_what_the_scheduler_kept_per_office(three, capsys):
    from engine.service.scheduler import Runner

    app, db = three
    Runner(app).run()
    out = _run(capsys, "--db", db, "status", "--lang", "en")[1]
    lines = out.splitlines()
    [service_error] = [ln for ln in lines if ln.startswith("last error:")]
    assert "South office (id south)" in service_error and "{" not in service_error  # named, not JSON
    [south] = [ln for ln in lines if "(id south)" in ln and ln.startswith("  - ")]
    assert "last error: no definition" in south


def test_status_of_the_default_office_alone_is_one_line_more(app, db, capsys):
    code, out, _ = _run(capsys, "--db", db, "status")
    lines = out.splitlines()
    assert code == 0 and len(lines) == STATUS_ROWS + 1
    assert lines[0].startswith("ตัวตั้งเวลา: ") and lines[STATUS_ROWS - 1].startswith("ฐานข้อมูล: ")
    assert lines[-1] == f"สำนักงาน: {LETTERHEAD_NAME} (รหัส default)"
    _break_definitions(app)
    _run(capsys, "--db", db, "tick", "--all-offices")
    lines = _run(capsys, "--db", db, "status")[1].splitlines()
    assert len(lines) == STATUS_ROWS + 1 and "ข้อผิดพลาดล่าสุด: ไม่พบนิยาม" in lines[-1]


# ------------------------------------------------------------------------------ verify names its office
@pytest.mark.parametrize("command", [["verify"], ["audit", "verify"]])
def test_verify_names_the_office_it_verified(app, db, capsys, command):
    add_office(app, "north", "สำนักงานเหนือ", "North office")
    code, out, _ = _run(capsys, "--db", db, *command)
    assert code == 0 and out.splitlines()[1] == f"  สำนักงาน: {LETTERHEAD_NAME} (รหัส default)"
    code, out, _ = _run(capsys, "--db", db, "--office", "north", *command, "--lang", "en")
    assert code == 0 and out.splitlines()[1] == "  office: North office (id north)"
    code, out, _ = _run(capsys, "--db", db, "--office", "north", *command, "--json")
    assert code == 0 and json.loads(out)["office"] == "north"
    assert json.loads(_run(capsys, "--db", db, *command, "--json")[1])["office"] == "default"


def test_verify_all_offices_names_each_office_and_refuses_office(app, db, capsys):
    add_office(app, "north", "สำนักงานเหนือ", "North office")
    code, out, _ = _run(capsys, "--db", db, "audit", "verify", "--all-offices")
    assert code == 0
    assert out.splitlines()[0].startswith(f"{LETTERHEAD_NAME} (รหัส default): ผ่าน")
    assert [o["office"] for o in json.loads(_run(capsys, "--db", db, "audit", "verify", "--all-offices",
                                                 "--json")[1])] == ["default", "north"]
    code, _, err = _run(capsys, "--db", db, "--office", "north", "audit", "verify", "--all-offices")
    assert code == 2 and "--office" in err


# ------------------------------------------------------------------------------ the default office's name
def _without_letterhead(app) -> None:
    texts = []
    for name, text in shipped_texts():
        if name.endswith("organization.yaml"):
            text = text[:text.index("\nletterhead:")] + "\n"
        texts.append((name, text))
    app.register_definitions(texts)


def test_the_default_office_is_named_by_its_letterhead_else_by_its_stored_name(app, db, capsys):
    add_office(app, "north", "สำนักงานเหนือ", "North office")  # shipped definitions: the same letterhead
    out = _run(capsys, "--db", db, "office", "list")[1]
    assert out.splitlines()[0].startswith(f"{LETTERHEAD_NAME} [ค่าตั้งต้น] (รหัส default)")
    assert out.splitlines()[1].startswith("สำนักงานเหนือ (รหัส north)")   # an added office keeps its name
    out = _run(capsys, "--db", db, "office", "show", "default", "--lang", "en")[1]
    assert out.startswith(f"{LETTERHEAD_NAME} [default] (id default)")   # no English name: the Thai one
    shown = json.loads(_run(capsys, "--db", db, "office", "show", "default", "--json")[1])
    assert (shown["name_th"], shown["stored_name_th"], shown["stored_name_en"]) == \
        (LETTERHEAD_NAME, "สำนักงานหลัก", "Main office")
    _without_letterhead(app)
    out = _run(capsys, "--db", db, "office", "list")[1]
    assert out.splitlines()[0].startswith("สำนักงานหลัก [ค่าตั้งต้น] (รหัส default)")
    assert _run(capsys, "--db", db, "office", "list", "--lang", "en")[1].startswith("Main office [default]")
    assert _run(capsys, "--db", db, "verify")[1].splitlines()[1] == "  สำนักงาน: สำนักงานหลัก (รหัส default)"


def test_the_overview_and_another_offices_pages_name_the_default_office_by_its_letterhead(web):
    """A person of north granted a role by the default office sees it by its letterhead's name in
    their overview; north's people shown in the default office carry north's own name."""
    app = web.state.web.app
    add_office(app, "north", "สำนักงานเหนือ", "North office")
    north = app.for_office("north")
    north.load_demo()
    app.assign_role("auditor@north", "auditor")
    from engine.offices import overview

    [row] = overview(north, "auditor")
    assert (row["code"], row["name_th"]) == ("default", LETTERHEAD_NAME)
    north.assign_role("auditor@default", "auditor")
    [row] = overview(app, "auditor")
    assert (row["code"], row["name_th"]) == ("north", "สำนักงานเหนือ")
    # the default office's auditor, shown in north's pages with their office's name
    assert any(p["id"] == "auditor@default" and p["position"].endswith(LETTERHEAD_NAME)
               for p in north.people_to_name())
    auditor, _session = _signed_in(web.state.web, "auditor")
    with TestClient(web) as client:
        [row] = client.get("/api/offices", headers=auditor).json()
        assert row["name_th"] == "สำนักงานเหนือ"


# ------------------------------------------------------------------------------ an export names its office
def test_an_export_and_its_offline_verify_name_the_office_whose_chain_it_holds(app, db, capsys, tmp_path):
    """The seal names the office (by the name every face shows it by, and its code); the offline
    verify of the file names it too: the code from its records (under their hashes), the name from
    the file's first line when that line names the same office."""
    add_office(app, "north", "สำนักงานเหนือ", "North office")
    target = tmp_path / "north.jsonl"
    code, out, _ = _run(capsys, "--db", db, "--office", "north", "audit", "export", "-o", str(target),
                        "--no-progress")
    assert code == 0 and "หน่วยงาน:         สำนักงานเหนือ" in out
    sealed = json.loads((tmp_path / "north.jsonl.seal.json").read_text(encoding="utf-8"))
    assert sealed["office"] == {"code": "north", "th": "สำนักงานเหนือ", "en": "North office"}
    code, out, _ = _run(capsys, "audit", "verify", "--file", str(target))
    assert code == 0 and out.splitlines()[1] == "  สำนักงาน: สำนักงานเหนือ (รหัส north)"
    assert _run(capsys, "audit", "verify", "--file", str(target), "--lang", "en")[1].splitlines()[1] == \
        "  office: North office (id north)"
    assert json.loads(_run(capsys, "audit", "verify", "--file", str(target), "--json")[1])["office"] == "north"
    # a first line edited to name another office: the records' office, by its code alone
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    target.write_text(lines[0].replace('"code": "north"', '"code": "south"') + "".join(lines[1:]),
                      encoding="utf-8")
    code, out, _ = _run(capsys, "audit", "verify", "--file", str(target))
    assert code == 0 and out.splitlines()[1] == "  สำนักงาน: (รหัส north)"
    # the default office's CSV export: named by its letterhead, from the definitions file beside it
    csv_file = tmp_path / "default.csv"
    assert _run(capsys, "--db", db, "audit", "export", "-o", str(csv_file), "--format", "csv", "--no-progress")[0] == 0
    code, out, _ = _run(capsys, "audit", "verify", "--file", str(csv_file))
    assert code == 0 and out.splitlines()[1] == f"  สำนักงาน: {LETTERHEAD_NAME} (รหัส default)"
    assert _human(out) == []


def test_the_audit_page_names_the_office_it_audits(web):
    """An auditor of the default office granted the role by north audits north's ledger at
    /o/north/audit: the page says whose ledger it is."""
    app = web.state.web.app
    add_office(app, "north", "สำนักงานเหนือ", "North office")
    app.for_office("north").assign_role("auditor@default", "auditor")
    _token, session = _signed_in(web.state.web, "auditor")
    with TestClient(web) as client:
        client.cookies.set("ruam_session", session)
        page = client.get("/o/north/audit?run=1")
        assert page.status_code == 200 and "<p class=\"office-of\" data-office>สำนักงาน: สำนักงานเหนือ</p>" in page.text
        page = client.get("/audit")
        assert f"สำนักงาน: {LETTERHEAD_NAME}</p>" in page.text
