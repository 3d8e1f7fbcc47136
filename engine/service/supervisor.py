"""The long-running service: ``ruam serve``.

On first run with no database it creates the SQLite default with the shipped
definitions. The web face and the scheduler attach here.
"""

from __future__ import annotations

import os
import sys

from engine.app import Ruam
from engine.logs import get_logger
from engine.web.app import create_web, web_threads
from storage.store import Store

log = get_logger("ruam.service")


def warm_pool(store: Store, n: int) -> None:
    """Open ``n`` pooled connections now: the first burst of requests otherwise opens
    them all at once (a server backend each), measured as the slowest requests of a run."""
    conns = []
    try:
        for _ in range(n):
            conns.append(store.engine.connect())
    except Exception as exc:  # noqa: BLE001 - the service still starts; requests connect on demand
        log.warning("service.pool_warm_failed", error=str(exc))
    finally:
        for conn in conns:
            conn.close()


def open_app(db_url: str) -> Ruam:
    from storage.db import normalize_url

    url = normalize_url(db_url)
    # PostgreSQL: keep a pooled connection for every web thread (plus the scheduler's);
    # with the default pool of 10 the connections beyond it were opened and closed
    # per request under load — a new server backend each time.
    kw = {} if url.startswith("sqlite") else {"pool_size": web_threads() + 2, "max_overflow": 10}
    store = Store(url, **kw)
    if kw:
        warm_pool(store, web_threads())
    if store.schema_revision() is None:
        log.info("service.first_run", db=store.url.split("///")[-1])
        Ruam(store).init()
    else:
        store.ensure_current()
    app = Ruam(store)
    from engine.clock import load

    load(app)  # a demonstration database's simulated clock (engine.clock)
    return app


def serve(db_url: str, host: str, port: int, *, smtp=None, tick_minutes: float = 15.0,
          leader_poll_seconds: float = 10.0, reuse_port: bool = False, forwarded_allow_ips: str = "") -> int:
    """Run the web service and (when this process is the leader) the scheduler,
    until SIGINT/SIGTERM; then stop the scheduler, release the lock, exit 0.

    SQLite: one process per file — a second ``serve`` is refused (exit 1) before
    it touches the database. PostgreSQL: any number; the advisory-lock holder
    runs the scheduler and another takes over within ``leader_poll_seconds``.

    ``forwarded_allow_ips``: the proxies whose X-Forwarded-For/-Proto the web app
    believes (``create_web``); uvicorn's own proxy handling is off, so by default
    no one's are.
    """
    import signal

    import uvicorn

    from engine.service.scheduler import AlreadyRunning, Service, identity
    from storage.db import normalize_url
    from storage.leader import PgAdvisoryLock, SqliteFileLock

    url = normalize_url(db_url)
    lock = None
    if url.startswith("sqlite"):
        lock = SqliteFileLock(url)
        if not lock.try_acquire():
            raise AlreadyRunning(lock.path, lock.holder())
    try:
        app = open_app(url)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    service = Service(app, lock or PgAdvisoryLock(app.store.url, identity()), smtp=smtp,
                      interval_minutes=tick_minutes, poll_seconds=leader_poll_seconds)
    web = create_web(app, forwarded_allow_ips=forwarded_allow_ips)
    server = uvicorn.Server(uvicorn.Config(web, host=host, port=port, log_config=None, proxy_headers=False))
    sockets = [_shared_socket(host, port)] if reuse_port else None
    # uvicorn re-raises the signal it stopped on once it is done; make that a no-op
    # here so the clean-up below runs and the exit status is 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    # A thread that has waited for the interpreter lock asks for it after 1 ms, not
    # Python's default 5: the request threads and the event loop hand it over sooner.
    # Measured (20 clients stepping, --workers 2, three rounds each): p99 84-100 ms
    # against 102-137 ms at 5 ms, the same requests/s.
    sys.setswitchinterval(0.001)
    log.info("service.start", host=host, port=port, db=app.store.dialect, instance=service.who)
    service.start()
    try:
        server.run(sockets=sockets)
    finally:
        service.stop()
        app.store.dispose()
        log.info("service.stopped")
    return 0


def _shared_socket(host: str, port: int):
    """A listening socket other processes may bind too (SO_REUSEPORT: the kernel spreads connections)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def serve_workers(db_url: str, host: str, port: int, workers: int, *, smtp=None, tick_minutes: float = 15.0,
                  leader_poll_seconds: float = 10.0, forwarded_allow_ips: str = "") -> int:
    """``ruam serve --workers N`` on PostgreSQL: N server processes on one port.

    Each is a whole ``serve`` (its own connection pool and scheduler; the
    advisory lock makes one of them the leader, as with several machines). The
    schema is brought up to date once, before they start. SIGINT/SIGTERM are
    passed on; the exit status is 0 when every worker stopped cleanly.
    """
    import multiprocessing
    import signal

    from storage.db import normalize_url
    from workflow.errors import UsageError

    url = normalize_url(db_url)
    if url.startswith("sqlite"):
        raise UsageError("--workers", "SQLite takes one writer at a time: serve it from one process "
                                      "(leave out --workers, or use PostgreSQL)",
                         "SQLite เขียนได้ทีละรายเดียว: ให้บริการด้วยกระบวนการเดียว (ไม่ต้องใส่ --workers "
                         "หรือใช้ PostgreSQL)")
    open_app(url).store.dispose()  # first run or migration happens here, once
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(url, host, port, smtp, tick_minutes, leader_poll_seconds,
                                               forwarded_allow_ips),
                         name=f"ruam-serve-{k + 1}") for k in range(workers)]
    for proc in procs:
        proc.start()

    def pass_on(signum, _frame) -> None:
        for proc in procs:
            if proc.is_alive() and proc.pid is not None:
                os.kill(proc.pid, signal.SIGTERM)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, pass_on)
    log.info("service.workers", workers=workers, pids=[p.pid for p in procs])
    for proc in procs:
        proc.join()
    return 0 if all(p.exitcode == 0 for p in procs) else 1


def _stop_while_starting(_signum, _frame) -> None:
    raise SystemExit(0)  # asked to stop before serving: nothing to finish


def _worker(url: str, host: str, port: int, smtp, tick_minutes: float, leader_poll_seconds: float,
            forwarded_allow_ips: str = "") -> None:
    import signal

    from engine.logs import configure

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C reaches the parent, which passes it on
    signal.signal(signal.SIGTERM, _stop_while_starting)  # serve() and uvicorn take it over once up
    configure(os.environ.get("RUAM_LOG_LEVEL", "INFO"))
    raise SystemExit(serve(url, host, port, smtp=smtp, tick_minutes=tick_minutes,
                           leader_poll_seconds=leader_poll_seconds, reuse_port=True,
                           forwarded_allow_ips=forwarded_allow_ips))
