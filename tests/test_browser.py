"""Real headless Chromium (Debian's ``chromium``, driven by Playwright) against
``ruam``'s web face served by uvicorn on 127.0.0.1. Skipped when either is absent.

``RUAM_SCREENSHOTS=1`` also saves screenshots of the main pages under docs/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests import steps
from tests.ports import serving
from tests.webkit import PASSWORD

CHROMIUM = os.environ.get("RUAM_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
DOCS = Path(__file__).resolve().parent.parent / "docs"
SHOTS = os.environ.get("RUAM_SCREENSHOTS") == "1"

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


@pytest.fixture
def server(web):
    yield from serving(web)


@pytest.fixture
def chromium():
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


def shot(page, name: str) -> None:
    if SHOTS:
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)


def sign_in(browser, base: str, person: str, **ctx):
    context = browser.new_context(locale="th-TH", **ctx)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("รหัสผู้ใช้").fill(person)
    page.get_by_label("รหัสผ่าน").fill(PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(f"{base}/")
    return context, page


def fill_analysis(page) -> None:
    form = page.locator('form[data-trigger="complete_analysis"]')
    evidence = steps.analysis()
    form.locator('[name="legal_bases[0].title"]').fill(evidence["legal_bases"][0]["title"])
    form.locator('[name="legal_bases[0].section"]').fill(evidence["legal_bases"][0]["section"])
    form.locator('[name="summary"]').fill(evidence["summary"])
    for i, person in enumerate(evidence["proposed_appointees"][:2]):
        for key in ("name", "position", "organisation"):
            form.locator(f'[name="proposed_appointees[{i}].{key}"]').fill(person[key])
        form.locator(f'[name="proposed_appointees[{i}].kind"]').select_option(person["kind"])
        form.locator(f'[name="proposed_appointees[{i}].external"]').select_option(
            "true" if person["external"] else "false")


def test_director_advances_with_evidence_and_a_double_submit_is_explained(server, chromium):
    context, page = sign_in(chromium, server, "director_administration")
    shot(page, "my-work")
    page.goto(f"{server}/dashboard")
    shot(page, "dashboard")
    page.goto(f"{server}/processes/2570/task_teacher_welfare")
    fill_analysis(page)
    shot(page, "process-form")
    page.locator('form[data-trigger="complete_analysis"] button[type="submit"]').click()
    page.wait_for_selector("text=บันทึกแล้ว")
    assert page.locator('[data-state]').get_attribute("data-state") == "appointing"

    # two tabs read version 1; both send back; the second is told why it failed
    other = context.new_page()
    other.goto(page.url.split("?")[0])
    for tab in (page, other):
        tab.locator("details.send_back summary").click()
        tab.locator('form[data-trigger="send_back"] [name="reason"]').fill("ขอแก้ไขรายชื่อ")
    page.locator('form[data-trigger="send_back"] button[type="submit"]').click()
    page.wait_for_selector("text=บันทึกแล้ว")
    other.locator('form[data-trigger="send_back"] button[type="submit"]').click()
    alert = other.get_by_role("alert")
    assert "ถูกแก้ไขโดยผู้อื่นแล้ว" in alert.inner_text()
    shot(other, "conflict")
    context.close()


def test_citizen_feedback_reaches_the_officer(server, chromium, opened, clock):
    steps.run(opened, steps.HAPPY_PATH[:-1])
    citizen = chromium.new_context(locale="th-TH", viewport={"width": 390, "height": 844})
    page = citizen.new_page()
    page.goto(f"{server}/public/2570/task_teacher_welfare")
    page.get_by_label("ความคิดเห็นหรือข้อเสนอแนะ").fill("ขอให้เผยแพร่รายงานการประชุมทางเว็บไซต์ของสำนักงาน")
    shot(page, "public-feedback-phone")
    clock.advance(seconds=30)  # a person takes time to write
    page.get_by_role("button", name="ส่งความคิดเห็น").click()
    status = page.get_by_role("status")
    assert "ได้รับความคิดเห็นของท่านแล้ว" in status.inner_text()
    citizen.close()

    context, officer = sign_in(chromium, server, "director_administration")
    officer.goto(f"{server}/processes/2570/task_teacher_welfare")
    assert "ขอให้เผยแพร่รายงานการประชุมทางเว็บไซต์ของสำนักงาน" in officer.locator("#fb-h + ul").inner_text()
    shot(officer, "process-feedback")
    context.close()


def test_auditor_runs_verify(server, chromium):
    context, page = sign_in(chromium, server, "auditor")
    page.goto(f"{server}/audit")
    page.get_by_role("button", name="ตรวจสอบตอนนี้").click()
    assert "ผ่าน" in page.locator('[data-verify="ok"]').inner_text()
    shot(page, "audit")
    page.get_by_label("ณ สิ้นวันที่").fill("2026-11-20")
    page.locator('form[action="/audit"] button:has-text("แสดง")').click()
    assert page.locator("[data-replay]").is_visible()
    page.get_by_role("button", name="ส่งออก JSONL").click()
    seal = page.locator("[data-seal]")
    assert "ลงชื่อ" in seal.inner_text()
    with page.expect_download() as download:
        page.locator("#seal a.button").click()
    assert download.value.suggested_filename.endswith(".jsonl")
    shot(page, "audit-export")
    page.goto(f"{server}/admin/people")
    context.close()


def test_login_and_admin_pages_render(server, chromium):
    context = chromium.new_context(locale="th-TH")
    page = context.new_page()
    page.goto(f"{server}/login")
    shot(page, "login")
    context.close()
    context, page = sign_in(chromium, server, "admin")
    page.goto(f"{server}/admin/people")
    assert page.get_by_role("heading", name="เพิ่มบุคคล").is_visible()
    shot(page, "admin-people")
    context.close()


def test_deputy_director_records_a_checkpoint(server, chromium, opened, clock):
    from engine.calendar import tick
    from engine.calendar_items import submit_report
    from tests.calendar_helpers import bkk

    clock.set(bkk(2027, 3, 10, 10))
    tick(opened)
    submit_report(opened, 2570, "task_teacher_welfare", "h1", "officer_teacher_welfare", "สรุปผล ๖ เดือน")
    item = "2570/director_supervision/r1/mission_administration"
    context, page = sign_in(chromium, server, "deputy_4", viewport={"width": 1100, "height": 900})
    assert page.locator(f'[data-item="{item}"]').is_visible()  # my work: waiting for me
    page.get_by_role("navigation").get_by_role("link", name="ปฏิทินการกำกับติดตาม").click()
    page.locator(f'tr[data-item="{item}"] a').click()
    page.get_by_label("วันที่กำกับติดตาม/ประชุม (ไม่บังคับ)").fill("2027-03-09")
    page.locator("#findings").fill("ทุกงานดำเนินการตามมาตรการ")
    page.locator("#advice").fill("ติดตามการเผยแพร่ผลต่อเนื่อง")
    for i in range(2):
        page.locator(f'[name="tasks[{i}].findings"]').fill("ประชุมตามแผน มีผู้แทนภายนอก")
        page.locator(f'[name="tasks[{i}].advice"]').fill("สรุปผลให้ทันเวลา")
    page.locator('[name="tasks[1].advice"]').press("Tab")  # keyboard on to the submit button
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=บันทึกแล้ว")
    assert "✓" in page.locator(f'tr[data-item="{item}"]').inner_text()
    context.close()
    clock.set(bkk(2027, 4, 2, 10))  # April: the group's other first-half report is overdue
    tick(opened)
    context, page = sign_in(chromium, server, "deputy_4", viewport={"width": 1100, "height": 900})
    page.goto(f"{server}/calendar?fiscal_year=2570")
    assert page.locator("tr.status-overdue").count() >= 1
    shot(page, "calendar")
    context.close()
