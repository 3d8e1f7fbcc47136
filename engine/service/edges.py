"""The edges of ``ruam serve``: the listening socket, the line a person reads
at start, and the parent of ``--workers``.

- The socket is bound before anything else happens, so a port in use is a
  refusal (exit 1, a Thai message) before the database is created, migrated or
  even opened.
- On a terminal one line says where to open the service, and one more, when
  nobody can sign in as an administrator yet, how to make the first one.
- ``--workers N``: the parent starts N server processes, notices at once when
  one dies (its process sentinel), logs it and starts another in its place; a
  worker that keeps dying (more than ``max(3, N)`` times a minute) stops the
  whole service with exit 1 instead of looping. Each worker watches its parent
  the same way and shuts down when the parent is gone, so no orphan is left
  listening on the port — not even after ``kill -9`` of the parent.
"""

from __future__ import annotations

import errno
import os
import shlex
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing import connection as mp_connection
from multiprocessing.process import BaseProcess

from engine.logs import get_logger
from workflow.errors import Refused, UsageError

log = get_logger("ruam.service")

BACKLOG = 2048
RESTART_WINDOW_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
ORPHAN_GRACE_SECONDS = 10.0


class PortInUse(Refused):
    code = "port_in_use"

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        super().__init__(
            f"port {port} on {host} is already in use (another program is listening there): stop it, or choose "
            "another port with --port (or RUAM_PORT); nothing was changed",
            f"พอร์ต {port} ที่ {host} มีโปรแกรมอื่นใช้อยู่แล้ว: หยุดโปรแกรมนั้น หรือเลือกพอร์ตอื่นด้วย --port "
            "(หรือ RUAM_PORT); ยังไม่มีการเปลี่ยนแปลงใด ๆ")


class PortNotAllowed(Refused):
    code = "port_not_allowed"

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        super().__init__(
            f"not allowed to listen on port {port} at {host} (ports below 1024 need the machine's administrator): "
            "choose another port with --port; nothing was changed",
            f"ไม่มีสิทธิ์เปิดพอร์ต {port} ที่ {host} (พอร์ตต่ำกว่า 1024 ต้องใช้สิทธิ์ผู้ดูแลเครื่อง): "
            "เลือกพอร์ตอื่นด้วย --port; ยังไม่มีการเปลี่ยนแปลงใด ๆ")


class WorkersFailed(Refused):
    code = "workers_failed"

    def __init__(self, deaths: int, seconds: float) -> None:
        super().__init__(
            f"the server processes kept stopping ({deaths} times in {seconds:.0f} seconds): the service was "
            "stopped; see the log above",
            f"กระบวนการของบริการหยุดทำงานซ้ำ ๆ ({deaths} ครั้งใน {seconds:.0f} วินาที) จึงหยุดบริการทั้งหมด; "
            "ดูรายละเอียดในบันทึกด้านบน")


def _refusal(host: str, port: int, exc: OSError) -> Exception:
    if isinstance(exc, socket.gaierror):
        return UsageError("--host", f"'{host}' is not a known host name", f"ไม่รู้จักชื่อเครื่อง '{host}'")
    if exc.errno == errno.EADDRINUSE:
        return PortInUse(host, port)
    if exc.errno == errno.EACCES:
        return PortNotAllowed(host, port)
    if exc.errno == errno.EADDRNOTAVAIL:
        return UsageError("--host", f"'{host}' is not an address of this machine",
                          f"'{host}' ไม่ใช่ที่อยู่ของเครื่องนี้")
    return Refused(f"cannot listen on {host}:{port}: {exc.strerror or exc}; nothing was changed",
                   f"เปิดรับการเชื่อมต่อที่ {host}:{port} ไม่ได้ ({exc.strerror or exc}); ยังไม่มีการเปลี่ยนแปลงใด ๆ")


def listen_socket(host: str, port: int, *, reuse_port: bool = False, listen: bool = True) -> socket.socket:
    """A bound (and, by default, listening) socket, or a refusal a person can act on.

    ``SO_REUSEADDR`` as uvicorn sets it (a port in TIME_WAIT is free);
    ``reuse_port`` for the ``--workers`` processes, which share one port.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise _refusal(host, port, exc) from None
    sock.setblocking(False)
    return sock


def claim_port(host: str, port: int) -> int:
    """Before ``--workers`` start: refused if anything listens on the port — another
    ``ruam serve --workers`` too (its sockets share the port only with sockets that
    ask to, and this one does not). Returns the port (the one chosen for 0)."""
    sock = listen_socket(host, port, listen=False)
    try:
        return sock.getsockname()[1]
    finally:
        sock.close()


# --------------------------------------------------------------------------- what a person reads

def open_url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def start_lines(app, host: str, port: int, lang: str, db_flag: str | None = None) -> list[str]:
    """Where to open the service; and, when nobody can sign in as an administrator, how to fix that."""
    from engine.accounts import Accounts

    th = lang == "th"
    url = open_url(host, port)
    lines = [f"ร่วม (Ruam) พร้อมใช้งานที่ {url} — หยุดด้วย Ctrl+C" if th
             else f"Ruam is serving at {url} (Ctrl+C to stop)"]
    admins = Accounts(app).admins()
    if any(admins.values()):
        return lines
    db = ""
    if db_flag:
        shown = db_flag
        if "://" in db_flag:
            from sqlalchemy.engine import make_url

            shown = make_url(db_flag).render_as_string(hide_password=True)
        db = f" --db {shlex.quote(shown)}"
    if admins:  # an administrator without a password
        person = next(iter(admins))
        lines.append(f"ผู้ดูแลระบบ {person} ยังไม่มีรหัสผ่าน ตั้งด้วย: ruam people set-password {person}{db}" if th
                     else f"administrator {person} has no password yet; set one with: "
                          f"ruam people set-password {person}{db}")
        return lines
    name = "ชื่อ นามสกุล" if th else "Full Name"
    steps = (f"ruam people add admin --name {shlex.quote(name)}{db} && ruam people assign admin admin{db} "
             f"&& ruam people set-password admin{db}")
    lines.append(f"ยังไม่มีผู้ดูแลระบบ สร้างคนแรกด้วย: {steps}" if th
                 else f"no administrator yet; create the first one with: {steps}")
    return lines


def say_when_ready(lines: list[str], ready: Callable[[], bool], stop: Callable[[], bool] | None = None,
                   stream=None) -> None:
    """On a terminal: print ``lines`` once ``ready()`` (the server accepts), from a small thread."""
    stream = stream or sys.stdout
    if not lines or not stream.isatty():
        return

    def wait_and_say() -> None:
        while not ready():
            if stop is not None and stop():
                return
            time.sleep(0.05)
        print("\n".join(lines), file=stream, flush=True)

    threading.Thread(target=wait_and_say, name="ruam-announce", daemon=True).start()


def accepting(host: str, port: int) -> bool:
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- the parent of --workers

def supervise(start: Callable[[int], BaseProcess], workers: int, *,
              max_restarts: int | None = None, window: float = RESTART_WINDOW_SECONDS,
              stop_timeout: float = STOP_TIMEOUT_SECONDS) -> int:
    """Run ``workers`` processes made by ``start(slot)`` until SIGINT/SIGTERM.

    A worker that dies is logged and replaced; more than ``max_restarts`` deaths
    within ``window`` seconds stop them all (exit 1). On a signal every worker
    gets SIGTERM; one still running after ``stop_timeout`` is killed. Returns 0
    when the stop was asked for and every worker stopped cleanly.
    """
    max_restarts = max(3, workers) if max_restarts is None else max_restarts
    procs: dict[int, BaseProcess] = {}
    deaths: deque[float] = deque()
    stopping = threading.Event()
    clean = True
    asked: set[int] = set()  # pids sent SIGTERM: once only (a second one could land in its exit and kill it)

    def terminate_all() -> None:
        for proc in procs.values():
            if proc.exitcode is None and proc.pid is not None and proc.pid not in asked:
                asked.add(proc.pid)
                try:
                    os.kill(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def asked_to_stop(_signum, _frame) -> None:
        stopping.set()
        terminate_all()

    previous = {sig: signal.signal(sig, asked_to_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for slot in range(workers):
            procs[slot] = start(slot)
        log.info("service.workers", workers=workers, pids=[p.pid for p in procs.values()])
        while not stopping.is_set():
            alive = {p.sentinel: slot for slot, p in procs.items() if p.exitcode is None}
            for sentinel in mp_connection.wait(list(alive), timeout=1.0):
                slot = alive[sentinel]
                dead = procs[slot]
                dead.join()
                if stopping.is_set():
                    break
                now = time.monotonic()
                deaths.append(now)
                while deaths and deaths[0] < now - window:
                    deaths.popleft()
                log.error("service.worker_died", worker=dead.name, pid=dead.pid, exitcode=dead.exitcode)
                if len(deaths) > max_restarts:
                    log.error("service.workers_failing", deaths=len(deaths), window_seconds=window)
                    stopping.set()
                    clean = False
                    terminate_all()
                    break
                procs[slot] = start(slot)
                log.warning("service.worker_restarted", worker=procs[slot].name, pid=procs[slot].pid,
                            replaces=dead.pid)
    finally:
        stopping.set()
        terminate_all()
        deadline = time.monotonic() + stop_timeout
        for proc in procs.values():
            proc.join(max(0.0, deadline - time.monotonic()))
        for proc in procs.values():
            if proc.exitcode is None:
                log.error("service.worker_killed", worker=proc.name, pid=proc.pid, after_seconds=stop_timeout)
                proc.kill()
                proc.join(5)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not clean:
        raise WorkersFailed(len(deaths), window)
    # a worker asked to stop may end by that SIGTERM itself (it came before its handler was set)
    return 0 if all(p.exitcode == 0 or (p.pid in asked and p.exitcode == -signal.SIGTERM)
                    for p in procs.values()) else 1


def exit_with_parent(grace: float = ORPHAN_GRACE_SECONDS) -> None:
    """In a worker: when the parent is gone (even ``kill -9``), stop as if asked to (SIGTERM), and
    leave for good after ``grace`` seconds if a clean stop takes longer."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        mp_connection.wait([parent.sentinel])
        log.warning("service.parent_gone", parent=parent.pid)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="ruam-parent-watch", daemon=True).start()
