"""The /reports page: who may read it, what it shows (Thai titles, the four charts with their tables,
no ids), its files (XLSX, DOCX, HTML), and the semiannual report form beside it still working."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient

from tests import report_scenario as sc
from tests.thai_output import problems
from tests.webkit import login


@pytest.fixture
def client(web, clock):
    sc.build(web.state.web.app, clock)
    with TestClient(web) as c:
        yield c


def _text(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)   # the charts are checked on their own
    return re.sub(r"<[^>]+>", "\n", html)


def test_a_plain_officer_and_a_visitor_are_refused(client):
    r = client.get("/reports", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    login(client, "officer_teacher_welfare")
    r = client.get("/reports")
    assert r.status_code == 403 and "คุณไม่มีสิทธิ์ดูรายงานผลการดำเนินงานตามมาตรการ" in r.text
    assert client.get("/reports/measure.xlsx?fiscal_year=2570").status_code == 403
    assert 'href="/reports"' not in client.get("/").text   # the menu offers it only to its readers
    # the semiannual report form under /reports/{fy}/{task}/{round} is untouched
    form = client.get(f"/reports/2570/{sc.WELFARE}/h2")
    assert form.status_code == 200 and "รอบ ๑๒ เดือน" in form.text


@pytest.mark.parametrize("person", ["esa_director", "deputy_4", "director_administration", "ktpn_1", "admin",
                                    "auditor"])
def test_the_readers_see_it(client, person):
    login(client, person)
    r = client.get("/reports?fiscal_year=2570")
    assert r.status_code == 200, person
    assert 'href="/reports" aria-current="page"' in r.text


def test_the_page_shows_the_charts_their_tables_and_thai_titles(client, web):
    login(client, "esa_director")
    html = client.get("/reports?fiscal_year=2570").text
    assert html.count("<svg") == 4 and html.count('role="img"') == 4
    for key, title in (("progress", "ความคืบหน้าตามกลุ่มภารกิจ"), ("overdue", "รายการที่เลยกำหนดตามกลุ่มภารกิจ"),
                       ("durations", "ระยะเวลาในแต่ละขั้นตอน"), ("compliance", "การรายงานและการกำกับติดตามตามรอบ")):
        section = html.split(f'data-chart="{key}"')[1].split("</section>")[0]
        assert title in section and "<table" in section and "<caption" in section, key
    for thai in ("กลุ่มนิเทศ ติดตามและประเมินผลการจัดการศึกษา", "กลุ่มอำนวยการ", "วิเคราะห์กฎหมาย ระเบียบ แนวปฏิบัติ",
                 "รับฟังและพิจารณาความคิดเห็น", "รายงานผล รอบ ๖ เดือน (ไตรมาส ๒)", "ล่าช้า", "ตรงเวลา",
                 "งานส่งเสริมสวัสดิการและสวัสดิภาพครูและบุคลากรทางการศึกษา", "สวัสดิการครู", "นำไปปรับปรุง"):
        assert thai in html, thai
    assert '<link rel="stylesheet" href="/reports/style.css">' in html
    people = {p["id"] for p in web.state.web.app.people()}
    assert not problems(_text(html), people, where="/reports")
    half = client.get("/reports?fiscal_year=2570&half=1").text
    assert "ครึ่งปีแรก (๑ ต.ค. – ๓๑ มี.ค.)" in half and "รอบ ๑๒ เดือน (ไตรมาส ๔)" not in _text(half)
    english = client.get("/reports?fiscal_year=2570&lang=en").text
    assert "Progress by mission group" in english and "Administration" in english


def test_bad_choices_are_named(client):
    login(client, "admin")
    r = client.get("/reports?fiscal_year=25x0")
    assert r.status_code == 422 and "ไม่ใช่ปีงบประมาณ พ.ศ. เช่น 2570" in r.text
    r = client.get("/reports?fiscal_year=2570&half=3")
    assert r.status_code == 422 and "ไม่ใช่ครึ่งปี" in r.text
    assert client.get("/reports/measure.exe?fiscal_year=2570").status_code == 422


def test_the_files(client):
    from docx import Document
    from openpyxl import load_workbook

    login(client, "director_administration")
    r = client.get("/reports/measure.xlsx?fiscal_year=2570&half=1")
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "ruam-measure-report-2570-h1.xlsx" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert "ความคืบหน้า" in wb.sheetnames
    r = client.get("/reports/measure.docx?fiscal_year=2570")
    assert r.status_code == 200 and len(Document(io.BytesIO(r.content)).inline_shapes) == 4
    r = client.get("/reports/measure.html?fiscal_year=2570")
    assert r.status_code == 200 and r.text.startswith("<!doctype html>") and "data:font/ttf;base64," in r.text


def test_the_style_and_the_web_font(client):
    css = client.get("/reports/style.css")
    assert css.status_code == 200 and "@font-face" in css.text and "/reports/font/regular.ttf" in css.text
    font = client.get("/reports/font/regular.ttf")
    assert font.status_code == 200 and font.headers["content-type"] == "font/ttf" and len(font.content) > 10_000
    assert client.get("/reports/font/italic.ttf").status_code == 422


def test_pdf_is_offered_only_where_it_can_be_made(client):
    from engine.reports.files import pdf_ready

    login(client, "esa_director")
    page = client.get("/reports?fiscal_year=2570").text
    r = client.get("/reports/measure.pdf?fiscal_year=2570")
    if pdf_ready():  # engine.documents.pdf (LibreOffice) installed
        assert 'href="/reports/measure.pdf?fiscal_year=2570"' in page
        assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    else:
        assert "measure.pdf" not in page
        assert r.status_code == 409 and "ยังสร้าง PDF ไม่ได้ในเครื่องนี้" in r.text
