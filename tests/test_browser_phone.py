"""Every page at phone width (390 × 844 CSS px) in real headless Chromium: no page
scrolls sideways, every form's submit button is on screen, and after a form is
sent its confirmation or its error is in view.

The pages are enumerated from the application's router, so a new page is checked
without touching this file; a new path parameter needs a sample value in PARAMS.
Each page is loaded by a visitor and by people of every role (what one role is
refused is that role's error page, which must fit too).

``RUAM_SCREENSHOTS=1`` also saves docs/phone-*.png.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests import steps
from tests.test_browser import CHROMIUM, DOCS, FLAGS, SHOTS, chromium, server  # noqa: F401 (fixtures)
from tests.page_walk import COMMITTEE_R1, GROUP_R1, SWEEP_SHOTS, TASK, VISITORS, build_scene, concrete, page_paths  # noqa: F401
from tests.webkit import PASSWORD

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

PHONE = {"width": 390, "height": 844}

WIDTHS_JS = """() => {
  const de = document.documentElement, limit = de.clientWidth;
  const wide = [];
  const clipped = (el) => {  // inside a box that scrolls or clips (what is positioned escapes it)
    if (['absolute', 'fixed'].includes(getComputedStyle(el).position)) return false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)) return true;
    return false; };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > limit + 0.5 && wide.length < 6 && !clipped(el)) {
      const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      wide.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls} →${Math.round(r.right)}`);
    }
  }
  return {scroll: de.scrollWidth, client: limit, wide,
          clipped: [getComputedStyle(de).overflowX, getComputedStyle(document.body).overflowX]};
}"""

BUTTONS_JS = """() => {
  const out = [];
  for (const b of document.querySelectorAll('form button:not([type=button]), form input[type=submit]')) {
    const r = b.getBoundingClientRect();
    if (!r.width || getComputedStyle(b).visibility === 'hidden') continue;
    if (r.left < 0 || r.right > document.documentElement.clientWidth + 0.5)
      out.push(`${b.textContent.trim().slice(0, 40)} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
  }
  return out;
}"""
OPEN_ALL_JS = """() => { for (const d of document.querySelectorAll('details:not([open])')) {
  d.open = true; d.dataset.unfolded = '1'; } }"""
FOLD_AGAIN_JS = """() => { for (const d of document.querySelectorAll('details[data-unfolded]')) {
  d.open = false; delete d.dataset.unfolded; } }"""


def visitor(browser, base: str, person: str | None):
    context = browser.new_context(locale="th-TH", viewport=PHONE, device_scale_factor=1, has_touch=True,
                                  is_mobile=True)
    page = context.new_page()
    if person:
        page.goto(f"{base}/login")
        page.fill("#person", person)
        page.fill("#password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(f"{base}/")
    return context, page


def check_fits(page, url: str, who) -> dict:
    measured = page.evaluate(WIDTHS_JS)
    assert measured["clipped"] == ["visible", "visible"], f"{url}: the page hides its overflow {measured['clipped']}"
    assert measured["scroll"] <= PHONE["width"], (
        f"{url} as {who}: {measured['scroll']} px wide at {PHONE['width']} (widest: {measured['wide']})")
    page.evaluate(OPEN_ALL_JS)  # forms folded in <details> and the menu: open, they must fit too
    opened = page.evaluate(WIDTHS_JS)
    assert opened["scroll"] <= PHONE["width"], (
        f"{url} as {who}, everything unfolded: {opened['scroll']} px wide (widest: {opened['wide']})")
    off = page.evaluate(BUTTONS_JS)
    page.evaluate(FOLD_AGAIN_JS)
    assert not off, f"{url} as {who}: submit buttons off screen: {off}"
    return measured


def in_view(page, selector: str) -> None:
    found = page.locator(selector).first
    found.wait_for()
    box = found.bounding_box()
    assert box is not None, f"{selector} is not shown"
    top, bottom = box["y"], box["y"] + min(box["height"], 48)
    assert 0 <= top and bottom <= PHONE["height"], (
        f"{page.url}: {selector} is at {round(top)}-{round(box['y'] + box['height'])} px, "
        f"outside the {PHONE['height']} px screen")


def shot(page, name: str, full: bool = False) -> None:
    if SHOTS:
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / f"phone-{name}.png"), full_page=full)


@pytest.fixture
def scene(web, clock):
    return build_scene(web, clock)


def test_every_page_fits_a_phone(server, chromium, web, scene, capsys):
    urls = [u for p in page_paths(web) for u in concrete(p, scene)] + ["/no-such-page"]
    assert "/calendar" in urls and "/login" in urls  # the router was read
    widest: dict[str, int] = {}
    problems: list[str] = []
    for person in VISITORS:
        context, page = visitor(chromium, server, person)
        for url in urls:
            response = page.goto(server + url)
            assert response is not None and response.headers.get("content-type", "").startswith("text/html"), (
                f"{url}: not a page ({response and response.headers.get('content-type')}); "
                f"add it to NOT_PAGES if it is not one")
            widest[url] = max(widest.get(url, 0), page.evaluate(WIDTHS_JS)["scroll"])
            if person == "admin" and url in SWEEP_SHOTS:
                shot(page, SWEEP_SHOTS[url])
            try:
                check_fits(page, url, person or "a visitor")
            except AssertionError as exc:
                problems.append(str(exc).split("\n")[0])
        context.close()
    with capsys.disabled():
        print(f"\n{len(urls)} pages × {len(VISITORS)} visitors; widest at 390 px:",
              ", ".join(f"{u} {w}" for u, w in sorted(widest.items()) if w > PHONE["width"]) or "none over")
    assert not problems, "\n".join(problems)


def test_after_sending_a_form_its_answer_is_in_view(server, chromium, web, scene, clock):
    nocheck = "() => document.querySelectorAll('form').forEach(f => f.noValidate = true)"

    # sign-in refused
    context, page = visitor(chromium, server, None)
    page.goto(f"{server}/login")
    page.fill("#person", "admin")
    page.fill("#password", "not the password")
    page.locator("main form button[type=submit]").click()
    in_view(page, "main [role=alert]")
    check_fits(page, "/login (refused)", "a visitor")

    # public opinion: too quick, then received
    page.goto(f"{server}/public/{steps.PROCESS}")
    page.fill("#opinion", "ควรจัดประชุมในวันหยุดเพื่อให้ผู้ปกครองเข้าร่วมได้")
    page.locator("main form button[type=submit]").click()
    in_view(page, "main [role=alert]")
    check_fits(page, "/public (too quick)", "a visitor")
    clock.advance(seconds=30)
    page.locator("main form button[type=submit]").click()
    in_view(page, "main [role=status]")
    context.close()

    # the officer's half-year report: refused empty, then sent
    context, page = visitor(chromium, server, "officer_teacher_welfare")
    page.goto(f"{server}/reports/2570/{TASK}/h1")
    page.evaluate(nocheck)
    page.locator("main form button[type=submit]").click()
    in_view(page, "main [role=alert]")
    page.fill("#summary", "ดำเนินการครบทุกขั้นตอนในครึ่งปีแรก")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/calendar\?"))
    in_view(page, "main [role=status]")
    check_fits(page, "/calendar (report sent)", "officer")

    # the process page: a step refused (no evidence), then one recorded
    page.goto(f"{server}/processes/{steps.PROCESS}")
    form = page.locator("form[data-trigger=send_report]")
    page.evaluate(nocheck)
    page.locator("details.action.advance summary").first.scroll_into_view_if_needed()
    form.locator("button[type=submit]").click()
    in_view(page, "main [role=alert]")
    check_fits(page, "/processes (refused)", "officer")
    shot(page, "process-error")
    context.close()

    context, page = visitor(chromium, server, "director_administration")
    page.goto(f"{server}/processes/{steps.PROCESS}")
    page.locator("details.send_back summary").click()
    page.fill("form[data-trigger=send_back] [name=reason]", "ขอแก้ไขรายงานการประชุม")
    page.locator("form[data-trigger=send_back] button[type=submit]").click()
    in_view(page, "main [role=status]")
    context.close()

    # the deputy's checkpoint: refused empty, then recorded
    context, page = visitor(chromium, server, "deputy_4")
    page.goto(f"{server}/calendar")
    action = page.locator(f'tr[data-item="{GROUP_R1}"] a.button')
    action.scroll_into_view_if_needed()
    box = action.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # the calendar's one action, in reach
    page.mouse.wheel(0, 200)
    shot(page, "calendar")
    action.click()
    page.wait_for_url(f"{server}/checkpoints/{GROUP_R1}")
    page.evaluate(nocheck)
    page.locator("main form button[type=submit]").click()
    in_view(page, "main [role=alert]")
    page.fill("#findings", "ทุกงานดำเนินการตามมาตรการ")
    page.fill("#advice", "ติดตามการเผยแพร่ผลต่อเนื่อง")
    for i in range(2):
        page.fill(f'[name="tasks[{i}].findings"]', "ประชุมตามแผน มีผู้แทนภายนอก")
        page.fill(f'[name="tasks[{i}].advice"]', "สรุปผลให้ทันเวลา")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/calendar\?"))
    in_view(page, "main [role=status]")
    context.close()

    # admin: a person refused, then added; a password change refused
    context, page = visitor(chromium, server, "admin")
    page.goto(f"{server}/admin/people")
    page.evaluate(nocheck)
    page.fill("#p-id", "Not An Id")
    page.fill("#p-name", "ทดสอบ")
    page.locator("form[action='/admin/people/add'] button[type=submit]").click()
    in_view(page, "main [role=alert]")
    page.fill("#p-id", "new_officer")
    page.fill("#p-name", "เจ้าหน้าที่ใหม่")
    page.locator("form[action='/admin/people/add'] button[type=submit]").click()
    in_view(page, "main [role=status]")
    page.goto(f"{server}/account/password")
    page.evaluate(nocheck)
    page.fill("#current_password", "wrong")
    page.fill("#new_password", "x")
    page.fill("#new_password_again", "y")
    page.locator("main form button[type=submit]").click()
    in_view(page, "main [role=alert]")
    context.close()

    # the auditor: verify, a replay, an export
    context, page = visitor(chromium, server, "auditor")
    page.goto(f"{server}/audit")
    page.locator("form[action='/audit'] button[type=submit]").first.click()
    in_view(page, "[data-verify]")
    page.fill("#as_of", "2027-03-10")
    page.locator("form[action='/audit'].row button[type=submit]").click()
    in_view(page, "[data-replay] [role=status]")
    page.locator("button[value=jsonl]").click()
    in_view(page, "#seal [role=status]")
    check_fits(page, "/audit (exported)", "auditor")
    context.close()


def test_the_menu_is_compact_on_a_phone(server, chromium, web):
    """Signed in as the admin (the most links): the header is one line until the menu is opened."""
    context, page = visitor(chromium, server, "admin")
    page.goto(f"{server}/calendar")
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 64, f"the header is {header['height']} px tall at phone width"
    page.locator("header.top summary").click()
    nav = page.get_by_role("navigation")
    for name in ("งานของฉัน", "ปฏิทินการกำกับติดตาม", "ตรวจสอบ"):
        assert nav.get_by_role("link", name=name, exact=False).first.is_visible()
    page.get_by_role("navigation").get_by_role("link", name="ปฏิทินการกำกับติดตาม").click()
    page.wait_for_url(re.compile(r"/calendar"))
    assert page.locator("header.top").bounding_box()["height"] <= 64  # closed again on the next page
    context.close()


def test_a_person_of_another_office_signs_in_at_todays_login_on_a_phone(server, chromium, web):  # noqa: F811
    """Two offices: today's /login names the office (a long Thai name still fits the phone);
    office north's officer chooses it and lands on north's pages."""
    from engine.offices import add_office

    app = web.state.web.app
    add_office(app, "north", "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต 1 (สำนักงานบี)", "Office B")
    app.for_office("north").load_demo()
    web.state.offices.web("north").accounts.set_password(steps.OFFICER, PASSWORD)
    context, page = visitor(chromium, server, None)
    page.goto(f"{server}/login")
    check_fits(page, "/login (two offices)", "a visitor")
    shot(page, "login-offices")
    page.get_by_label("สำนักงาน", exact=True).select_option("north")
    page.fill("#person", steps.OFFICER)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{server}/o/north/")
    check_fits(page, "/o/north/", steps.OFFICER)
    context.close()
