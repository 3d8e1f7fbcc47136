"""DOCX → PDF with LibreOffice headless: a whole batch in one soffice process.

``to_pdf([docx, …]) -> [pdf, …]`` writes the batch into a private folder and runs
**one** ``soffice --headless --convert-to pdf f1.docx f2.docx …``; never one start
per document (a start costs ~1 s: 30 separate starts took 37 s here, the batch
2.6 s — ``bench/documents_bench.py`` measures both in one run). A persistent
listener driven over UNO is faster once warm (0.14 s for one letter, 1.95 s for
30) but costs the same start when cold, keeps a 200 MB process and its state
alive between calls, serves one call at a time, and needs the system's
``python3-uno``; a process per call keeps every call isolated and is well inside
the target (30 letters < 10 s), so that is the choice.

- **Profile.** Each call gets its own throwaway LibreOffice user profile
  (``-env:UserInstallation``) in its own temporary folder: concurrent calls never
  meet on a profile lock, and nothing a previous run left behind changes a PDF.
- **Binary.** ``RUAM_SOFFICE`` names it (a path or a command), else ``soffice`` on
  PATH; missing → :class:`PdfUnavailable`, which names Debian's package.
- **Timeout.** ``timeout`` seconds for the batch (default 60 + 10 per document);
  past it the whole process group is killed and :class:`PdfFailed` raised.
- **At most ``RUAM_PDF_PROCESSES`` (default 2) LibreOffice processes at once**
  in one Ruam process; further calls wait their turn (each soffice is ~200 MB
  and a core for a second or more; a public PDF link must not start one per hit
  — callers should also keep PDFs by the DOCX's sha256, which fixes the bytes).
- **Fonts.** Without TH Sarabun New, a rescaled Laksaman with its metrics
  (``engine/documents/fonts.py``): the same lines and pages as with the real font.
- **Deterministic bytes.** LibreOffice writes three things that change from run
  to run: ``/CreationDate`` in the Info dictionary, the trailer's ``/ID`` and its
  ``/DocChecksum`` (an MD5 over the file that includes the date). The date and the
  checksum are blanked with spaces and the ``/ID`` becomes the MD5 of the DOCX —
  each the same length, so every offset in the cross-reference table stays right.
  The same DOCX then gives the same PDF bytes, run after run, on one machine with
  the same LibreOffice and fonts (another version or font changes the layout).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

import structlog

from engine.documents.fonts import REAL_FAMILY, font_setting
from workflow.errors import RuamError
from workflow.fiscal import to_thai_digits

thai = lambda n: to_thai_digits(str(n))

log = structlog.get_logger("ruam.documents.pdf")

DEBIAN_PACKAGE = "libreoffice-writer-nogui"


def _slots() -> int:
    value = os.environ.get("RUAM_PDF_PROCESSES", "").strip()
    return max(1, int(value)) if value.isdigit() else 2


_SLOTS = threading.BoundedSemaphore(_slots())


class PdfUnavailable(RuamError):
    """LibreOffice is not installed (or ``RUAM_SOFFICE`` names nothing that runs): no PDF, DOCX still works."""

    code = "pdf_unavailable"
    http_status = 503

    def __init__(self, binary: str) -> None:
        self.binary = binary
        super().__init__(
            f"PDF is not available: LibreOffice ('{binary}') is not installed on the server. "
            f"Install the Debian package {DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE}), "
            "or set RUAM_SOFFICE to its soffice; the DOCX can still be downloaded.",
            f"สร้างไฟล์ PDF ไม่ได้: เครื่องแม่ข่ายยังไม่ได้ติดตั้งโปรแกรม LibreOffice ('{binary}') "
            f"โปรดติดตั้งแพ็กเกจ Debian ชื่อ {DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE}) "
            "หรือกำหนด RUAM_SOFFICE ให้ชี้ไปยังโปรแกรม soffice ระหว่างนี้ยังดาวน์โหลดไฟล์ DOCX ได้ตามปกติ",
        )


class PdfFailed(RuamError):
    """LibreOffice ran but did not give every PDF (timed out, crashed, or refused a file)."""

    code = "pdf_failed"
    http_status = 500

    def __init__(self, reason: str, reason_th: str) -> None:
        self.reason = reason
        super().__init__(f"the PDF could not be made: {reason}", f"สร้างไฟล์ PDF ไม่สำเร็จ: {reason_th}")


def soffice_command() -> list[str]:
    """The command that starts LibreOffice: ``RUAM_SOFFICE`` (split like a shell) or ``soffice``."""
    named = os.environ.get("RUAM_SOFFICE", "").strip()
    argv = shlex.split(named) if named else ["soffice"]
    found = shutil.which(argv[0])
    if found is None:
        raise PdfUnavailable(argv[0])
    return [found, *argv[1:]]


def available() -> bool:
    """Whether a PDF can be made here (LibreOffice found)."""
    try:
        soffice_command()
    except PdfUnavailable:
        return False
    return True


def to_pdf(docx_list: list[bytes], *, timeout: float | None = None) -> list[bytes]:
    """One PDF for each DOCX, in order, made by one LibreOffice process."""
    if not docx_list:
        return []
    command = soffice_command()
    fonts = font_setting()
    limit = timeout if timeout is not None else 60.0 + 10.0 * len(docx_list)
    with tempfile.TemporaryDirectory(prefix="ruam-pdf-") as work:
        root = Path(work)
        sources, out = root / "in", root / "out"
        sources.mkdir()
        names = []
        for i, docx in enumerate(docx_list):
            path = sources / f"{i:05d}.docx"
            path.write_bytes(docx)
            names.append(path)
        argv = [*command, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
                f"-env:UserInstallation={(root / 'profile').as_uri()}",
                "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(out), *map(str, names)]
        env = {**os.environ, **fonts.env}
        with _SLOTS:
            _run(argv, env=env, cwd=root, timeout=limit)
        pdfs = []
        for path, docx in zip(names, docx_list):
            produced = out / (path.stem + ".pdf")
            if not produced.is_file():
                raise PdfFailed(f"LibreOffice made no PDF of document {int(path.stem) + 1} of {len(names)}",
                                f"LibreOffice ไม่ได้สร้าง PDF ของเอกสารลำดับที่ {thai(int(path.stem) + 1)} "
                                f"จาก {thai(len(names))}")
            pdfs.append(deterministic(produced.read_bytes(), docx))
    if fonts.env or fonts.font == REAL_FAMILY:
        log.info("pdf_batch", documents=len(docx_list), font=fonts.font)
    else:  # the lines and pages will not be the office's
        log.warning("pdf_batch_font_fallback", documents=len(docx_list), font=fonts.font, note=fonts.note)
    return pdfs


def _run(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float) -> None:
    try:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as exc:  # found on PATH but not runnable
        raise PdfUnavailable(argv[0]) from exc
    with proc:  # closes the pipe whatever happens
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise PdfFailed(f"LibreOffice did not finish within {timeout:.0f} s",
                            f"LibreOffice ทำงานไม่เสร็จภายใน {thai(f'{timeout:.0f}')} วินาที") from None
        finally:
            if proc.poll() is None:
                _kill_group(proc)
    if proc.returncode != 0:
        tail = output.decode("utf-8", "replace").strip().splitlines()[-3:]
        log.warning("pdf_soffice_failed", returncode=proc.returncode, output=tail)
        raise PdfFailed(f"LibreOffice stopped with code {proc.returncode}",
                        f"LibreOffice หยุดทำงานด้วยรหัส {thai(proc.returncode)}")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # soffice → oosplash → soffice.bin: the whole group
    except ProcessLookupError:
        pass
    proc.wait()


_CREATION = re.compile(rb"/(?:CreationDate|ModDate)\s*\([^)]*\)")
_DOC_CHECKSUM = re.compile(rb"/DocChecksum\s*/[0-9A-Fa-f]+")
_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]")


def deterministic(pdf: bytes, docx: bytes) -> bytes:
    """The PDF with LibreOffice's run-to-run parts fixed (see the module's docstring); lengths kept."""
    blank = lambda m: b" " * len(m.group(0))
    pdf = _CREATION.sub(blank, pdf)
    pdf = _DOC_CHECKSUM.sub(blank, pdf)
    digest = hashlib.md5(docx, usedforsecurity=False).hexdigest().upper().encode()

    def fixed_id(m: re.Match) -> bytes:
        first, second = (digest * 4)[: len(m.group(1))], (digest * 4)[: len(m.group(2))]
        return m.group(0).replace(m.group(1), first, 1).replace(m.group(2), second, 1)

    return _ID.sub(fixed_id, pdf)
