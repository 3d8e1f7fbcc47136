"""PDF from DOCX through LibreOffice (engine/documents/pdf.py), checked as a reader would.

The reference case is tests/pdf_reference.py's appointment order for a 30-member
working group (TH Sarabun New 16 pt, A4, margins 3/2 cm) and the letters to its
members. With the real TH Sarabun New 1.35 LibreOffice 7.4 sets the order on
2 pages of 32 and 28 lines; the rescaled Laksaman that stands in for it here
must give exactly that (Laksaman as LibreOffice picks it by itself gives 4 pages
of 25, 26, 26 and 10 lines) — docs/documents-pdf.md has the measurements.

Skipped, with the reason counted in the run's last line, where LibreOffice or
poppler is not installed (``.ci/run`` installs them).
"""

from __future__ import annotations

import difflib
import itertools
import os
import shutil
import stat
import threading
import time
from pathlib import Path

import pytest

from engine.documents import pdf
from engine.documents.fonts import SUBSTITUTE_FAMILY, font_setting
from tests import pdf_measure, pdf_reference
from tests.thai_output import problems
from workflow.errors import RuamError

HAVE_SOFFICE = shutil.which(os.environ.get("RUAM_SOFFICE") or "soffice") is not None
HAVE_POPPLER = all(shutil.which(t) for t in ("pdfinfo", "pdftotext"))
office = pytest.mark.skipif(not HAVE_SOFFICE, reason="LibreOffice (soffice) not installed")
poppler = pytest.mark.skipif(not HAVE_POPPLER, reason="poppler-utils (pdfinfo, pdftotext) not installed")

A4_PT = (595.3, 841.9)
ORDER_PAGES = 2
ORDER_LINES = [32, 28]  # what the real TH Sarabun New gives (docs/documents-pdf.md)
LINE_PT = 21.3  # its line at 16 pt, measured


@pytest.fixture(scope="module", autouse=True)
def font_cache(tmp_path_factory):
    """The rescaled fonts are built into this run's own cache, not the user's."""
    before = os.environ.get("RUAM_FONT_CACHE")
    os.environ["RUAM_FONT_CACHE"] = str(tmp_path_factory.mktemp("fonts"))
    yield
    if before is None:
        os.environ.pop("RUAM_FONT_CACHE", None)
    else:
        os.environ["RUAM_FONT_CACHE"] = before


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    """A soffice that counts its starts in a file (``RUAM_SOFFICE`` points to it)."""
    folder = tmp_path_factory.mktemp("counted")
    count = folder / "starts"
    real = shutil.which(os.environ.get("RUAM_SOFFICE") or "soffice") or "soffice"
    wrapper = _script(folder / "soffice", f'echo start >> "{count}"\nexec "{real}" "$@"\n')
    return wrapper, count


@pytest.fixture(scope="module")
def batch(counted):
    """The order and three letters, converted in one call through the counting soffice."""
    if not (HAVE_SOFFICE and HAVE_POPPLER):
        pytest.skip("LibreOffice (soffice) not installed")
    wrapper, count = counted
    docs = [pdf_reference.order_docx(), *(pdf_reference.letter_docx(i) for i in range(3))]
    before = os.environ.get("RUAM_SOFFICE")
    os.environ["RUAM_SOFFICE"] = str(wrapper)
    try:
        pdfs = pdf.to_pdf(docs)
    finally:
        if before is None:
            os.environ.pop("RUAM_SOFFICE", None)
        else:
            os.environ["RUAM_SOFFICE"] = before
    starts = count.read_text().count("start")
    return docs, pdfs, starts


def _has_thai_font() -> bool:
    return font_setting().font in ("TH Sarabun New", SUBSTITUTE_FAMILY)


def _similar(phrase: str, text: str) -> float:
    """The best similarity of ``phrase`` to one line or two adjacent lines of ``text``, spaces ignored."""
    squeeze = lambda s: "".join(s.split())
    lines = [squeeze(ln) for ln in text.splitlines() if ln.strip()]
    candidates = lines + [a + b for a, b in itertools.pairwise(lines)]
    target = squeeze(phrase)
    best = 0.0
    for cand in candidates:
        # the phrase inside a longer line: the window of its length anchored on the longest common run
        m = difflib.SequenceMatcher(None, target, cand, autojunk=False).find_longest_match(
            0, len(target), 0, len(cand))
        for shift in range(-3, 4):
            start = max(0, m.b - m.a + shift)
            window = cand[start:start + len(target)]
            best = max(best, difflib.SequenceMatcher(None, target, window, autojunk=False).ratio())
    return best


def test_the_missing_tool_is_named_in_thai_and_english(monkeypatch, tmp_path):
    monkeypatch.setenv("RUAM_SOFFICE", str(tmp_path / "nowhere" / "soffice"))
    with pytest.raises(pdf.PdfUnavailable) as caught:
        pdf.to_pdf([pdf_reference.letter_docx(0)])
    err = caught.value
    assert isinstance(err, RuamError) and err.http_status == 503
    thai = err.message("th")
    assert "libreoffice-writer-nogui" in thai and "ติดตั้ง" in thai and "DOCX" in thai
    assert "libreoffice-writer-nogui" in err.message("en") and "Install" in err.message("en")
    assert problems(thai) == []
    assert pdf.available() is False


def test_nothing_to_convert_starts_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("RUAM_SOFFICE", str(tmp_path / "nowhere"))
    assert pdf.to_pdf([]) == []


@office
@poppler
def test_one_soffice_process_serves_the_whole_batch(batch):
    docs, pdfs, starts = batch
    assert len(pdfs) == len(docs) == 4
    assert starts == 1
    assert all(p.startswith(b"%PDF-") for p in pdfs)


@office
@poppler
def test_pages_are_a4(batch):
    _, pdfs, _ = batch
    for p in pdfs:
        width, height = pdf_measure.page_size_pt(p)
        assert abs(width - A4_PT[0]) < 1 and abs(height - A4_PT[1]) < 1


@office
@poppler
def test_the_reference_order_has_the_pages_and_lines_of_the_real_font(batch):
    if not _has_thai_font():
        pytest.skip("fonts-thai-tlwg (Laksaman) not installed")
    _, pdfs, _ = batch
    order, letters = pdfs[0], pdfs[1:]
    assert pdf_measure.pages(order) == ORDER_PAGES
    assert pdf_measure.lines_per_page(order) == ORDER_LINES
    # single spacing is TH Sarabun New's 1.331 em: 21.3 pt from one line of text to the next at 16 pt
    # (an empty paragraph between has its own height); the lines stand where the real font puts them
    gaps = [b - a for tops in pdf_measure.line_tops(order) for a, b in itertools.pairwise(tops)]
    assert all(abs(gap - LINE_PT) < 0.06 for gap in gaps if gap < 1.5 * LINE_PT), gaps
    assert pdf_measure.line_tops(order)[0][:3] == [69.7, 91.0, 112.3]
    assert [pdf_measure.pages(p) for p in letters] == [1, 1, 1]


@office
@poppler
def test_the_thai_text_layer_carries_the_key_phrases(batch):
    _, pdfs, _ = batch
    order_text, letter_text = pdf_measure.text(pdfs[0]), pdf_measure.text(pdfs[1])
    for phrase in ("คำสั่งสำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต ๑", "ที่ ๑๒๓/๒๕๖๙",
                   "เรื่อง แต่งตั้งคณะทำงานการมีส่วนร่วมของผู้มีส่วนได้ส่วนเสีย",
                   "ทั้งนี้ ตั้งแต่บัดนี้เป็นต้นไป", "สั่ง ณ วันที่ ๑๕ ตุลาคม พ.ศ. ๒๕๖๘",
                   "๓๐. ผู้แทนศิษย์เก่า คนที่ ๓๐"):
        assert _similar(phrase, order_text) >= 0.85, phrase
    for phrase in ("ที่ ศธ ๐๔๐๐๑/๕๐๐", "ขอแสดงความนับถือ", "เรียน ผู้แทนผู้ปกครองนักเรียน คนที่ ๑",
                   "สิ่งที่ส่งมาด้วย สำเนาคำสั่ง จำนวน ๑ ฉบับ"):
        assert _similar(phrase, letter_text) >= 0.85, phrase
    # and a phrase that is not there is not found
    assert _similar("รายงานการประชุมคณะกรรมการบริหาร", letter_text) < 0.7


@office
@poppler
def test_the_same_docx_gives_the_same_pdf_bytes(batch):
    docs, pdfs, _ = batch
    again = pdf.to_pdf([docs[1]])[0]
    assert again == pdfs[1]
    assert b"/CreationDate" not in again and b"/DocChecksum" not in again


@office
@poppler
def test_concurrent_calls_do_not_collide(batch):
    docs, pdfs, _ = batch
    results: dict[int, list[bytes]] = {}
    errors: list[BaseException] = []

    def convert(k: int) -> None:
        try:
            results[k] = pdf.to_pdf([docs[k]])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=convert, args=(k,)) for k in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {k: v[0] for k, v in results.items()} == {1: pdfs[1], 2: pdfs[2], 3: pdfs[3]}


@office
@poppler
def test_the_substitute_is_embedded_when_the_real_font_is_missing(batch):
    if font_setting().font != SUBSTITUTE_FAMILY:
        pytest.skip("fonts-thai-tlwg (Laksaman) not installed")
    import subprocess

    _, pdfs, _ = batch
    work = Path(os.environ["RUAM_FONT_CACHE"]) / "probe.pdf"
    work.write_bytes(pdfs[0])
    fonts = subprocess.run(["pdffonts", str(work)], capture_output=True, text=True, check=True).stdout
    assert "RuamLaksaman" in fonts and "Laksaman-" not in fonts.replace("RuamLaksaman-", "")


def test_a_hung_office_is_stopped_at_the_timeout(monkeypatch, tmp_path):
    marker = tmp_path / "pid"
    _script(tmp_path / "soffice", f'echo $$ > "{marker}"\nexec sleep 60\n')
    monkeypatch.setenv("RUAM_SOFFICE", str(tmp_path / "soffice"))
    with pytest.raises(pdf.PdfFailed) as caught:
        pdf.to_pdf([pdf_reference.letter_docx(0)], timeout=1)
    assert "วินาที" in caught.value.message("th")
    pid = int(marker.read_text())
    for _ in range(50):  # the group was killed; the zombie is reaped by wait()
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the timed-out soffice is still running")


def test_an_office_that_makes_no_pdf_is_an_error(monkeypatch, tmp_path):
    _script(tmp_path / "soffice", "exit 0\n")
    monkeypatch.setenv("RUAM_SOFFICE", str(tmp_path / "soffice"))
    with pytest.raises(pdf.PdfFailed) as caught:
        pdf.to_pdf([pdf_reference.letter_docx(0), pdf_reference.letter_docx(1)])
    assert "เอกสารลำดับที่ ๑ จาก ๒" in caught.value.message("th")


def _laksaman_or_skip() -> dict:
    from engine.documents import fonts

    sources = fonts._source_files()
    if "Regular" not in sources:
        pytest.skip("fonts-thai-tlwg (Laksaman) not installed")
    return sources


def test_two_first_calls_build_the_font_cache_once(monkeypatch, tmp_path):
    from engine.documents import fonts

    sources = _laksaman_or_skip()
    monkeypatch.setenv("RUAM_FONT_CACHE", str(tmp_path / "cache"))
    folders, errors = [], []

    def build() -> None:
        try:
            folders.append(fonts._substitute(sources))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(folders)) == 1
    folder = folders[0]
    assert sorted(p.name for p in folder.glob("*.ttf")) == [
        "RuamLaksaman-Bold.ttf", "RuamLaksaman-BoldItalic.ttf", "RuamLaksaman-Italic.ttf", "RuamLaksaman-Regular.ttf"]
    assert str(folder) in (folder / "fonts.conf").read_text(encoding="utf-8")
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [folder.name]  # no half-built folder left


@office
@poppler
def test_an_installed_th_sarabun_new_is_used_as_it_is(monkeypatch, tmp_path):
    """A font named TH Sarabun New in fontconfig (here one made for the test) is used, not the substitute."""
    import subprocess

    from fontTools.ttLib import TTFont

    sources = _laksaman_or_skip()
    (tmp_path / "fonts").mkdir()
    font = TTFont(str(sources["Regular"]))
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = "TH Sarabun New"
        elif record.nameID == 6:
            record.string = "THSarabunNew"
    font.save(str(tmp_path / "fonts" / "THSarabunNew.ttf"))
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                    '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                    f'<dir>{tmp_path / "fonts"}</dir><cachedir>{tmp_path / "fc"}</cachedir></fontconfig>\n')
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    setting = font_setting()
    assert setting.font == "TH Sarabun New" and setting.env == {}
    (tmp_path / "o.pdf").write_bytes(pdf.to_pdf([pdf_reference.letter_docx(0)])[0])
    embedded = subprocess.run(["pdffonts", str(tmp_path / "o.pdf")], capture_output=True, text=True,
                              check=True).stdout
    assert "THSarabunNew" in embedded and "RuamLaksaman" not in embedded


def test_a_skipped_pdf_test_says_what_to_install():
    from tests.skips import skip_line

    line = skip_line(["LibreOffice (soffice) not installed", "poppler-utils (pdfinfo, pdftotext) not installed",
                      "fonts-thai-tlwg (Laksaman) not installed"])
    assert "apt-get install libreoffice-writer-nogui" in line
    assert "apt-get install poppler-utils" in line and "apt-get install fonts-thai-tlwg" in line


def test_an_unwritable_font_cache_falls_back_to_the_temporary_folder(monkeypatch, tmp_path):
    from engine.documents import fonts

    _laksaman_or_skip()
    if fonts._installed(fonts.REAL_FAMILY):
        pytest.skip("TH Sarabun New is installed here: no substitute is made")
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("RUAM_FONT_CACHE", str(blocked / "cache"))  # under a file: cannot be made
    monkeypatch.setattr(fonts.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    setting = fonts.font_setting()
    assert setting.font == SUBSTITUTE_FAMILY
    assert setting.env["FONTCONFIG_FILE"].startswith(str(tmp_path / "tmp" / "ruam-fonts-"))


def test_a_pdf_made_once_is_served_again_without_starting_libreoffice(counted, monkeypatch):
    """The public site serves drafted PDFs to anyone: the same DOCX must not start LibreOffice twice."""
    if not HAVE_SOFFICE:
        pytest.skip("LibreOffice (soffice) not installed")
    from engine.documents import service

    wrapper, count = counted
    monkeypatch.setenv("RUAM_SOFFICE", str(wrapper))
    monkeypatch.setattr(service, "_PDF_CACHE", type(service._PDF_CACHE)())
    letters = [pdf_reference.letter_docx(i) for i in (7, 8)]
    starts = lambda: count.read_text().count("start") if count.exists() else 0
    before = starts()
    first = service.pdf_of(letters[:1])
    assert starts() == before + 1
    both = service.pdf_of(letters)                      # one known, one new: one start for the new one
    assert starts() == before + 2 and both[0] == first[0] and both[1].startswith(b"%PDF")
    assert service.pdf_of(letters[::-1]) == both[::-1] and starts() == before + 2
