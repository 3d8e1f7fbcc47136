"""The font the PDFs are set in when TH Sarabun New is not installed.

The documents name TH Sarabun New (the regulation's font). Where it is installed
(fontconfig finds the family), LibreOffice uses it and nothing here applies.
Where it is not, LibreOffice falls back to Debian's Laksaman (``fonts-thai-tlwg``:
SIPA's Sarabun renamed) at its own, larger scale: fontconfig's rule mapping
"TH Sarabun*" to Laksaman scaled 0.66 is a font *matrix*, which LibreOffice
ignores, so the text came out 1.5× as wide and as tall — measured on the
30-member reference order: 4 pages / 87 lines instead of 2 pages / 60.

The substitute made here is Laksaman with the proportions of TH Sarabun New 1.35:

- **width**: its ``unitsPerEm`` raised from 1000 to 1502 — every glyph drawn at
  1000/1502 = 0.6658 of its size; TH Sarabun New's advance widths are 0.6653 ×
  Laksaman's (median; Thai 0.6652, Latin 0.6654; min 0.6648, max 0.669). 1502
  rather than 1503: with 1503 the rounded vertical metrics come to 1.3313 em,
  a hair over the real 1.331, and lines drifted by up to 1.5 pt a page; 1502
  (1.3309 em) and 1504 put every line where the real font does
  (docs/documents-pdf.md has the table);
- **height**: the vertical metrics set to TH Sarabun New's (ascent 844, descent
  457, line gap 30 per 1000 em) and ``USE_TYPO_METRICS`` cleared, so single
  spacing is 1.331 em as with the real font (Laksaman's typo metrics give 1.14);
- **name**: family "Ruam Laksaman", so it can never be mistaken for the real
  font (the PDF embeds "RuamLaksaman"), chosen for any "TH Sarabun…" family by a
  private fontconfig file handed to LibreOffice alone (``FONTCONFIG_FILE``).

The DOCX is not touched (the file the office downloads and the one converted are
the same bytes). Rewriting font sizes in a copy of the DOCX cannot do this: sizes
are whole half-points, and 16 pt × 0.6653 = 10.64 pt lies between 10.5 and 11.
The fonts are built once (fontTools, ~0.3 s) into a cache folder named by the
hash of the source fonts and this recipe, and reused by every later call.
Laksaman is GPL-2+ with the font exception, which allows a modified version; the
modified files stay in the cache and are never shipped.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger("ruam.documents.pdf")

REAL_FAMILY = "TH Sarabun New"
SUBSTITUTE_FAMILY = "Ruam Laksaman"
SOURCE_FAMILY = "Laksaman"
# TH Sarabun New 1.35 (SIPA, 2011), measured with fontTools: per 1000 em
REAL_ASCENT, REAL_DESCENT, REAL_LINE_GAP = 844, 457, 30
SUBSTITUTE_UNITS_PER_EM = 1502          # ≈ 1000 / 0.6653, the measured width ratio (see above)
RECIPE = "ruam-laksaman-2"              # change when the recipe above changes
STYLES = ("Regular", "Bold", "Italic", "Bold Italic")


@dataclass(frozen=True)
class FontSetting:
    """What the PDF's Thai text is set in, and the environment LibreOffice needs for it."""

    font: str                     # "TH Sarabun New", "Ruam Laksaman" or what LibreOffice falls back to
    env: dict[str, str]           # extra environment for soffice (FONTCONFIG_FILE), or {}
    note: str                     # one English line for logs and the bench


def _fc(*args: str) -> str | None:
    exe = shutil.which("fc-list")
    if exe is None:
        return None
    try:
        return subprocess.run([exe, *args], capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def _installed(family: str) -> bool:
    out = _fc(f":family={family}", "family")
    return bool(out and out.strip())


def _source_files() -> dict[str, Path]:
    """Laksaman's files by style (``Regular``, ``Bold`` …), as fontconfig lists them."""
    out = _fc(f":family={SOURCE_FAMILY}", "--format", "%{file}\t%{style[0]}\n") or ""
    files: dict[str, Path] = {}
    for line in out.splitlines():
        path, _, style = line.partition("\t")
        if style in STYLES and path.lower().endswith(".ttf"):
            files.setdefault(style, Path(path))
    return files


def cache_root() -> Path:
    """``RUAM_FONT_CACHE``, else ``$XDG_CACHE_HOME/ruam/fonts``, else ``~/.cache/ruam/fonts``."""
    if os.environ.get("RUAM_FONT_CACHE"):
        return Path(os.environ["RUAM_FONT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ruam" / "fonts"


def _build(sources: dict[str, Path], folder: Path) -> None:
    from fontTools.ttLib import TTFont  # lazy: only the PDF path, and only once per cache

    for style, source in sources.items():
        font = TTFont(str(source))
        font["head"].unitsPerEm = SUBSTITUTE_UNITS_PER_EM
        k = SUBSTITUTE_UNITS_PER_EM / 1000
        ascent, descent, gap = round(REAL_ASCENT * k), round(REAL_DESCENT * k), round(REAL_LINE_GAP * k)
        hhea, os2 = font["hhea"], font["OS/2"]
        hhea.ascent, hhea.descent, hhea.lineGap = ascent, -descent, gap
        os2.sTypoAscender, os2.sTypoDescender, os2.sTypoLineGap = ascent, -descent, gap
        os2.usWinAscent, os2.usWinDescent = ascent, descent
        os2.fsSelection &= ~(1 << 7)  # USE_TYPO_METRICS off: LibreOffice then uses hhea, as for the real font
        for record in font["name"].names:
            if record.nameID in (1, 4, 16):
                record.string = record.toUnicode().replace(SOURCE_FAMILY, SUBSTITUTE_FAMILY)
            elif record.nameID == 6:
                record.string = record.toUnicode().replace(SOURCE_FAMILY, SUBSTITUTE_FAMILY.replace(" ", ""))
        font.save(str(folder / f"RuamLaksaman-{style.replace(' ', '')}.ttf"))
    base = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    (folder / "fonts.conf").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f'  <include ignore_missing="yes">{base}</include>\n'
        f"  <dir>{folder}</dir>\n"
        f"  <cachedir>{folder / 'cache'}</cachedir>\n"
        "  <!-- any TH Sarabun family (New, PSK, IT๙) not installed: the rescaled Laksaman first -->\n"
        '  <match target="pattern">\n'
        '    <test name="family" compare="contains"><string>TH Sarabun</string></test>\n'
        f'    <edit name="family" mode="prepend" binding="strong"><string>{SUBSTITUTE_FAMILY}</string></edit>\n'
        "  </match>\n</fontconfig>\n",
        encoding="utf-8",
    )


def _substitute(sources: dict[str, Path], root: Path | None = None) -> Path:
    """The cache folder holding the rescaled fonts and their fonts.conf (built if missing)."""
    digest = hashlib.sha256(RECIPE.encode())
    for style in sorted(sources):
        digest.update(style.encode() + b"\0" + sources[style].read_bytes())
    root = root or cache_root()
    folder = root / digest.hexdigest()[:20]
    if (folder / "fonts.conf").is_file():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    # built aside and renamed into place: a concurrent call either sees the whole
    # folder or builds its own and drops it when it loses the rename
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        target_work = work / "fonts"
        target_work.mkdir()
        _build(sources, target_work)
        # fonts.conf names its folder: write it for the final place before the rename
        conf = (target_work / "fonts.conf").read_text(encoding="utf-8").replace(str(target_work), str(folder))
        (target_work / "fonts.conf").write_text(conf, encoding="utf-8")
        try:
            os.rename(target_work, folder)
        except OSError:
            if not (folder / "fonts.conf").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder


def font_setting() -> FontSetting:
    """Which font the PDFs get on this machine, and how (see the module's docstring)."""
    if _installed(REAL_FAMILY):
        return FontSetting(REAL_FAMILY, {}, f"{REAL_FAMILY} is installed: the PDF uses it")
    sources = _source_files()
    if "Regular" not in sources:
        return FontSetting("LibreOffice's fallback", {},
                           f"neither {REAL_FAMILY} nor {SOURCE_FAMILY} (fonts-thai-tlwg) is installed: "
                           "LibreOffice falls back to another font, and lines and pages differ")
    try:
        try:
            folder = _substitute(sources)
        except OSError as exc:  # no writable home (a service user): the temporary folder instead
            log.warning("pdf_font_cache_unwritable", folder=str(cache_root()), error=str(exc))
            folder = _substitute(sources, Path(tempfile.gettempdir()) / f"ruam-fonts-{os.getuid()}")
    except ImportError:
        return FontSetting(SOURCE_FAMILY, {}, "fontTools is missing: Laksaman at its own scale (about 1.5× larger)")
    except OSError as exc:
        log.warning("pdf_font_cache_unwritable", folder=str(Path(tempfile.gettempdir())), error=str(exc))
        return FontSetting(SOURCE_FAMILY, {}, "no font cache is writable: Laksaman at its own scale")
    return FontSetting(SUBSTITUTE_FAMILY, {"FONTCONFIG_FILE": str(folder / "fonts.conf")},
                       f"{REAL_FAMILY} is not installed: Laksaman rescaled to its metrics ({folder})")
