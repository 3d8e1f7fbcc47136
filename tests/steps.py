"""Evidence for every step of the shipped procedure, as an officer would give it."""

from __future__ import annotations

TASK = "task_teacher_welfare"
PROCESS = f"2570/{TASK}"
OFFICER = "officer_teacher_welfare"
DIRECTOR = "director_administration"
OTHER_DIRECTOR = "director_policy_planning"

MEMBERS = [
    {"name": "ผู้แทนชุมชน ก", "position": "ประธานชุมชน", "organisation": "ชุมชนตำบลตัวอย่าง",
     "external": True, "role": "chair"},
    {"name": "ผู้แทนผู้ปกครอง ข", "position": "ผู้ปกครอง", "organisation": "เครือข่ายผู้ปกครอง",
     "external": True, "role": "member"},
    {"name": "ครู ค", "position": "ครู", "organisation": "สพป.", "external": False, "role": "secretary"},
]


def analysis(external: bool = True) -> dict:
    return {
        "legal_bases": [{"title": "พ.ร.บ.การศึกษาแห่งชาติ พ.ศ. ๒๕๔๒", "section": "มาตรา ๘ (๒)"}],
        "summary": "งานนี้ต้องให้ผู้มีส่วนได้ส่วนเสียภายนอกมีส่วนร่วม",
        "proposed_appointees": [{"name": m["name"], "position": m["position"], "organisation": m["organisation"],
                                 "kind": "individual", "external": external and m["external"]} for m in MEMBERS],
    }


def appointment(number: str = "๑๒๓/๒๕๖๙", date: str = "2569-11-10", members=None) -> dict:
    return {"document_kind": "order", "number": number, "date": date, "signed_by": "ผู้อำนวยการ สพป.",
            "body": "committee", "members": members if members is not None else MEMBERS}


def notifications(date: str = "2569-11-12", members=None) -> dict:
    members = members if members is not None else MEMBERS
    return {"letters": [{"member": m["name"], "number": f"ศธ ๐๔๐๘๖/{i + 1}", "date": date, "channel": "post"}
                        for i, m in enumerate(members)]}


def meeting(date: str = "2569-11-15") -> dict:
    return {"date": date, "place": "ห้องประชุม สพป.", "agenda": "รับฟังความคิดเห็น",
            "attendees": [{"name": m["name"], "position": m["position"], "external": m["external"]} for m in MEMBERS],
            "minutes_summary": "ที่ประชุมเสนอให้ปรับปรุงการประชาสัมพันธ์", "minute_taker": "ครู ค"}


def report(date: str = "2569-11-18") -> dict:
    return {"report_kind": "minutes", "date": date, "recipients": [{"name": m["name"]} for m in MEMBERS],
            "summary": "ส่งรายงานการประชุมให้คณะกรรมการ"}


def decisions(opinion_ids=()) -> list[dict]:
    out = [{"source": "ผู้แทนชุมชน ก", "opinion": "ขอให้ประชาสัมพันธ์มากขึ้น", "decision": "adopt",
            "action_or_reason": "เพิ่มช่องทางประชาสัมพันธ์"}]
    out += [{"opinion_id": oid, "source": "ประชาชน", "opinion": "ความเห็นจากแบบฟอร์ม", "decision": "decline",
             "action_or_reason": "อยู่นอกขอบเขตของงาน"} for oid in opinion_ids]
    return out


def closing(opinion_ids=()) -> dict:
    return {"decisions": decisions(opinion_ids), "topic": "สวัสดิการครู", "participants": "คณะกรรมการ ๓ คน",
            "results": "ได้ข้อเสนอ ๓ ข้อ", "improvements": "ปรับปรุงการประชาสัมพันธ์"}


# the whole procedure, one round: (trigger, actor, evidence)
HAPPY_PATH = [
    ("complete_analysis", OFFICER, analysis()),
    ("issue_appointment", DIRECTOR, appointment()),
    ("send_notifications", OFFICER, notifications()),
    ("record_meeting", OFFICER, meeting()),
    ("send_report", OFFICER, report()),
    ("close", DIRECTOR, closing()),
]


def run(app, steps, process: str = PROCESS):
    return [app.advance(process, trigger, actor, evidence) for trigger, actor, evidence in steps]
