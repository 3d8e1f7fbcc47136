"""Words of the web face, Thai first; and how dates are shown (BE, Bangkok time)."""

from __future__ import annotations

import datetime as dt

from workflow.fiscal import BE_OFFSET, format_date_be, format_datetime_be, parse_date, to_bangkok

WORDS: dict[str, tuple[str, str]] = {
    "app": ("ร่วม — ระบบการมีส่วนร่วมของผู้มีส่วนได้ส่วนเสีย", "Ruam — stakeholder participation"),
    "skip": ("ข้ามไปยังเนื้อหา", "Skip to content"),
    "my_work": ("งานของฉัน", "My work"),
    "dashboard": ("ภาพรวมปีงบประมาณ", "Fiscal-year dashboard"),
    "admin": ("จัดการบุคคล", "People"),
    "audit": ("ตรวจสอบ", "Audit"),
    "public": ("หน้าสาธารณะ", "Public pages"),
    "sign_in": ("เข้าสู่ระบบ", "Sign in"),
    "sign_out": ("ออกจากระบบ", "Sign out"),
    "person_id": ("รหัสผู้ใช้", "Person id"),
    "password": ("รหัสผ่าน", "Password"),
    "office": ("สำนักงาน", "Office"),
    "waiting": ("รอการดำเนินการของฉัน", "Waiting for me"),
    "nothing_waiting": ("ไม่มีงานที่รอคุณในขณะนี้", "Nothing waits for you now"),
    "my_groups": ("งานในกลุ่มของฉันที่ยังไม่เสร็จ", "Open tasks in my groups"),
    "due_note": ("ปีงบประมาณนี้สิ้นสุด", "This fiscal year ends on"),
    "days_left": ("เหลือ {n} วัน", "{n} days left"),
    "task": ("งาน", "Task"),
    "state": ("ขั้นตอน", "State"),
    "updated": ("ปรับปรุงล่าสุด", "Last change"),
    "version": ("รุ่น", "Version"),
    "fiscal_year": ("ปีงบประมาณ", "Fiscal year"),
    "show": ("แสดง", "Show"),
    "overdue": ("เกินกำหนด", "Overdue"),
    "no_processes": ("ยังไม่มีกระบวนการในปีงบประมาณนี้", "No processes in this fiscal year yet"),
    "responsible": ("ผู้รับผิดชอบ", "Responsible officer"),
    "history": ("ลำดับเหตุการณ์", "Timeline"),
    "diagram": ("แผนภาพขั้นตอน", "State diagram"),
    "current": ("ขั้นตอนปัจจุบัน", "current state"),
    "actions": ("สิ่งที่คุณทำได้ตอนนี้", "What you can do now"),
    "no_actions": ("คุณไม่มีขั้นตอนที่ทำได้ในกระบวนการนี้ขณะนี้", "You have nothing to do on this process now"),
    "submit": ("บันทึก", "Save"),
    "add_row": ("เพิ่มแถว", "Add a row"),
    "note": ("หมายเหตุ (ไม่บังคับ)", "Note (optional)"),
    "required": ("จำเป็น", "required"),
    "yes": ("ใช่", "yes"),
    "no": ("ไม่ใช่", "no"),
    "choose": ("— เลือก —", "— choose —"),
    "by": ("โดย", "by"),
    "as_role": ("ในฐานะ", "as"),
    "open_feedback": ("ความคิดเห็นที่รอพิจารณา", "Opinions awaiting a decision"),
    "saved": ("บันทึกแล้ว", "Saved"),
    "people": ("บุคคลและบทบาท", "People and roles"),
    "add_person": ("เพิ่มบุคคล", "Add a person"),
    "assign": ("มอบหมายบทบาท", "Assign a role"),
    "end": ("สิ้นสุด", "End"),
    "name": ("ชื่อ-สกุล", "Name"),
    "position": ("ตำแหน่ง", "Position"),
    "email": ("อีเมล (ไม่บังคับ)", "Email (optional)"),
    "role": ("บทบาท", "Role"),
    "scope": ("กลุ่ม/งาน (เว้นว่าง = ทั้งสำนักงาน)", "Group or task (blank = whole office)"),
    "be_date_hint": ("วว/ดด/ปปปป (พ.ศ.)", "DD/MM/YYYY (Buddhist Era)"),
    "valid_from": ("มีผลตั้งแต่ (เว้นว่าง = ตอนนี้)", "From (blank = now)"),
    "valid_until": ("ถึง (ไม่บังคับ)", "Until (optional)"),
    "inactive": ("ไม่มีผล", "inactive"),
    "whole_office": ("ทั้งสำนักงาน", "whole office"),
    "verify": ("ตรวจสอบความครบถ้วนของบันทึก", "Verify the ledger"),
    "run_verify": ("ตรวจสอบตอนนี้", "Verify now"),
    "verify_ok": ("ผ่าน: บันทึก {records} รายการต่อเนื่องครบถ้วน และสถานะตรงกับบันทึก ({processes} กระบวนการ)",
                  "Passed: {records} records, chain intact, state equals the replay ({processes} processes)"),
    "verify_bad": ("ไม่ผ่าน: พบปัญหา {n} ข้อ", "FAILED: {n} finding(s)"),
    "findings_more": ("… และอีก {n} ข้อที่ไม่ได้แสดง", "… and {n} more not listed"),
    "checked": ("สิ่งที่ตรวจ", "What was checked"),
    "head": ("หัวสายบันทึก", "Chain head"),
    "calendar": ("ปฏิทินการกำกับติดตาม", "Calendar"),
    "overdue_only": ("เฉพาะที่เกินกำหนด", "Overdue only"),
    "st_scheduled": ("ยังไม่ถึงกำหนดเปิด", "not yet open"),
    "st_open": ("อยู่ระหว่างดำเนินการ", "open"),
    "st_overdue": ("เกินกำหนด", "overdue"),
    "st_done": ("ดำเนินการแล้ว", "done"),
    "st_done_late": ("ดำเนินการแล้ว (ล่าช้า)", "done (late)"),
    "st_not_applicable": ("ไม่อยู่ในรอบ", "not applicable"),
    "record_extra": ("บันทึกครั้งเพิ่มเติม", "Record an extra round"),
    "no_items": ("ไม่มีรายการในปฏิทินที่คุณเกี่ยวข้องในปีงบประมาณนี้", "No calendar items of yours this fiscal year"),
    "item": ("รายการ", "Item"),
    "subject": ("งาน/กลุ่ม", "Task or group"),
    "window": ("ช่วงเวลา", "Window"),
    "due": ("ครบกำหนด", "Due"),
    "status": ("สถานะ", "Status"),
    "who_responsible": ("ผู้รับผิดชอบ", "Responsible"),
    "days_over": ("เกินมา {n} วัน", "{n} days over"),
    "named_at_open": ("ระบุเมื่อเปิดรอบ", "named when it opens"),
    "escalated_to": ("แจ้งต่อ", "escalated to"),
    "submit_report": ("ส่งรายงาน", "Submit the report"),
    "record_checkpoint": ("บันทึกผลการกำกับติดตาม", "Record the checkpoint"),
    "report_summary": ("สรุปผลการดำเนินงาน", "Summary of the results"),
    "report_document": ("เลขที่/ชื่อเอกสารรายงานที่ลงนามแล้ว (ไม่บังคับ)", "Signed report reference (optional)"),
    "report_document_help": ("เช่น เลขที่หนังสือ หรือชื่อไฟล์รายงานที่ผู้บริหารลงนาม",
                             "e.g. the letter number or the file name of the signed report"),
    "attach": ("แนบไฟล์ (ไม่บังคับ)", "Attach files (optional)"),
    "not_open_now": ("รายการนี้ไม่เปิดให้บันทึกในขณะนี้", "This item cannot be recorded now"),
    "not_yours": ("คุณไม่มีบทบาทที่บันทึกรายการนี้ได้ ผู้รับผิดชอบแสดงไว้ด้านบน",
                  "None of your roles may record this item; the people responsible are named above"),
    "held_on": ("วันที่กำกับติดตาม/ประชุม (ไม่บังคับ)", "Day of the visit or meeting (optional)"),
    "cp_findings": ("ผลการกำกับ ติดตาม ตรวจสอบ", "Findings"),
    "cp_advice": ("ข้อเสนอแนะ/คำปรึกษา", "Advice"),
    "per_task": ("ผลและข้อเสนอแนะรายงาน (ทุกงานในกลุ่ม)", "Findings and advice for every task of the group"),
    "cal_waiting": ("รายงานและการกำกับติดตามที่รอฉัน (ภายใน 30 วัน หรือเกินกำหนด)",
                    "Reports and checkpoints waiting for me (due within 30 days, or overdue)"),
    "cal_nothing": ("ไม่มีรายการในปฏิทินที่รอคุณในช่วงนี้", "No calendar items wait for you soon"),
    "cal_overdue": ("ปฏิทินเกินกำหนด", "Calendar overdue"),
    "replay": ("ย้อนดูสถานะ ณ วันที่", "Replay as of a date"),
    "as_of": ("ณ สิ้นวันที่", "As at the end of"),
    "as_of_help": ("สถานะของทุกกระบวนการและรายการในปฏิทินตามบันทึก ณ สิ้นวันนั้น (เวลาประเทศไทย)",
                   "Every process and calendar item as the ledger had them at the end of that day (Bangkok time)"),
    "replayed": ("สถานะ ณ {at} (บันทึก {n} รายการ ถึง #{seq})", "State as of {at} ({n} records, up to #{seq})"),
    "export": ("ส่งออกบันทึก", "Export the ledger"),
    "export_help": ("ส่งออกบันทึกทั้งหมดพร้อมตราประทับสำหรับพิมพ์และลงนาม ตรวจภายหลังได้โดยไม่ต้องใช้ฐานข้อมูล",
                    "The whole ledger with a seal to print and sign; it can be verified later with no database"),
    "export_jsonl": ("ส่งออก JSONL", "Export JSONL"),
    "export_csv": ("ส่งออก CSV (สเปรดชีต)", "Export CSV (spreadsheet)"),
    "export_ready": ("ส่งออกแล้ว", "Exported"),
    "download": ("ดาวน์โหลด", "Download"),
    "download_definitions": ("ดาวน์โหลดนิยาม (ใช้คู่กับ CSV)", "Download the definitions (beside the CSV)"),
    "download_seal": ("ดาวน์โหลดตราประทับ (.seal.json)", "Download the seal (.seal.json)"),
    "public_title": ("การมีส่วนร่วมของผู้มีส่วนได้ส่วนเสีย", "Stakeholder participation"),
    "public_intro": ("สิ่งที่สำนักงานดำเนินการร่วมกับผู้มีส่วนได้ส่วนเสียในแต่ละงาน และช่องทางแสดงความคิดเห็น",
                     "What the office did with stakeholders in each task, and where you can give your opinion"),
    "what_done": ("สิ่งที่ดำเนินการแล้ว", "What was done"),
    "nothing_yet": ("ยังไม่มีการเผยแพร่ในปีงบประมาณนี้", "Nothing published yet this fiscal year"),
    "give_opinion": ("แสดงความคิดเห็น", "Give your opinion"),
    "opinion": ("ความคิดเห็นหรือข้อเสนอแนะ", "Your opinion or suggestion"),
    "your_name": ("ชื่อหรือหน่วยงานของท่าน (ไม่บังคับ)", "Your name or organisation (optional)"),
    "send": ("ส่งความคิดเห็น", "Send"),
    "thanks": ("ได้รับความคิดเห็นของท่านแล้ว เลขที่อ้างอิง {id}", "Your opinion was received; reference {id}"),
    "handling": ((
        "ความคิดเห็นของท่านจะถูกบันทึกในทะเบียนที่แก้ไขไม่ได้ และส่งถึงผู้รับผิดชอบงานนี้ "
        "ผู้อำนวยการกลุ่มต้องพิจารณาทุกความคิดเห็น (นำไปปรับปรุง นำไปปรับปรุงบางส่วน หรือไม่นำไปปรับปรุง พร้อมเหตุผล) "
        "ก่อนปิดรอบการดำเนินงาน และผลการพิจารณาจะเผยแพร่ในหน้านี้ ระบบไม่เก็บที่อยู่ IP อีเมล หรือเบอร์โทรศัพท์ของท่าน "
        "ชื่อที่ท่านกรอก (ถ้ามี) จะเห็นได้เฉพาะเจ้าหน้าที่และไม่เผยแพร่ โปรดอย่าใส่ข้อมูลส่วนบุคคลอื่นในข้อความ"), (
        "Your opinion is kept in a record that cannot be altered and goes to the officer responsible for this task. "
        "The group director must decide on every opinion (adopt, adopt in part, or decline with a reason) before "
        "the round closes, and the decisions are published on this page. We keep no IP address, email or phone "
        "number; a name you give (optional) is seen only by staff and never published. Please put no other "
        "personal data in the text.")),
    "website": ("เว็บไซต์ (เว้นว่างไว้)", "Website (leave blank)"),
    "members": ("ผู้ได้รับแต่งตั้ง", "Members appointed"),
    "attendees": ("ผู้เข้าร่วม", "Attendees"),
    "received_count": ("ความคิดเห็นที่ได้รับ {n} รายการ", "{n} opinion(s) received"),
    "attachments": ("ไฟล์แนบ", "Attachments"),
    "change_password": ("เปลี่ยนรหัสผ่าน", "Change password"),
    "current_password": ("รหัสผ่านปัจจุบัน", "Current password"),
    "new_password": ("รหัสผ่านใหม่", "New password"),
    "new_password_again": ("ยืนยันรหัสผ่านใหม่ (พิมพ์อีกครั้ง)", "New password again"),
    "password_rule": ("อย่างน้อย {n} ตัวอักษร และไม่ซ้ำกับรหัสผ่านปัจจุบัน",
                      "At least {n} characters, and not the current password"),
    "password_sessions_note": ("เมื่อเปลี่ยนแล้ว ระบบจะออกจากระบบในอุปกรณ์อื่นทั้งหมด ยกเว้นหน้าต่างนี้",
                               "Once changed, you are signed out everywhere else; this window stays signed in"),
    "password_changed": ("เปลี่ยนรหัสผ่านแล้ว (ออกจากระบบในที่อื่น {n} แห่ง)",
                         "Password changed (signed out in {n} other place(s))"),
    "file": ("ไฟล์", "File"),
    "api_tokens": ("โทเค็น API", "API tokens"),
    "api_tokens_note": ("ออกโทเค็นด้วยคำสั่ง ruam people token ระบบแสดงรหัสครั้งเดียวและเก็บไว้เพียงค่าแฮช "
                        "เมื่อยกเลิก โทเค็นจะใช้ไม่ได้ทันที",
                        "Tokens are issued with ruam people token; the secret is shown once and only its hash is "
                        "kept. A revoked token stops working at once"),
    "no_tokens": ("ยังไม่มีโทเค็น API ที่ใช้งานอยู่", "No API tokens in use"),
    "token_label": ("ใช้สำหรับ", "Label"),
    "token_issued": ("ออกเมื่อ", "Issued"),
    "token_last_used": ("ใช้ล่าสุด", "Last used"),
    "token_never_used": ("ยังไม่เคยใช้", "never"),
    "no_label": ("(ไม่ระบุ)", "(none)"),
    "revoke": ("ยกเลิก", "Revoke"),
    "revoke_token": ("ยกเลิกโทเค็น", "Revoke the token"),
    "language": ("English", "ภาษาไทย"),
    "not_found": ("ไม่พบหน้าที่ต้องการ", "Page not found"),
    "error": ("ไม่สามารถดำเนินการได้", "Could not be done"),
}


def word(key: str, lang: str, **kw) -> str:
    pair = WORDS.get(key)
    text = key if pair is None else (pair[0] if lang == "th" else pair[1])
    return text.format(**kw) if kw else text


def when(value, lang: str) -> str:
    """An instant (datetime or ISO text) in Bangkok time, BE in Thai."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if lang == "th":
        return format_datetime_be(value)
    local = to_bangkok(value)
    return f"{local:%d %b %Y %H:%M} (BE {local.year + BE_OFFSET})"


def day(value, lang: str) -> str:
    """A calendar day (date or ISO text) in BE."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = parse_date(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = to_bangkok(value).date()
    if lang == "th":
        return format_date_be(value)
    return f"{value:%d %b %Y} (BE {value.year + BE_OFFSET})"


def size(n: int | None, lang: str) -> str:
    """A file size for people: bytes, KB or MB (1 KB = 1024 bytes)."""
    if n is None:
        return ""
    if n < 1024:
        return f"{n} ไบต์" if lang == "th" else f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def be_input(value) -> str:
    """A date as a BE date field shows and takes it: ``10/11/2569`` (the field also takes what parse_date does)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = parse_date(value)
        except ValueError:
            return value  # what the person typed, shown back with its error
    if isinstance(value, dt.datetime):
        value = to_bangkok(value).date()
    return f"{value.day}/{value.month}/{value.year + BE_OFFSET}"
