"""One line at the end of a run: which services the skipped tests wanted.

A skip's reason names what was missing; ``WANTED`` maps the reasons the suite
uses to the service a person would set up. Any other reason is shown as it is.
"""

from __future__ import annotations

import re
from collections import Counter

WANTED = (
    (re.compile(r"RUAM_TEST_DATABASE_URL"), "PostgreSQL (set RUAM_TEST_DATABASE_URL)"),
    (re.compile(r"Chromium"), "Chromium (RUAM_CHROMIUM, default /usr/bin/chromium)"),
    (re.compile(r"playwright"), "playwright (pip install -e '.[browser]')"),
    (re.compile(r"schemathesis"), "schemathesis (pip install -e '.[test]')"),
    (re.compile(r"LibreOffice|soffice"), "LibreOffice (apt-get install libreoffice-writer-nogui; or RUAM_SOFFICE)"),
    (re.compile(r"poppler"), "poppler-utils (apt-get install poppler-utils)"),
    (re.compile(r"fonts-thai-tlwg|Laksaman"), "Thai fonts (apt-get install fonts-thai-tlwg)"),
)


def wanted(reason: str) -> str:
    reason = reason.removeprefix("Skipped: ").strip()
    for pattern, service in WANTED:
        if pattern.search(reason):
            return service
    return reason


def skip_line(reasons: list[str]) -> str | None:
    """``skipped 3 tests; they wanted: PostgreSQL (…) ×2, Chromium (…) ×1`` — or None."""
    if not reasons:
        return None
    counts = Counter(wanted(r) for r in reasons)
    parts = ", ".join(f"{service} ×{n}" for service, n in counts.most_common())
    return f"skipped {len(reasons)} test{'s' if len(reasons) != 1 else ''}; they wanted: {parts}"


def reason_of(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)
