"""Request bodies against ``ruam serve``: the server's memory (RSS) before and after
large anonymous posts, and what each post was answered.

    python bench/body_limit_bench.py                         # three 200 MB posts of each kind
    python bench/body_limit_bench.py --mb 50 --posts 1 --kinds login-chunked

It starts ``ruam serve`` on a fresh SQLite database (demo people, FY open) on
127.0.0.1, streams each body from a generator (the client holds one chunk at a
time), and reads the server process's VmRSS and VmHWM from /proc after each post.
Kinds: the sign-in form (one big field, or 200 MB of empty fields), the public
opinion form (urlencoded, multipart, a file on it), the public opinion API (JSON),
a step through the API with a made-up token, and an officer's upload (a real
token); each with a Content-Length, or ``-chunked`` (no length).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1 << 20
PID = "2570/task_teacher_welfare"


def rss(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def body(kind: str, size: int):
    """(path, content type, head bytes, filler byte, tail bytes) of a post of about ``size`` bytes."""
    if kind.startswith("fields"):  # many small fields
        return "/login", "application/x-www-form-urlencoded", b"token=x", b"&", b""
    if kind.startswith("upload"):  # a file on the public form (spooled to disk)
        b = "ruamboundary"
        head = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode()
        return (f"/public/{PID}/feedback", f"multipart/form-data; boundary={b}", head, b"a",
                f"\r\n--{b}--\r\n".encode())
    if kind.startswith("login"):
        return "/login", "application/x-www-form-urlencoded", b"token=x&person=", b"a", b""
    if kind.startswith("form"):
        return f"/public/{PID}/feedback", "application/x-www-form-urlencoded", b"token=x&opinion=", b"a", b""
    if kind.startswith("multipart"):
        b = "ruamboundary"
        head = (f"--{b}\r\nContent-Disposition: form-data; name=\"opinion\"\r\n\r\n").encode()
        return (f"/public/{PID}/feedback", f"multipart/form-data; boundary={b}", head, b"a",
                f"\r\n--{b}--\r\n".encode())
    if kind.startswith("officer-upload"):  # signed in (a real token): up to RUAM_MAX_BODY_MB
        b = "ruamboundary"
        head = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n"
                "Content-Type: application/pdf\r\n\r\n").encode()
        return "/api/attachments", f"multipart/form-data; boundary={b}", head, b"a", f"\r\n--{b}--\r\n".encode()
    if kind.startswith("api-advance"):  # a made-up token: read before the caller is known
        return (f"/api/processes/{PID}/advance", "application/json", b'{"trigger": "x", "expected_version": 1, '
                b'"evidence": {"summary": "', b"a", b'"}}')
    if kind.startswith("json"):
        return (f"/api/public/processes/{PID}/feedback", "application/json", b'{"opinion": "', b"a", b'"}')
    raise SystemExit(f"unknown kind {kind}")


TOKEN = {"officer": ""}


def post(port: int, kind: str, size: int) -> str:
    path, ctype, head, fill, tail = body(kind, size)
    chunked = kind.endswith("chunked")
    filler = size - len(head) - len(tail)
    total = len(head) + filler + len(tail)

    def chunks():
        yield head
        left = filler
        block = fill * CHUNK
        while left > 0:
            n = min(left, CHUNK)
            yield block if n == CHUNK else fill * n
            left -= n
        yield tail

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Content-Type": ctype}
    if kind.startswith("api-advance"):
        headers["Authorization"] = "Bearer ruam_made_up"
    if kind.startswith("officer"):
        headers["Authorization"] = f"Bearer {TOKEN['officer']}"
    if not chunked:
        headers["Content-Length"] = str(total)
    try:
        conn.putrequest("POST", path)
        for k, v in headers.items():
            conn.putheader(k, v)
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for c in chunks():
            conn.send(b"%x\r\n%s\r\n" % (len(c), c) if chunked else c)
        if chunked:
            conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered early and closed; read what it said
    try:
        response = conn.getresponse()
        text = response.read()[:160].decode("utf-8", "replace").replace("\n", " ")
        return f"{response.status} {text}"
    except (ConnectionResetError, http.client.HTTPException) as exc:
        return f"(no answer: {type(exc).__name__})"
    finally:
        conn.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--posts", type=int, default=3)
    ap.add_argument("--port", type=int, default=8597)
    ap.add_argument("--kinds", nargs="+", default=["login", "login-chunked", "form", "multipart-chunked",
                                                  "json", "json-chunked", "fields", "upload-chunked",
                                                  "api-advance-chunked", "officer-upload-chunked"])
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ruam-bodies-"))
    db = f"sqlite:///{work / 'ruam.db'}"
    env = dict(os.environ, RUAM_LOG_LEVEL="WARNING")
    ruam = [sys.executable, "-m", "engine.cli"]
    subprocess.run([*ruam, "init", "--db", db, "--demo"], check=True, cwd=ROOT, env=env, capture_output=True)
    subprocess.run([*ruam, "cycle", "open", "2570", "--db", db], cwd=ROOT, env=env, capture_output=True)
    TOKEN["officer"] = subprocess.run([*ruam, "people", "token", "officer_teacher_welfare", "--db", db], cwd=ROOT,
                                      env=env, capture_output=True, text=True, check=True).stdout.strip()
    for kind in args.kinds:
        server = subprocess.Popen([*ruam, "serve", "--db", db, "--host", "127.0.0.1", "--port", str(args.port)],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=1)
                    c.request("GET", "/healthz")
                    if c.getresponse().status == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            start, _ = rss(server.pid)
            answers = []
            t0 = time.monotonic()
            for _ in range(args.posts):
                answers.append(post(args.port, kind, args.mb << 20))
            now, peak = rss(server.pid)
            print(json.dumps({"kind": kind, "posts": args.posts, "mb_each": args.mb, "rss_before_mb": round(start),
                              "rss_after_mb": round(now), "peak_mb": round(peak),
                              "seconds": round(time.monotonic() - t0, 1), "answer": answers[-1][:120]},
                             ensure_ascii=False), flush=True)
        finally:
            server.terminate()
            server.wait(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
