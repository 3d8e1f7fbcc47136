"""The OIT answer sheet of a fiscal year, and the check that its links answer.

One row per item of the year's catalogue that Ruam holds every element of:
the item's code, its title, มี/ไม่มี, the URL on the office's public site
(absolute, from ``RUAM_PUBLIC_URL``) and the line telling the assessor where
to click. As CSV (UTF-8 with a BOM, so a spreadsheet opens the Thai as Thai)
or XLSX (openpyxl, imported only here).

``check_links`` asks the running service for every URL of the sheet and the
pages and files those pages lead to (each task's page, its public documents):
the assessors open them, and a link that does not answer costs the item.
"""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from dataclasses import dataclass

from engine.ita.check import Report
from workflow.fiscal import format_date_be
from workflow.ita import window_words

COLUMNS = ("ข้อ", "ชื่อข้อ", "มี/ไม่มี", "URL", "คำอธิบายสำหรับผู้ประเมิน")
COLUMNS_EN = ("code", "title", "answer", "url", "explanation")
UNKNOWN_CODE = "(ยังไม่ทราบรหัส)"


@dataclass(frozen=True)
class SheetRow:
    code: str
    title: str
    answer: bool
    url: str
    explanation: str

    def cells(self) -> tuple[str, str, str, str, str]:
        return (self.code, self.title, "มี" if self.answer else "ไม่มี", self.url, self.explanation)


def _participation_text(report: Report, item) -> str:
    done = [t for t in item.tasks if t.ok]
    named = "; ".join(f"{t.task.order}) {t.task.task_title}" for t in done)
    fy = report.fiscal_year
    text = (f"เปิดลิงก์ จะพบหน้าการมีส่วนร่วมของผู้มีส่วนได้ส่วนเสีย ปีงบประมาณ {fy} เรียงตามกลุ่มภารกิจและงานตามประกาศ"
            f" คลิกชื่องานเพื่อดูองค์ประกอบครบ ๔ ด้าน ได้แก่ (๑) ประเด็นที่เปิดโอกาสให้มีส่วนร่วม"
            f" (๒) ผู้มีส่วนร่วม ระบุบุคคลภายนอก (๓) ผลการมีส่วนร่วม (๔) การนำผลไปปรับปรุงการดำเนินงาน"
            f" พร้อมวันที่ดำเนินการและเอกสารหลักฐาน (PDF) ในช่วง {window_words(item.window)}")
    if done:
        text += f" งานที่ดำเนินการครบ {len(done)} งาน: {named}"
    return text


def _other_text(report: Report, item) -> str:
    parts = [f"{e.title}: {e.th}" for e in item.elements]
    return (f"เปิดลิงก์ จะพบประกาศมาตรการ ฐานทางกฎหมาย รายงานสรุปผลรอบ ๖ เดือน/๑๒ เดือน และผลการกำกับ ติดตาม"
            f" ของปีงบประมาณ {report.fiscal_year} ({'; '.join(parts)})")


def sheet_rows(report: Report, base_url: str) -> list[SheetRow]:
    base = base_url.rstrip("/")
    fy = report.fiscal_year
    rows = []
    for item in report.items:
        url = f"{base}/public/{fy}"
        explanation = _participation_text(report, item) if item.item.per_task else _other_text(report, item)
        rows.append(SheetRow(item.item.code or UNKNOWN_CODE, item.item.title.th, item.answer, url, explanation))
    return rows


def linked_urls(report: Report, base_url: str) -> list[str]:
    """Every URL a sheet's reader reaches: the sheet's own, each task page, each public file."""
    base = base_url.rstrip("/")
    urls = [r.url for r in sheet_rows(report, base)] + [f"{base}/public"]
    tasks = {t.task.task_id: t.task for i in report.items for t in i.tasks}
    for t in tasks.values():
        if t.process_id is None:
            continue
        urls.append(f"{base}/public/{t.fiscal_year}/{t.task_id}")
        urls += [base + d.path for d in t.documents + t.attachments if d.public and d.path]
    return list(dict.fromkeys(urls))


def to_csv(rows: list[SheetRow]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow(r.cells())
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: list[SheetRow], report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = f"OIT {report.fiscal_year}"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(r.cells())
    for col, width in zip("ABCDE", (10, 36, 10, 44, 90), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, start=2):
        ws.cell(row=r, column=4).hyperlink = row.url
    note = ws.cell(row=len(rows) + 3, column=1,
                   value=f"จัดทำโดยระบบรวม ณ {format_date_be(report.at.date())}"
                         + (f" (ใช้รหัสข้อของปี {report.catalogue.carried_from} เพราะยังไม่มีรายการข้อของปี "
                            f"{report.fiscal_year})" if report.catalogue.carried_from else ""))
    note.font = Font(italic=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass(frozen=True)
class LinkResult:
    url: str
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status == 200


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        return None  # a redirect is answered as its own status


def check_links(urls: list[str], timeout: float = 10.0) -> list[LinkResult]:
    """GET each URL once (no redirect followed: the assessor's link must answer itself), with urllib."""
    opener = urllib.request.build_opener(_NoRedirect)
    out = []
    for url in urls:
        try:
            with opener.open(urllib.request.Request(url, headers={"User-Agent": "ruam-ita-links"}),
                             timeout=timeout) as resp:
                out.append(LinkResult(url, resp.status, None))
        except urllib.error.HTTPError as exc:
            out.append(LinkResult(url, exc.code, None))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            out.append(LinkResult(url, None, str(reason)))
    return out
