"""A writer that drives processes through the whole procedure until it is killed.

``python -m tests.driver DB_URL`` — used by the SIGKILL test. Each step is its
own committed transaction; the clock moves a minute per step.
"""

from __future__ import annotations

import datetime as dt
import sys

from engine.app import Ruam
from storage.store import Store
from tests import steps


def drive(url: str, limit: int | None = None) -> None:
    moment = [dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)]

    def clock() -> dt.datetime:
        moment[0] += dt.timedelta(seconds=1)
        return moment[0]

    app = Ruam(Store(url), clock=clock)
    done = 0
    for fy in range(2570, 2600):
        app.open_cycle(fy)
        for n, task in enumerate(t.id for t in app.active().organization.tasks):
            officer = "officer_" + task.removeprefix("task_")
            director = {"mission_supervision_monitoring_evaluation": "director_supervision_monitoring_evaluation",
                        "mission_policy_planning": "director_policy_planning",
                        "mission_personnel": "director_personnel_administration",
                        "mission_administration": "director_administration"}[
                app.active().organization.task(task).mission_group]
            path = [("complete_analysis", officer, steps.analysis()),
                    ("issue_appointment", director, steps.appointment(number=f"{fy}{n}/2569")),
                    ("send_notifications", officer, steps.notifications()),
                    ("record_meeting", officer, steps.meeting()),
                    ("send_report", officer, steps.report()),
                    ("close", director, steps.closing())]
            for trigger, actor, evidence in path:
                app.advance(f"{fy}/{task}", trigger, actor, evidence)
                done += 1
                print(done, flush=True)
                if limit is not None and done >= limit:
                    return


if __name__ == "__main__":
    from engine.logs import configure

    configure("WARNING")
    drive(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)
