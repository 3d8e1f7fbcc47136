"""The ITA catalogues in force: the shipped ones (``definitions/ita/``) and the office's own.

An office adds a year (FY 2570 …) or corrects a shipped one with a file of the
same format in the folder named by ``RUAM_ITA_DIR``; its files replace the
shipped ones for the same (fiscal year, agency type). The agency type is
``--agency-type``, else ``RUAM_ITA_AGENCY_TYPE``, else ``esa_office``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from workflow.errors import DefinitionError, Problem, UsageError
from workflow.ita_catalogue import ItaCatalogue, catalogue_for, check_catalogues, merge, valid_agency_type

DEFAULT_AGENCY = "esa_office"


def agency_type(given: str | None = None) -> str:
    value = (given or os.environ.get("RUAM_ITA_AGENCY_TYPE") or DEFAULT_AGENCY).strip()
    if not valid_agency_type(value):
        raise UsageError("agency_type", f"'{value}' is not an agency type id (e.g. esa_office)",
                         f"'{value}' ไม่ใช่รหัสประเภทหน่วยงาน (เช่น esa_office)")
    return value


def office_texts(folder: str | None = None) -> list[tuple[str, str]]:
    """The office's own catalogue files (``RUAM_ITA_DIR``), if it has any."""
    where = folder if folder is not None else os.environ.get("RUAM_ITA_DIR")
    if not where:
        return []
    root = Path(where)
    if not root.is_dir():
        raise DefinitionError([Problem("RUAM_ITA_DIR", "is not a folder", str(root), None, "ไม่ใช่โฟลเดอร์")])
    out = []
    for f in sorted(root.glob("*.yaml")):
        try:
            out.append((str(f), f.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise DefinitionError([Problem("(file)", f"cannot read: {exc}", str(f), None, "อ่านไฟล์ไม่ได้")]) from None
    return out


@lru_cache(maxsize=16)
def _checked(texts: tuple[tuple[str, str], ...]) -> tuple[ItaCatalogue, ...]:
    """Parsed once per set of texts (the files are read each time; an office's edit shows at once)."""
    return tuple(check_catalogues(list(texts)))


def catalogues(folder: str | None = None) -> list[ItaCatalogue]:
    """Every catalogue in force, checked (a bad file is a ``DefinitionError`` naming its lines)."""
    from definitions import ita_texts

    return merge(list(_checked(tuple(ita_texts()))), list(_checked(tuple(office_texts(folder)))))


def for_year(fiscal_year: int, agency: str | None = None, folder: str | None = None) -> ItaCatalogue:
    found = catalogue_for(catalogues(folder), fiscal_year, agency_type(agency))
    if found is None:
        kind = agency_type(agency)
        raise UsageError("fiscal_year", f"no ITA catalogue for {fiscal_year} or an earlier year ({kind}); "
                                        "add a file to RUAM_ITA_DIR",
                         f"ไม่มีรายการข้อ ITA ของปี {fiscal_year} หรือปีก่อนหน้า (ประเภทหน่วยงาน {kind}) "
                         "เพิ่มไฟล์ในโฟลเดอร์ RUAM_ITA_DIR")
    return found


def check_ita_texts(texts: list[tuple[str, str]], lang: str = "th", shipped: bool = False
                    ) -> tuple[list[tuple[str, str]], list[str]]:
    """For ``ruam definitions check``: the ITA catalogues among ``texts`` checked (with the shipped
    ones and the office's when ``shipped``); the other texts handed back, and one line per catalogue.

    A catalogue given as a file is checked together with the shipped ones of other years (a second
    file for the same year and agency type in the same run is a problem)."""
    from definitions import ita_texts
    from workflow.ita_catalogue import CONFIDENCE_TITLES, is_catalogue_text

    ita = [(n, t) for n, t in texts if is_catalogue_text(t)]
    rest = [(n, t) for n, t in texts if not is_catalogue_text(t)]
    if shipped:
        found = merge(check_catalogues(ita_texts()), check_catalogues(office_texts() + ita))
    else:
        found = check_catalogues(ita)
    th = lang == "th"
    lines = []
    for c in found:
        unsure = sum(1 for i in c.items if i.confidence == "uncertain")
        codes = ", ".join(i.code or ("(ยังไม่ทราบรหัส)" if th else "(code unknown)") for i in c.items)
        if th:
            note = f" ยังไม่แน่นอน {unsure} ข้อ ({CONFIDENCE_TITLES['uncertain'][0]})" if unsure else ""
            lines.append(f"ผ่าน  รายการข้อ ITA ปีงบประมาณ {c.fiscal_year} {c.agency_title.th}: {codes}{note}")
        else:
            note = f"; {unsure} uncertain" if unsure else ""
            lines.append(f"ok  ITA catalogue FY {c.fiscal_year} {c.agency_title.en}: {codes}{note}")
    return rest, lines
