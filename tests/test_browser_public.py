"""The office's public site in real headless Chromium, at desktop width and at 390 px:
Thai renders (a Thai font draws the text), nothing scrolls sideways, a completed task
shows its four elements, and nothing personal beyond name, position and organisation.

``RUAM_SCREENSHOTS=1`` saves docs/public-*.png (and docs/ita-page.png).
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests import steps
from tests.ita_helpers import complete_task
from tests.test_browser import CHROMIUM, DOCS, FLAGS, SHOTS, chromium, server, sign_in  # noqa: F401 (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# the width a Thai string takes in the page's font, and in a font that has no Thai (tofu boxes)
THAI_JS = """() => {
  const c = document.createElement('canvas').getContext('2d');
  const font = getComputedStyle(document.body).fontFamily;
  c.font = '20px ' + font; const thai = c.measureText('การมีส่วนร่วม').width;
  c.font = '20px monospace'; const mono = c.measureText('การมีส่วนร่วม').width;
  return {thai, mono, font, fits: document.documentElement.scrollWidth <= document.documentElement.clientWidth,
          fonts: document.fonts.check('20px ' + font, 'การมีส่วนร่วม')};
}"""


KEEP = {"public-home-desktop", "public-year-desktop", "public-task-desktop", "public-task-phone", "ita-page"}


def small_shot(page, name: str) -> None:
    if SHOTS and name in KEEP:
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_public_site_reads_in_thai_fits_and_shows_the_four_elements(server, chromium, opened, size):
    complete_task(opened)
    opened.add_person("staff_y", "เจ้าหน้าที่ ข", "นักจัดการงานทั่วไป", "staff.y@example.go.th")
    viewport = DESKTOP if size == "desktop" else PHONE
    context = chromium.new_context(locale="th-TH", viewport=viewport)
    page = context.new_page()
    for path, name in (("/public", "public-home"), ("/public/2570", "public-year"),
                       (f"/public/{steps.PROCESS}", "public-task")):
        r = page.goto(server + path)
        assert r.status == 200, path
        assert page.locator("html").get_attribute("lang") == "th"
        seen = page.evaluate(THAI_JS)
        assert seen["fits"], f"{path} scrolls sideways at {viewport['width']} px"
        assert seen["fonts"] and seen["thai"] > 0
        assert page.locator("h1").count() == 1 and page.locator("h2").count() >= 1
        small_shot(page, f"{name}-{size}")
    # the task's page: the four elements, a participants table with outsiders marked
    for heading in ("๑. ประเด็นที่เปิดโอกาสให้มีส่วนร่วม", "๒. ผู้มีส่วนร่วม", "๓. ผลการมีส่วนร่วม",
                    "๔. การนำผลไปปรับปรุงการดำเนินงาน"):
        assert page.get_by_role("heading", name=heading).is_visible()
    table = page.locator("table.participants")
    assert table.locator("tbody tr").count() == 3
    assert [h.strip() for h in table.locator("thead th").all_inner_texts()] == \
        ["ชื่อ-สกุล", "ตำแหน่ง", "หน่วยงาน/องค์กร", "บุคคลภายนอก", "การมีส่วนร่วม"]
    assert page.get_by_text("คำสั่งแต่งตั้ง.pdf").count() == 1                    # the signed scan, public
    text = page.locator("body").inner_text()
    assert "@" not in text and not re.search(r"\b\d{13}\b", text)
    for account in (steps.OFFICER, steps.DIRECTOR, "staff_y", "esa_director"):
        assert account not in text
    for img in page.locator("img").all():
        assert img.get_attribute("alt")
    # printable: the menu and the forms are not printed
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    context.close()


def test_the_ita_page_at_phone_width(server, chromium, opened):
    complete_task(opened)
    context, page = sign_in(chromium, server, steps.DIRECTOR, viewport=PHONE)
    page.goto(f"{server}/ita?fiscal_year=2570")
    assert page.get_by_role("heading", name=re.compile("ข้อ O19")).is_visible()
    assert page.evaluate(THAI_JS)["fits"]
    small_shot(page, "ita-page")
    context.close()
