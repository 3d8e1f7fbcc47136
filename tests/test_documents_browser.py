"""A real browser drafts an order from the step's form ("ร่างเอกสาร") and downloads it;
nothing is recorded; after the step the recorded order downloads with the sha256 shown.
``RUAM_SCREENSHOTS=1`` saves the process page with its documents under docs/."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from tests import steps
from tests.test_browser import CHROMIUM, DOCS, SHOTS, chromium, server, sign_in  # noqa: F401 - the fixtures, used by name

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not __import__("shutil").which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def _fill_order(form) -> None:
    order = steps.appointment(number="๔๕/๒๕๖๙")
    form.locator('[name="document_kind"]').select_option("order")
    form.locator('[name="number"]').fill(order["number"])
    form.locator('[name="date"]').fill("10/11/2569")
    form.locator('[name="signed_by"]').fill(order["signed_by"])
    form.locator('[name="body"]').select_option("committee")
    for i, m in enumerate(order["members"][:2]):
        for key in ("name", "position", "organisation"):
            form.locator(f'[name="members[{i}].{key}"]').fill(m[key])
        form.locator(f'[name="members[{i}].external"]').select_option("true" if m["external"] else "false")
        form.locator(f'[name="members[{i}].role"]').select_option(m["role"])


def test_an_officer_drafts_the_order_from_the_form_and_downloads_it(server, chromium, opened, tmp_path):  # noqa: F811
    steps.run(opened, steps.HAPPY_PATH[:1])
    head = opened.ledger_head()
    context, page = sign_in(chromium, server, steps.DIRECTOR, accept_downloads=True,
                            viewport={"width": 390, "height": 844})
    page.goto(f"{server}/processes/2570/task_teacher_welfare")
    form = page.locator('form[data-trigger="issue_appointment"]')
    _fill_order(form)
    with page.expect_download() as download:
        page.locator('[data-draft="appointment"]').click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.endswith(".docx") and path.name.startswith("ร่าง-")
    document = zipfile.ZipFile(io.BytesIO(path.read_bytes())).read("word/document.xml").decode("utf-8")
    assert "ที่ ๔๕/๒๕๖๙" in document and "ผู้แทนชุมชน ก" in document
    assert opened.ledger_head() == head  # nothing recorded
    assert page.locator("[data-state]").get_attribute("data-state") == "appointing"
    # the phone's width holds the form without sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    form.locator('button[type="submit"]').click()
    page.wait_for_selector("text=บันทึกแล้ว")
    item = page.locator('[data-document="appointment"]')
    shown = item.locator("code.hash").inner_text()
    with page.expect_download() as recorded:
        item.locator("a[data-docx]").click()
    saved = tmp_path / "recorded.docx"
    recorded.value.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == shown
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if SHOTS:
        page.locator('section[aria-labelledby="docs-h"]').screenshot(path=str(DOCS / "process-documents-phone.png"))
    context.close()
