"""Ruam's own documents, timed: the DOCX of the order and of each of 30 letters of a
30-member committee (engine.documents.docx.render_docx over workflow.documents.build),
beside python-docx's floor (an empty document saved) measured in the same run; and,
unless --no-pdf, the 30 letters as one PDF batch (engine.documents.pdf.to_pdf) beside
one LibreOffice start converting one letter.

    python bench/documents_render_bench.py [--repeat 5] [--no-pdf]

Target (issue #12): a DOCX under 50 ms; the 30-letter PDF batch under 10 s.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

from definitions import shipped_texts
from engine.documents.docx import render_docx
from workflow.documents import Sources, build
from workflow.reader import load_definition


def committee(n: int = 30) -> dict:
    members = [{"name": f"ผู้แทนผู้มีส่วนได้ส่วนเสีย คนที่ {i} (ตัวอย่าง)", "position": "ผู้แทนชุมชน",
                "organisation": "ชุมชนตำบลตัวอย่าง", "external": True,
                "role": "chair" if i == 1 else "secretary" if i == n else "member"} for i in range(1, n + 1)]
    return {
        "complete_analysis": {"legal_bases": [{"title": "พระราชบัญญัติการศึกษาแห่งชาติ พ.ศ. ๒๕๔๒", "section": "มาตรา ๘ (๒)"}],
                              "summary": "ต้องให้ผู้มีส่วนได้ส่วนเสียมีส่วนร่วม"},
        "issue_appointment": {"document_kind": "order", "number": "๑๒๓/๒๕๖๙", "date": "2026-11-10",
                              "signed_by": "ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษาประถมศึกษา (ตัวอย่าง) เขต ๑",
                              "body": "committee", "members": members},
        "send_notifications": {"letters": [{"member": m["name"], "number": f"ศธ ๐๔๐๐๐/{i}", "date": "2026-11-12",
                                            "channel": "post"} for i, m in enumerate(members, 1)]},
    }


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-pdf", action="store_true")
    args = ap.parse_args()
    defs = {n: load_definition(t, n) for n, t in shipped_texts()}
    src = Sources(defs["definitions/documents/saraban.yaml"], defs["definitions/organization.yaml"],
                  defs["definitions/procedure.yaml"], 2570, "task_teacher_welfare", committee())
    order = build("appointment", src)
    letters = [build("letter", src, member=i) for i in range(1, 31)]

    def empty() -> None:
        from docx import Document

        Document().save(io.BytesIO())

    render_docx(order)  # imports and caches warm
    floor = timed(empty, args.repeat * 6)
    one_order = timed(lambda: render_docx(order), args.repeat * 6)
    per_letter = timed(lambda: [render_docx(m) for m in letters], args.repeat) / len(letters)
    print(f"DOCX  python-docx empty document saved (baseline): {floor * 1000:6.1f} ms")
    print(f"DOCX  the order of a 30-member committee:          {one_order * 1000:6.1f} ms")
    print(f"DOCX  one letter (median over 30 letters):         {per_letter * 1000:6.1f} ms   target < 50 ms")
    if args.no_pdf:
        return
    from engine.documents.pdf import to_pdf

    docx = [render_docx(m) for m in letters]
    t = time.perf_counter()
    to_pdf(docx[:1])
    single = time.perf_counter() - t
    t = time.perf_counter()
    pdfs = to_pdf(docx)
    batch = time.perf_counter() - t
    print(f"PDF   one letter, one LibreOffice start (baseline): {single:6.2f} s")
    print(f"PDF   30 letters, one LibreOffice batch:            {batch:6.2f} s   target < 10 s  ({len(pdfs)} PDFs)")


if __name__ == "__main__":
    main()
