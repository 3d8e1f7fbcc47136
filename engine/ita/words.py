"""What the completeness report says to a person (``ruam ita check``), and its JSON."""

from __future__ import annotations

from engine.ita.check import Report
from workflow.fiscal import format_date_be
from workflow.ita import PERIOD_TITLES, window_words
from workflow.ita_catalogue import CONFIDENCE_TITLES, EVIDENCE

UNKNOWN = ("(ยังไม่ทราบรหัส)", "(code unknown)")


def carried_words(report: Report, lang: str = "th") -> str | None:
    c = report.catalogue
    if not c.carried_from:
        return None
    if lang == "th":
        return (f"ยังไม่มีรายการข้อ ITA ของปี {report.fiscal_year}: ใช้รหัสข้อของปี {c.carried_from} ไปก่อน "
                f"ตรวจกับแบบ OIT ของปีนี้ แล้วเพิ่มไฟล์ของปี {report.fiscal_year} ในโฟลเดอร์ RUAM_ITA_DIR")
    return (f"no ITA catalogue for {report.fiscal_year} yet: the codes of {c.carried_from} are used; check them "
            f"against this year's form and add a {report.fiscal_year} file to RUAM_ITA_DIR")


def report_lines(report: Report, base: str, lang: str = "th") -> list[str]:
    th = lang == "th"
    c = report.catalogue
    lines = [f"รายการข้อ ITA (OIT) ปีงบประมาณ {report.fiscal_year} — {c.agency_title.th}" if th else
             f"ITA (OIT) items, fiscal year {report.fiscal_year} — {c.agency_title.en}"]
    carried = carried_words(report, lang)
    if carried:
        lines.append(("คำเตือน: " if th else "warning: ") + carried)
    for ic in report.items:
        item = ic.item
        code = item.code or UNKNOWN[0 if th else 1]
        answer = ("มี" if ic.answer else "ไม่มี") if th else ("yes" if ic.answer else "no")
        state = ("ครบ" if ic.complete else "ยังไม่ครบ") if th else ("complete" if ic.complete else "incomplete")
        lines.append("")
        lines.append(f"ข้อ {code} {item.title.th}: {answer} ({state})" if th else
                     f"item {code} {item.title.en}: {answer} ({state})")
        period = PERIOD_TITLES[item.period][0 if th else 1]
        lines.append(f"  ช่วงที่ประเมิน: {window_words(ic.window)} ({period})" if th else
                     f"  window: {ic.window[0]:%d %b} {ic.window[0].year + 543} – {ic.window[1]:%d %b} "
                     f"{ic.window[1].year + 543} BE ({period})")
        if item.confidence in ("uncertain", "inferred"):
            lines.append(f"  ความแน่นอนของรหัสข้อ: {CONFIDENCE_TITLES[item.confidence][0]}" if th else
                         f"  confidence: {CONFIDENCE_TITLES[item.confidence][1]}")
        lines.append("  องค์ประกอบ:" if th else "  elements:")
        for e in ic.elements:
            mark = "✓" if e.ok else ("✗" if e.ok is False else "–")
            lines.append(f"    {mark} {e.title}: {e.th}" if th else f"    {mark} {e.title_en}")
        if ic.tasks:
            lines.append("  งานตามประกาศ:" if th else "  tasks in the announcement's order:")
        for t in ic.tasks:
            el = t.task
            if el.cancelled:
                status = "ยกเลิก (ไม่นับ)" if th else "cancelled (not counted)"
            elif t.ok:
                status = "ครบ เผยแพร่ได้" if th else "complete, publishable"
            else:
                status = f"ยังไม่ครบ {len(t.blocking)} เรื่อง" if th else f"{len(t.blocking)} thing(s) missing"
            lines.append(f"    {el.order}) {el.task_title}: {status}" if th else
                         f"    {el.order}) {el.task_title_en}: {status}")
            for g in t.gaps:
                if g.code == "cancelled":
                    continue
                fix = t.fix(g)
                lead = "-" if g.blocking else ("- (คำเตือน)" if th else "- (warning)")
                lines.append(f"       {lead} {g.th if th else g.en}")
                lines.append(f"         แก้ที่: {fix.th} {base}{fix.path}" if th else
                             f"         fix: {fix.en} {base}{fix.path}")
    if report.own_items:
        lines.append("")
        lines.append("ข้อที่มีองค์ประกอบซึ่งสำนักงานต้องจัดเตรียมเอง (ไม่อยู่ในรวม):" if th else
                     "items with an element the office attaches itself (not held by Ruam):")
        for item in report.own_items:
            own = [e.title.th if th else e.title.en for e in item.elements if "office.own" in e.evidence]
            code = item.code or UNKNOWN[0 if th else 1]
            lines.append(f"  ข้อ {code} {item.title.th}: {', '.join(own)}" if th else
                         f"  item {code} {item.title.en}: {', '.join(own)}")
    lines.append("")
    missing = sum(1 for i in report.items if not i.complete)
    if th:
        lines.append(f"สรุป ณ {format_date_be(report.at.date())}: " +
                     ("ครบทุกข้อ" if report.complete else f"ยังไม่ครบ {missing} จาก {len(report.items)} ข้อ"))
    else:
        lines.append("summary: " + ("everything complete" if report.complete else
                                    f"{missing} of {len(report.items)} item(s) incomplete"))
    return lines


def report_json(report: Report, base: str) -> dict:
    c = report.catalogue
    return {
        "fiscal_year": report.fiscal_year, "agency_type": c.agency_type, "carried_from": c.carried_from,
        "complete": report.complete, "at": report.at,
        "items": [{
            "code": ic.item.code, "concept": ic.item.concept, "title": ic.item.title.th,
            "period": ic.item.period, "window": [ic.window[0], ic.window[1]], "confidence": ic.item.confidence,
            "source": ic.item.source, "answer": ic.answer, "complete": ic.complete,
            "elements": [{"id": e.id, "title": e.title, "evidence": list(e.evidence), "ok": e.ok, "found": e.th}
                         for e in ic.elements],
            "tasks": [{"task_id": t.task.task_id, "title": t.task.task_title, "order": t.task.order,
                       "process_id": t.task.process_id, "complete": t.ok, "cancelled": t.task.cancelled,
                       "elements": t.complete,
                       "gaps": [g.as_dict() | {"fix_url": base + t.fix(g).path} for g in t.gaps]}
                      for t in ic.tasks],
        } for ic in report.items],
        "office_items": [{"code": i.code, "concept": i.concept, "title": i.title.th,
                          "own_elements": [e.id for e in i.elements if "office.own" in e.evidence]}
                         for i in report.own_items],
        "evidence_titles": {k: v[0] for k, v in EVIDENCE.items()},
    }
