"""Documents benchmark: DOCX render time, and the 30 letters of a committee as PDF.

    python bench/documents_bench.py                 # DOCX + PDF batch, with baselines
    python bench/documents_bench.py --listener      # also a warm LibreOffice listener (UNO)
    python bench/documents_bench.py --real-font /path/THSarabunNew.ttf   # fonts: real vs substitute
    python bench/documents_bench.py --no-pdf --pictures docs/   # only the page pictures (pdftoppm -r 60)

Figures, each beside a baseline measured in the same run:

- **DOCX**: time per document (median of ``--repeat`` rounds over the 30 letters
  and the order), beside python-docx's own floor (an empty document saved).
  Target: under 50 ms each.
- **PDF**: the 30 letters through ``engine.documents.pdf.to_pdf`` (one soffice),
  beside one soffice start converting an empty document (the fixed cost) and 30
  separate starts for the same letters (what issue #12 forbids).
  Target: the batch under 10 s.
- ``--listener``: the same letters through a LibreOffice started once with
  ``--accept`` and driven over UNO (system python3 with ``python3-uno``), the
  start counted apart — the alternative to one process per call.
- ``--real-font``: the reference order and the letters set three ways — with the
  real font (a private fontconfig folder), with Laksaman as LibreOffice picks it
  by itself, and with Ruam's rescaled Laksaman — pages, lines per page, and how
  many text lines differ from the real font's.

The documents come from tests/pdf_reference.py (built the way issue #12 asks:
TH Sarabun New 16 pt with ``w:cs``/``w:szCs``/``w:lang bidi``, A4, 3/2 cm); the
office's own renderer (``engine.documents.service.render``) was not on ``main``
when this was written — time it here too once it is.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.documents import fonts as fonts_module
from engine.documents import pdf
from tests import pdf_measure, pdf_reference

N = 30


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def bench_docx(repeat: int) -> None:
    from docx import Document

    def empty() -> bytes:
        buf = io.BytesIO()
        Document().save(buf)
        return buf.getvalue()

    rounds_letter, rounds_order, rounds_empty = [], [], []
    for _ in range(repeat):
        t = time.perf_counter()
        pdf_reference.letters_docx(N)
        rounds_letter.append((time.perf_counter() - t) / N)
        t = time.perf_counter()
        pdf_reference.order_docx(N)
        rounds_order.append(time.perf_counter() - t)
        t = time.perf_counter()
        for _ in range(N):
            empty()
        rounds_empty.append((time.perf_counter() - t) / N)
    print("DOCX render (tests/pdf_reference.py; median of", repeat, "rounds)")
    print(f"  letter (1 page)              {_ms(statistics.median(rounds_letter))} each   target < 50 ms")
    print(f"  order, 30 members (2 pages)  {_ms(statistics.median(rounds_order))} each   target < 50 ms")
    print(f"  baseline: empty document     {_ms(statistics.median(rounds_empty))} each   (python-docx's floor)")


def _soffice_once(docs: list[Path], out: Path, profile: Path) -> None:
    cmd = [*pdf.soffice_command(), "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
           "--convert-to", "pdf", "--outdir", str(out), *map(str, docs)]
    env = {**os.environ, **fonts_module.font_setting().env}
    subprocess.run(cmd, check=True, capture_output=True, env=env)


def bench_pdf(letters: list[bytes]) -> None:
    from docx import Document

    setting = fonts_module.font_setting()
    print(f"PDF ({setting.note})")
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        buf = io.BytesIO()
        Document().save(buf)
        (root / "empty.docx").write_bytes(buf.getvalue())
        t = time.perf_counter()
        _soffice_once([root / "empty.docx"], root / "o0", root / "p0")
        start_cost = time.perf_counter() - t
    pdf.to_pdf(letters[:1])  # the font cache built, the disk warm: the figures below are steady
    t = time.perf_counter()
    pdf.to_pdf(letters[:1])
    one = time.perf_counter() - t
    t = time.perf_counter()
    pdfs = pdf.to_pdf(letters)
    batch = time.perf_counter() - t
    t = time.perf_counter()
    for docx in letters:
        pdf.to_pdf([docx])
    separate = time.perf_counter() - t
    pages = sum(pdf_measure.pages(p) for p in pdfs)
    print(f"  1 letter, to_pdf                   {one:7.2f} s")
    print(f"  30 letters, to_pdf (1 soffice)     {batch:7.2f} s   ({pages} pages)   target < 10 s")
    print(f"  baseline: 1 soffice, empty doc     {start_cost:7.2f} s   (the fixed cost of a start)")
    print(f"  baseline: 30 soffice starts        {separate:7.2f} s   (one start per letter: forbidden)")


LISTENER = textwrap.dedent('''
    import sys, time, uno
    from com.sun.star.beans import PropertyValue
    def prop(n, v):
        p = PropertyValue(); p.Name = n; p.Value = v; return p
    ctx = uno.getComponentContext()
    resolver = ctx.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", ctx)
    for _ in range(200):
        try:
            remote = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % sys.argv[1]); break
        except Exception:
            time.sleep(0.05)
    desktop = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
    ready = time.perf_counter()
    files = sys.argv[2:]
    marks = []
    for f in files:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(f), "_blank", 0, (prop("Hidden", True),))
        doc.storeToURL(uno.systemPathToFileUrl(f[:-5] + ".pdf"), (prop("FilterName", "writer_pdf_Export"),))
        doc.close(True)
        marks.append(time.perf_counter())
    print(ready, marks[0], marks[-1])
    try:
        desktop.terminate()
    except Exception:
        pass
''')


def bench_listener(letters: list[bytes]) -> None:
    py = shutil.which("python3", path="/usr/bin") or "python3"
    if subprocess.run([py, "-c", "import uno"], capture_output=True, check=False).returncode != 0:
        print("listener: skipped (system python3 has no 'uno': apt-get install python3-uno)")
        return
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        files = []
        for i, docx in enumerate(letters):
            files.append(root / f"{i:03d}.docx")
            files[-1].write_bytes(docx)
        name = f"ruam-bench-{os.getpid()}"
        env = {**os.environ, **fonts_module.font_setting().env}
        t0 = time.perf_counter()
        office = subprocess.Popen([*pdf.soffice_command(), "--headless", "--norestore", "--nologo",
                                   f"-env:UserInstallation={(root / 'profile').as_uri()}",
                                   f"--accept=pipe,name={name};urp;"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            out = subprocess.run([py, "-c", LISTENER, name, *map(str, files)], capture_output=True, text=True,
                                 env=env, timeout=300, check=True).stdout.split()
        finally:
            office.wait(timeout=60) if office.poll() is None else None
        ready, first, last = map(float, out)
        # perf_counter of another process is not comparable: report the parts it measured itself
        print("Listener (one soffice started once, driven over UNO)")
        print(f"  start + connect (this run)         {time.perf_counter() - t0 - (last - ready):7.2f} s")
        print(f"  1st letter on a warm listener      {first - ready:7.2f} s")
        print(f"  30 letters on a warm listener      {last - ready:7.2f} s")


def bench_fonts(real_font: Path) -> None:
    order = pdf_reference.order_docx(N)
    letters = pdf_reference.letters_docx(N)
    docs = [order, *letters]
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        (root / "fonts").mkdir()
        shutil.copy(real_font, root / "fonts")
        conf = root / "fonts.conf"
        conf.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                        f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                        f'<dir>{root / "fonts"}</dir><cachedir>{root / "cache"}</cachedir></fontconfig>\n')
        before = os.environ.get("FONTCONFIG_FILE")
        os.environ["FONTCONFIG_FILE"] = str(conf)
        try:
            assert fonts_module.font_setting().font == fonts_module.REAL_FAMILY, "the real font was not found"
            real = pdf.to_pdf(docs)
        finally:
            os.environ.pop("FONTCONFIG_FILE") if before is None else os.environ.update(FONTCONFIG_FILE=before)
    substitute = pdf.to_pdf(docs)
    plain_setting = fonts_module.FontSetting(fonts_module.SOURCE_FAMILY, {}, "Laksaman as LibreOffice picks it")
    saved = pdf.font_setting
    pdf.font_setting = lambda: plain_setting
    try:
        plain = pdf.to_pdf(docs)
    finally:
        pdf.font_setting = saved

    def lines(p: bytes) -> list[str]:
        return ["".join(sorted(c for c in ln if not c.isspace())) for ln in pdf_measure.text(p).splitlines()
                if ln.strip()]

    def differing(a: bytes, b: bytes) -> int:
        x, y = lines(a), lines(b)
        return sum(u != v for u, v in zip(x, y)) + abs(len(x) - len(y))

    print(f"Fonts: the 30-member order and its 30 letters (real font: {real_font.name})")
    print(f"  {'':40} {'pages':>5}  {'lines per page':<18} {'lines':>5}  lines unlike the real font's")
    for label, got in (("TH Sarabun New (real)", real), ("Laksaman, LibreOffice's pick", plain),
                       ("Ruam Laksaman (rescaled)", substitute)):
        o = got[0]
        per = pdf_measure.lines_per_page(o)
        print(f"  {'order: ' + label:40} {pdf_measure.pages(o):>5}  {per!s:<18} {sum(per):>5}  {differing(real[0], o)}")
    for label, got in (("TH Sarabun New (real)", real), ("Laksaman, LibreOffice's pick", plain),
                       ("Ruam Laksaman (rescaled)", substitute)):
        pages = sum(pdf_measure.pages(p) for p in got[1:])
        total = sum(sum(pdf_measure.lines_per_page(p)) for p in got[1:])
        diff = sum(differing(a, b) for a, b in zip(real[1:], got[1:]))
        print(f"  {'30 letters: ' + label:40} {pages:>5}  {'':<18} {total:>5}  {diff}")


def pictures(folder: Path) -> None:
    """Each page of the reference order and the first letter as PNG (``pdftoppm -png -r 60``)."""
    order, letter = pdf.to_pdf([pdf_reference.order_docx(N), pdf_reference.letter_docx(0, N)])
    with tempfile.TemporaryDirectory() as work:
        for name, data in (("documents-pdf-order", order), ("documents-pdf-letter", letter)):
            source = Path(work) / f"{name}.pdf"
            source.write_bytes(data)
            subprocess.run(["pdftoppm", "-png", "-r", "60", str(source), str(folder / name)], check=True)
    print("pictures:", ", ".join(sorted(p.name for p in folder.glob("documents-pdf-*.png"))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--listener", action="store_true")
    parser.add_argument("--real-font", type=Path)
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--pictures", type=Path, help="write the reference pages as PNG into this folder")
    args = parser.parse_args()
    os.environ.setdefault("RUAM_FONT_CACHE", tempfile.mkdtemp(prefix="ruam-bench-fonts-"))
    if args.pictures:
        pictures(args.pictures)
        if args.no_pdf:
            return
    bench_docx(args.repeat)
    if args.no_pdf:
        return
    if not pdf.available():
        print("PDF: skipped (LibreOffice not installed: apt-get install libreoffice-writer-nogui)")
        return
    letters = pdf_reference.letters_docx(N)
    bench_pdf(letters)
    if args.listener:
        bench_listener(letters)
    if args.real_font:
        bench_fonts(args.real_font)


if __name__ == "__main__":
    main()
