from tests.steps import HAPPY_PATH, PROCESS, run


def test_happy_path_closes_and_verifies(opened):
    from engine.audit.live import verify

    records = run(opened, HAPPY_PATH)
    assert [r.data["to"] for r in records] == ["appointing", "notifying", "meeting", "reporting",
                                                "reviewing_feedback", "closed"]
    assert opened.process(PROCESS)["state"] == "closed"
    report = verify(opened)
    assert report.ok, report.findings
