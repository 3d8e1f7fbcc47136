"""The /reports page in real headless Chromium: at 390 px it does not scroll sideways, the four charts
are drawn at the width of the screen with their Thai labels in the web font the page serves (none
needed on the phone), and the tables stack. ``RUAM_SCREENSHOTS=1`` saves docs/reports.png (desktop)
and docs/phone-reports.png."""

from __future__ import annotations

import shutil

import pytest

from tests import report_scenario as sc
from tests.test_browser import CHROMIUM, DOCS, FLAGS, SHOTS, chromium, server  # noqa: F401 (fixtures)
from tests.test_browser_phone import PHONE, WIDTHS_JS, visitor

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

CHART_JS = """() => [...document.querySelectorAll('figure.chart svg')].map(s => {
  const r = s.getBoundingClientRect();
  const label = [...s.querySelectorAll('text')].find(t => t.textContent.includes('กลุ่มอำนวยการ')
                                                      || t.textContent.includes('รับฟังและพิจารณา'));
  return {right: r.right, width: r.width, label: label ? label.textContent : null,
          font: label ? getComputedStyle(label).fontFamily : null};
})"""


@pytest.fixture
def year(web, clock):
    sc.build(web.state.web.app, clock)
    return web


def test_the_report_page_fits_a_phone_and_draws_thai(year, server, chromium):
    context, page = visitor(chromium, server, "esa_director")
    page.goto(f"{server}/reports?fiscal_year=2570")
    page.wait_for_load_state("networkidle")
    fonts = page.evaluate("async () => { await document.fonts.ready; "
                          "return [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family); }")
    assert any("RuamThai" in f or "Garuda" in f for f in fonts), fonts
    measured = page.evaluate(WIDTHS_JS)
    assert measured["scroll"] <= PHONE["width"], measured
    charts = page.evaluate(CHART_JS)
    assert len(charts) == 4
    for c in charts:
        assert c["right"] <= PHONE["width"] and c["width"] > 250, c
    assert charts[0]["label"] == "กลุ่มอำนวยการ" and charts[2]["label"] == "รับฟังและพิจารณาความคิดเห็น"
    heading = page.get_by_role("heading", name="ความคืบหน้าตามกลุ่มภารกิจ (ขั้นตอนที่เสร็จ / ทั้งหมด)")
    assert heading.count() == 1
    assert page.get_by_role("img", name="ความคืบหน้าตามกลุ่มภารกิจ (ขั้นตอนที่เสร็จ / ทั้งหมด)").count() == 1
    # a table row stacks on a phone: each cell under its column's title
    cell = page.locator("table[data-table=progress] td[data-label]").first
    assert cell.evaluate("e => getComputedStyle(e).display") == "block"
    if SHOTS:
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / "phone-reports.png"), full_page=False)
    context.close()
    context = chromium.new_context(locale="th-TH", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill("#person", "esa_director")
    page.fill("#password", "a long enough password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/reports?fiscal_year=2570&half=1")
    page.wait_for_load_state("networkidle")
    page.evaluate("async () => { await document.fonts.ready; }")
    assert page.evaluate(WIDTHS_JS)["scroll"] <= 1100
    if SHOTS:
        page.screenshot(path=str(DOCS / "reports.png"), clip={"x": 0, "y": 0, "width": 1100, "height": 1500},
                        full_page=True)
    context.close()
