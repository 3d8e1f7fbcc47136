"""Placeholder people for every role (never real names), for trying Ruam at once."""

from __future__ import annotations

from collections.abc import Iterator

from workflow.definitions import Organization


def demo_people(org: Organization) -> Iterator[tuple[str, str, str, str, str | None]]:
    """(person id, name, position, role, scope) for a demo office."""
    yield ("admin", "ผู้ดูแลระบบ (ตัวอย่าง)", "เจ้าหน้าที่กลุ่มอำนวยการ", "admin", None)
    yield ("esa_director", "ผู้อำนวยการ สพป. (ตัวอย่าง)", "ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษา",
           "esa_director", None)
    for i, group in enumerate(org.mission_groups, start=1):
        yield (f"deputy_{i}", f"รองผู้อำนวยการ สพป. คนที่ {i} (ตัวอย่าง)",
               "รองผู้อำนวยการสำนักงานเขตพื้นที่การศึกษา", "deputy_esa_director", group.id)
        for unit_id in group.units:
            unit = org.unit(unit_id)
            title = unit.title.th if unit else unit_id
            yield (f"director_{unit_id.removeprefix('group_')}", f"ผู้อำนวยการ{title} (ตัวอย่าง)",
                   f"ผู้อำนวยการ{title}", "group_director", unit_id)
        for task in group.tasks:
            yield (f"officer_{task.id.removeprefix('task_')}", f"ผู้รับผิดชอบ{task.title.th} (ตัวอย่าง)",
                   "บุคลากรทางการศึกษาผู้รับผิดชอบงาน", "responsible_officer", task.id)
    for i in (1, 2, 3):
        yield (f"ktpn_{i}", f"กรรมการ ก.ต.ป.น. คนที่ {i} (ตัวอย่าง)", "กรรมการ ก.ต.ป.น.", "ktpn_member", None)
    yield ("auditor", "ผู้ตรวจสอบภายใน (ตัวอย่าง)", "ผู้อำนวยการหน่วยตรวจสอบภายใน", "auditor", None)
