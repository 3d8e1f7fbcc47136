"""Odd input at the door, on every backend: bodies past their limit (413, read no
further, with or without a Content-Length), NUL characters in each kind of input
(4xx naming where, never a database error: PostgreSQL's text cannot hold them),
and definition YAML nested too deep or repeated through aliases (4xx / exit 1,
Thai first)."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from tests import steps
from tests.test_cli import ruam
from tests.webkit import hidden, login

FEEDBACK_API = f"/api/public/processes/{steps.PROCESS}/feedback"
FEEDBACK_FORM = f"/public/{steps.PROCESS}/feedback"
ADVANCE_API = f"/api/processes/{steps.PROCESS}/advance"
KB = 1024


@pytest.fixture
def client(web):
    with TestClient(web) as c:
        yield c


def bearer(tokens, person):
    return {"Authorization": f"Bearer {tokens[person]}"}


def call(web, method: str, path: str, chunks=(), headers=(), query: bytes = b""):
    """One request straight through the ASGI app, its body in ``chunks`` (no Content-Length
    unless given): (status, headers, body, how many chunks the app pulled)."""
    pulled, sent = [0], []

    async def receive():
        if pulled[0] < len(chunks):
            pulled[0] += 1
            return {"type": "http.request", "body": chunks[pulled[0] - 1], "more_body": pulled[0] < len(chunks)}
        await asyncio.sleep(3600)  # a client that sends nothing more

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers], "client": ("127.0.0.1", 5000),
             "server": ("testserver", 80)}
    asyncio.run(asyncio.wait_for(web(scope, receive, send), 30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body, pulled[0]


# ---------------------------------------------------------------------------- body size
@pytest.mark.parametrize("path, content_type, page", [
    (FEEDBACK_API, "application/json", False),                        # the public API
    (FEEDBACK_FORM, "application/x-www-form-urlencoded", True),       # the public form
    ("/login", "multipart/form-data; boundary=x", True),              # sign-in, multipart
    (ADVANCE_API, "application/json", False),                         # a step, with no one signed in
])
def test_a_body_streamed_past_the_limit_without_a_length_is_413_and_read_no_further(web, path, content_type,
                                                                                    page):
    chunks = [b"a" * (16 * KB)] * 200  # 3.2 MB, chunked: no Content-Length
    if content_type.startswith("multipart"):  # a file that never ends
        chunks[0] = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n' + chunks[0]
    status, headers, body, pulled = call(web, "POST", path, chunks, [("content-type", content_type)])
    assert status == 413
    assert pulled <= 64 // 16 + 1  # the limit for anyone not signed in is 64 KB; nothing more was read
    text = body.decode()
    if page:
        assert headers["content-type"].startswith("text/html") and 'lang="th"' in text
        assert "ข้อมูลที่ส่งมีขนาดเกิน 64 KB" in text
    else:
        problem = json.loads(text)
        assert headers["content-type"] == "application/problem+json"
        assert problem["status"] == 413 and problem["code"] == "too_large"
        assert problem["detail"].startswith("ข้อมูลที่ส่งมีขนาดเกิน 64 KB")
    assert headers["x-content-type-options"] == "nosniff"  # the security headers, as on every answer


def test_english_on_request(web):
    status, _, body, _ = call(web, "POST", FEEDBACK_API, [b"a" * (128 * KB)], [("content-type", "application/json")],
                              query=b"lang=en")
    assert status == 413 and "larger than 64 KB" in json.loads(body)["detail"]


def test_a_declared_length_past_the_limit_is_refused_before_reading(web):
    status, _, _, pulled = call(web, "POST", FEEDBACK_FORM, [b"x"] * 3,
                                [("content-type", "application/x-www-form-urlencoded"),
                                 ("content-length", str(200 * 1024 * 1024))])
    assert status == 413 and pulled == 0


def test_signed_in_people_may_send_attachments_up_to_the_larger_limit(client, tokens):
    scan = {"file": ("order.pdf", b"%PDF-1.4 " + b"x" * (300 * KB), "application/pdf")}
    officer = bearer(tokens, "officer_teacher_welfare")
    ok = client.post("/api/attachments", files=scan, headers=officer)
    assert ok.status_code == 200, ok.text
    made_up = client.post("/api/attachments", files=scan, headers={"Authorization": "Bearer ruam_made_up"})
    assert made_up.status_code == 413  # a token that opens nothing is no one: the public limit
    # the public forms keep the small limit whoever sends them
    big = client.post(FEEDBACK_API, json={"opinion": "ก" * (40 * KB)}, headers=officer)
    assert big.status_code == 413
    # 25 MB by default: one attachment of 20 MiB with its form
    huge = {"file": ("scan.pdf", b"x" * (26 * 1024 * 1024), "application/pdf")}
    refused = client.post("/api/attachments", files=huge, headers=officer)
    assert refused.status_code == 413 and "25 MB" in refused.json()["detail"]


def test_the_limits_are_set_in_the_environment(monkeypatch, opened):
    from engine.web.app import create_web
    from engine.web.limits import body_limits
    from tests.webkit import FAST_HASHER
    from workflow.errors import UsageError

    assert body_limits() == (25 * 1024 * 1024, 64 * KB)
    monkeypatch.setenv("RUAM_MAX_BODY_MB", "0.25")
    monkeypatch.setenv("RUAM_MAX_PUBLIC_BODY_KB", "8")
    assert body_limits() == (256 * KB, 8 * KB)
    web = create_web(opened, hasher=FAST_HASHER)
    token = web.state.web.accounts.new_token("officer_teacher_welfare", "tests")
    with TestClient(web) as c:
        r = c.post("/api/attachments", files={"file": ("a.pdf", b"x" * (300 * KB))},
                   headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 413 and "256 KB" in r.json()["detail"]
        assert c.post(FEEDBACK_API, json={"opinion": "ก" * 3000}).status_code == 413  # 9 KB of UTF-8
    monkeypatch.setenv("RUAM_MAX_BODY_MB", "lots")
    with pytest.raises(UsageError, match="RUAM_MAX_BODY_MB"):
        body_limits()


# ---------------------------------------------------------------------------- NUL characters
def refused_naming(r, field: str) -> None:
    assert r.status_code in (400, 422), (r.status_code, r.text[:300])
    if r.headers["content-type"].startswith("application/problem+json"):
        problem = r.json()
        assert problem["errors"][0]["field"] == field, problem
        assert "อักขระ NUL" in problem["detail"]
    else:
        assert "อักขระ NUL" in r.text and field in r.text


def test_nul_in_a_path_is_a_4xx_even_for_no_one_signed_in(client, tokens):
    refused_naming(client.get("/api/public/processes/2570/task%00x"), "path")
    refused_naming(client.get("/public/2570/task%00x"), "path")
    refused_naming(client.get("/processes/2570/task%00x"), "path")
    refused_naming(client.get("/api/processes/2570/task%00x", headers=bearer(tokens, "admin")), "path")
    refused_naming(client.post("/api/people/ad%00min/assignments", json={"role": "auditor"},
                               headers=bearer(tokens, "admin")), "path")


def test_nul_in_a_query_is_a_4xx(client, tokens):
    refused_naming(client.get("/login", params={"next": "/\x00"}), "next")
    refused_naming(client.get("/api/processes", params={"group": "a\x00"}, headers=bearer(tokens, "admin")), "group")
    refused_naming(client.get("/api/audit/replay", params={"as_of": "2027-01-01\x00"},
                              headers=bearer(tokens, "auditor")), "as_of")
    en = client.get("/api/processes", params={"group": "a\x00", "lang": "en"}, headers=bearer(tokens, "admin"))
    assert en.status_code == 422 and "NUL character" in en.json()["detail"]


def test_nul_in_a_form_field_is_a_4xx(client, clock):
    page = client.get("/login")
    refused_naming(client.post("/login", data={"person": "ad\x00min", "password": "x",
                                               "token": hidden(page.text, "token")}), "person")
    form = client.get(f"/public/{steps.PROCESS}")
    clock.advance(seconds=30)
    refused_naming(client.post(FEEDBACK_FORM, data={"token": hidden(form.text, "token"), "opinion": "ดี\x00มาก"}),
                   "opinion")
    # a page's multipart form (the process page sends files): checked where the form is read
    assert login(client, steps.OFFICER).status_code == 303
    csrf = hidden(client.get(f"/processes/{steps.PROCESS}").text, "csrf")
    fields = {"csrf": csrf, "trigger": "complete_analysis", "expected_version": "0", "note": "ข้อ\x00ความ"}
    r = client.post(f"/processes/{steps.PROCESS}", data=fields, files={"unused": ("", b"")})
    refused_naming(r, "note")


def test_nul_in_a_json_string_is_a_4xx_naming_it(client, tokens, opened):
    refused_naming(client.post(FEEDBACK_API, json={"opinion": "ก\x00"}), "opinion")
    evidence = steps.analysis()
    evidence["proposed_appointees"][1]["name"] = "ผู้แทน\x00"
    r = client.post(ADVANCE_API, json={"trigger": "complete_analysis", "expected_version": 0, "evidence": evidence},
                    headers=bearer(tokens, steps.OFFICER))
    refused_naming(r, "evidence.proposed_appointees[1].name")
    r = client.post(ADVANCE_API, json={"trigger": "complete_analysis", "expected_version": 0,
                                       "evidence": {"sum\x00mary": "x"}}, headers=bearer(tokens, steps.OFFICER))
    refused_naming(r, "evidence.sum\\x00mary")
    assert opened.process(steps.PROCESS)["version"] == 0  # nothing was recorded
    # the six characters \u0000 as text (an escaped backslash) are text, and accepted
    typed = client.post(FEEDBACK_API, content=b'{"opinion": "C:\\\\u0000 is a path"}',
                        headers={"content-type": "application/json"})
    assert typed.status_code == 201, typed.text


def test_nul_in_an_uploaded_files_name_is_a_4xx(client, tokens):
    boundary = "ruam"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan\x00.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--{boundary}--\r\n").encode()
    r = client.post("/api/attachments", content=body, headers=bearer(tokens, steps.OFFICER) | {
        "content-type": f"multipart/form-data; boundary={boundary}"})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["code"] in ("usage", "evidence_invalid")


def test_storage_refuses_nul_from_any_other_entry(opened):
    from engine.audit.live import verify
    from workflow.errors import EvidenceInvalid, UsageError

    with pytest.raises(UsageError) as refused:
        opened.add_person("new_person", "ชื่อ\x00สกุล", "ครู", actor="admin")
    assert refused.value.field == "name" and "อักขระ NUL" in refused.value.message("th")
    assert "new_person" not in {p["id"] for p in opened.people()}
    with pytest.raises(UsageError):
        opened.store_attachment(b"%PDF", "scan\x00.pdf")
    evidence = steps.analysis() | {"summary": "สรุป\x00"}
    with pytest.raises(EvidenceInvalid) as bad:
        opened.advance(steps.PROCESS, "complete_analysis", steps.OFFICER, evidence)
    assert [p.field for p in bad.value.problems] == ["summary"] and "อักขระ NUL" in bad.value.message("th")
    # the audit's fast path agrees: recorded evidence with a NUL is not normalized evidence
    from workflow.evidence import is_normalized, validate_evidence

    fields = opened.active().procedure.transition("complete_analysis", "analyzing_regulations").evidence
    normal = validate_evidence("complete_analysis", fields, steps.analysis())
    assert is_normalized(fields, normal) and not is_normalized(fields, normal | {"summary": "สรุป\x00"})
    assert opened.process(steps.PROCESS)["version"] == 0
    assert verify(opened).ok


def test_nul_in_a_cli_evidence_file_is_a_usage_error(db_url, tmp_path):
    ruam(db_url, "init", "--demo")
    ruam(db_url, "cycle", "open", "2570")
    evidence = tmp_path / "analysis.json"
    evidence.write_text(json.dumps(steps.analysis() | {"summary": "สรุป\x00"}), encoding="utf-8")
    done = ruam(db_url, "advance", steps.PROCESS, "complete_analysis", "--as", steps.OFFICER,
                "--evidence-file", str(evidence), code=2)
    assert "summary มีอักขระ NUL" in done.stderr
    done = ruam(db_url, "advance", steps.PROCESS, "complete_analysis", "--as", steps.OFFICER, "--lang", "en",
                "--evidence-file", str(evidence), code=2)
    assert "summary contains a NUL character" in done.stderr
    done = ruam(db_url, "advance", steps.PROCESS, "complete_analysis", "--as", steps.OFFICER,
                "--evidence", "summary=x", "--evidence", 'legal_bases=[{"title": "\\u0000"}]', code=1)
    assert "ลำดับที่ 1 › ชื่อกฎหมาย/ระเบียบ: มีอักขระ NUL" in done.stderr


# ---------------------------------------------------------------------------- definition YAML
DEEP = "kind: procedure\nid: deep\nsteps: " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_BLOCK = "kind: procedure\nid: deep\n" + "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "x: 1\n"
LAUGHS = "kind: procedure\na: &a [ha, ha, ha, ha, ha, ha, ha, ha, ha, ha]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))
NUL_ESCAPE = 'kind: procedure\nid: "pro\\0cedure"\n'


def test_deep_or_exploding_yaml_is_a_4xx_naming_the_line(client, tokens):
    admin = bearer(tokens, "admin")
    for text, line, th, en in [(DEEP, 3, "ซ้อนกันลึกเกิน 64 ชั้น", "nested more than 64 levels deep"),
                               (DEEP_BLOCK, 66, "ซ้อนกันลึกเกิน 64 ชั้น", "nested more than 64 levels deep"),
                               (LAUGHS, 7, "มีค่ามากกว่า 200,000 ค่า", "more than 200000 values"),
                               (NUL_ESCAPE, 2, "อักขระ NUL", "NUL character")]:
        body = {"documents": [{"name": "procedure.yaml", "text": text}]}
        r = client.post("/api/definitions", json=body, headers=admin)
        assert r.status_code == 422, r.text
        problem = r.json()
        assert problem["code"] == "definition_invalid"
        assert problem["errors"][0]["line"] == line and problem["errors"][0]["file"] == "procedure.yaml"
        assert th in problem["detail"] and th in problem["errors"][0]["problem"]
        en_problem = client.post("/api/definitions?lang=en", json=body, headers=admin).json()
        assert en in en_problem["detail"] and en in en_problem["errors"][0]["problem"]


def test_deep_yaml_from_the_cli_exits_1_in_thai(db_url, tmp_path):
    deep = tmp_path / "procedure.yaml"
    deep.write_text(DEEP, encoding="utf-8")
    done = ruam(db_url, "definitions", "check", str(deep), code=1)
    assert f"{deep}:3: (yaml): YAML ไม่ถูกต้อง: ซ้อนกันลึกเกิน 64 ชั้น" in done.stderr
    assert "พบปัญหาในนิยาม 1 ข้อ" in done.stderr
    done = ruam(db_url, "definitions", "check", str(deep), "--lang", "en", code=1)
    assert "not valid YAML: nested more than 64 levels deep" in done.stderr
    ruam(db_url, "init")
    laughs = tmp_path / "laughs.yaml"
    laughs.write_text(LAUGHS, encoding="utf-8")
    done = ruam(db_url, "definitions", "load", str(laughs), code=1)
    assert "มีค่ามากกว่า 200,000 ค่า" in done.stderr


def test_the_shipped_definitions_load_within_the_limits():
    from definitions import shipped_texts
    from workflow import yamltext

    for name, text in shipped_texts():
        assert yamltext.parse(text), name
