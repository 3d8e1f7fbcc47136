"""The office's public site and the /ita page over HTTP, and the link check against a
running server: what an assessor opens, what the working group reads."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests import steps
from tests.ita_helpers import cancel_others, complete_task
from tests.ports import serving
from tests.webkit import login

SENDER = "นางสาวผู้ส่งความเห็น ทดสอบ"


@pytest.fixture
def client(web):
    with TestClient(web) as c:
        yield c


def test_the_public_site_shows_the_measure_the_years_and_a_tasks_four_elements(client, opened):
    from engine.feedback import receive_feedback

    opened.add_person("staff_x", "เจ้าหน้าที่ ก", "นักจัดการงานทั่วไป", "staff.x@example.go.th")
    receive_feedback(opened, "2570/task_cooperation_network", "ขอให้เผยแพร่ผลการประชุม", SENDER)
    order, _m = complete_task(opened, publish=False)
    home = client.get("/public").text
    assert "ระเบียบกระทรวงศึกษาธิการ" in home and "มาตรา ๘ (๒)" in home          # the legal basis
    assert 'href="/public/2570"' in home and "งานส่งเสริมสวัสดิการ" in home
    year = client.get("/public/2570").text
    titles = re.findall(r'<h2 id="g\d+">([^<]+)</h2>', year)
    assert titles[0].startswith("กลุ่มนิเทศ") and titles[-1] == "กลุ่มอำนวยการ"   # the announcement's order
    assert "องค์ประกอบครบ ๔ ด้าน" in year
    page = client.get(f"/public/{steps.PROCESS}")
    assert page.status_code == 200
    text = page.text
    for heading in ("๑. ประเด็นที่เปิดโอกาสให้มีส่วนร่วม", "๒. ผู้มีส่วนร่วม", "๓. ผลการมีส่วนร่วม",
                    "๔. การนำผลไปปรับปรุงการดำเนินงาน"):
        assert heading in text
    assert "ชุมชนตำบลตัวอย่าง" in text and "เพิ่มช่องทางประชาสัมพันธ์" in text and "15 พฤศจิกายน 2569" in text
    assert "เผยแพร่: 20 พฤศจิกายน 2569" in text and "ปรับปรุงล่าสุด" in text
    # PDPA: names, positions, organisations only: no e-mail, no account, no sender of an opinion
    assert "@" not in text and SENDER not in text
    for account in (steps.OFFICER, steps.DIRECTOR, "staff_x", "esa_director"):
        assert account not in text
    assert not re.search(r"\b\d{13}\b|\d-\d{4}-\d{5}-\d{2}-\d", text)            # no national id
    # the scan is not served until marked public, then it is, and the page links it
    url = f"/public/{steps.PROCESS}/files/{order['sha256']}"
    assert url not in text and client.get(url).status_code == 404
    login(client, steps.DIRECTOR)
    proc = client.get(f"/processes/{steps.PROCESS}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', proc).group(1)
    r = client.post(f"/processes/{steps.PROCESS}/files/{order['sha256']}/publish",
                    data={"csrf": csrf, "public": "1"}, follow_redirects=False)
    assert r.status_code == 303
    assert "เผยแพร่บนหน้าสาธารณะแล้ว" in client.get(f"/processes/{steps.PROCESS}").text
    assert url in client.get(f"/public/{steps.PROCESS}").text and client.get(url).status_code == 200
    # the opinion form still works on an open task's page, which names no sender
    other = client.get("/public/2570/task_cooperation_network").text
    assert 'action="/public/2570/task_cooperation_network/feedback"' in other and SENDER not in other


def test_a_drafted_document_answers_404_in_thai_until_the_documents_machinery_lands(client, opened):
    steps.run(opened, steps.HAPPY_PATH)
    r = client.get(f"/public/{steps.PROCESS}/documents/appointment")
    try:
        import engine.documents.service  # noqa: F401
    except ImportError:
        assert r.status_code == 404 and "ไม่พบเอกสาร" in r.text
    else:
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"


def test_the_ita_page_is_for_the_admin_group_and_directors(client, opened):
    assert client.get("/ita", follow_redirects=False).status_code == 303          # sign in first
    login(client, steps.OFFICER)
    assert client.get("/ita").status_code == 403
    client.cookies.clear()
    login(client, steps.DIRECTOR)
    page = client.get("/ita?fiscal_year=2570")
    assert page.status_code == 200
    assert "ข้อ O19 การเปิดโอกาสให้เกิดการมีส่วนร่วม" in page.text and "ใช้รหัสข้อของปี 2569" in page.text
    assert f'href="/processes/{steps.PROCESS}"' in page.text and "ยังไม่มีการประชุม" in page.text
    xlsx = client.get("/ita/sheet/2570.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/ita/sheet/2570.csv").text.startswith("\ufeffข้อ,ชื่อข้อ,มี/ไม่มี,URL")
    assert client.get("/ita/sheet/2570.doc").status_code == 404


@pytest.fixture
def running(web):
    yield from serving(web)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_link_of_the_sheet_answers_on_the_running_service(running, opened, db, capsys, monkeypatch):
    from engine.cli.ruam import main
    from engine.ita.check import check
    from engine.ita.sheet import linked_urls
    from tests.ports import free_port

    order, minutes = complete_task(opened)
    cancel_others(opened)
    urls = linked_urls(check(opened, 2570), running)
    assert f"{running}/public/2570" in urls and f"{running}/public/{steps.PROCESS}" in urls
    assert f"{running}/public/{steps.PROCESS}/files/{order['sha256']}" in urls
    assert main(["ita", "links", "--fiscal-year", "2570", "--db", db, "--base-url", running]) == 0
    out = capsys.readouterr().out
    assert f"ใช้ได้    {running}/public/2570" in out and "ใช้ไม่ได้ 0" in out
    # a file withdrawn from the public site: its link (still in a sheet sent earlier) fails
    from engine.ita import sheet
    from engine.ita.publish import mark_public

    monkeypatch.setattr(sheet, "linked_urls", lambda report, base, _u=urls: _u)
    mark_public(opened, steps.PROCESS, minutes["sha256"], steps.DIRECTOR, public=False)
    assert main(["ita", "links", "--fiscal-year", "2570", "--db", db, "--base-url", running]) == 1
    assert "ตอบ 404" in capsys.readouterr().out
    dead = f"http://127.0.0.1:{free_port()}"
    assert main(["ita", "links", "--fiscal-year", "2570", "--db", db, "--base-url", dead, "--json"]) == 1
    assert '"failed": ' in capsys.readouterr().out


def test_a_tasks_page_shows_its_semiannual_report_and_supervision_results(client, opened, clock):
    from engine.calendar import tick
    from engine.calendar_items import record_checkpoint, submit_report
    from engine.ita.elements import task_elements
    from engine.ita.publish import mark_public
    from tests.calendar_helpers import bkk

    complete_task(opened)
    clock.set(bkk(2027, 3, 10, 10))
    tick(opened)
    memo = opened.store_attachment(b"%PDF-1.4 the 6-month report", "รายงานรอบหกเดือน.pdf")
    submit_report(opened, 2570, steps.TASK, "h1", steps.OFFICER, "ดำเนินการครบตามแผนรอบหกเดือน", files=[memo])
    record_checkpoint(opened, "2570/director_supervision/r1/mission_administration", "deputy_4", {
        "findings": "ทั้งกลุ่มดำเนินการตามแผน", "advice": "ต่อเนื่อง", "held_on": "2570-03-09",
        "tasks": [{"task": "task_cooperation_network", "findings": "มีผู้แทนภายนอกครบ", "advice": "ประชาสัมพันธ์เพิ่ม"},
                  {"task": steps.TASK, "findings": "ประชุมตามแผนพร้อมผู้แทนชุมชน", "advice": "สรุปผลให้ทันเวลา"}]})
    el = next(t for t in task_elements(opened, 2570) if t.task_id == steps.TASK)
    [h1] = [r for r in el.reports if r.done_on]
    assert h1.texts["summary"] == "ดำเนินการครบตามแผนรอบหกเดือน" and h1.done_on.isoformat() == "2027-03-10"
    [sup] = [s for s in el.supervision if s.done_on]
    assert sup.texts["task_findings"] == "ประชุมตามแผนพร้อมผู้แทนชุมชน"
    mark_public(opened, steps.PROCESS, memo["sha256"], steps.OFFICER)
    page = client.get(f"/public/{steps.PROCESS}").text
    assert "ดำเนินการครบตามแผนรอบหกเดือน" in page and "10 มีนาคม 2570" in page
    assert "ประชุมตามแผนพร้อมผู้แทนชุมชน" in page and "สรุปผลให้ทันเวลา" in page
    assert "รายงานสรุปผลการดำเนินงาน — รายงานรอบหกเดือน.pdf" in page
    assert "deputy_4" not in page and "รองผู้อำนวยการ สพป. คนที่ 4" not in page      # who recorded it: not published
