"""What a PDF shows, measured with poppler: pages, page size, lines of text per page.

Lines are counted from ``pdftotext -bbox-layout``: poppler sometimes puts a Thai
mark (an upper vowel or tone mark) on a "line" of its own, so text lines whose
boxes overlap vertically by more than half are one line, as a reader sees them.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from xml.etree import ElementTree

NS = "{http://www.w3.org/1999/xhtml}"


def _pdf_file(pdf: bytes, work: Path) -> Path:
    path = work / "doc.pdf"
    path.write_bytes(pdf)
    return path


def info(pdf: bytes) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as work:
        out = subprocess.run(["pdfinfo", str(_pdf_file(pdf, Path(work)))],
                             capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def pages(pdf: bytes) -> int:
    return int(info(pdf)["Pages"].strip())


def page_size_pt(pdf: bytes) -> tuple[float, float]:
    m = re.match(r"\s*([\d.]+) x ([\d.]+) pts", info(pdf)["Page size"])
    assert m, info(pdf)["Page size"]
    return float(m.group(1)), float(m.group(2))


def text(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as work:
        return subprocess.run(["pdftotext", "-layout", str(_pdf_file(pdf, Path(work))), "-"],
                              capture_output=True, text=True, check=True).stdout


def _merged_lines(pdf: bytes) -> list[list[tuple[float, float]]]:
    """Per page, the (top, bottom) of each text line, boxes overlapping by more than half merged."""
    with tempfile.TemporaryDirectory() as work:
        xml = subprocess.run(["pdftotext", "-bbox-layout", str(_pdf_file(pdf, Path(work))), "-"],
                             capture_output=True, text=True, check=True).stdout
    pages_out = []
    for page in ElementTree.fromstring(xml).iter(f"{NS}page"):
        boxes = sorted((float(ln.get("yMin")), float(ln.get("yMax"))) for ln in page.iter(f"{NS}line"))
        merged: list[tuple[float, float]] = []
        for top, bottom in boxes:
            if merged:
                last_top, last_bottom = merged[-1]
                overlap = min(bottom, last_bottom) - max(top, last_top)
                if overlap > 0.5 * min(bottom - top, last_bottom - last_top):
                    merged[-1] = (min(top, last_top), max(bottom, last_bottom))
                    continue
            merged.append((top, bottom))
        pages_out.append(merged)
    return pages_out


def lines_per_page(pdf: bytes) -> list[int]:
    """Text lines on each page, a line being the text at one height."""
    return [len(page) for page in _merged_lines(pdf)]


def line_tops(pdf: bytes) -> list[list[float]]:
    """The top of each line, per page (points): where the lines stand."""
    return [[round(top, 1) for top, _ in page] for page in _merged_lines(pdf)]
