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
from workflow.errors import RuamError

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
          leader_poll_seconds: float = 10.0, leader_lease_seconds: float = 30.0, reuse_port: bool = False,
          lang: str | None = None, db_flag: str | None = None, forwarded_allow_ips: str = "") -> int:
    """Run the web service and (when this process is the leader) the scheduler,
    until SIGINT/SIGTERM; then stop the scheduler, release the lock, exit 0.

    The port is bound first: in use, it is refused (exit 1) before the
    database is opened. SQLite: one process per file — a second ``serve`` is
    refused (exit 1) before it touches the database. PostgreSQL: any number;
    the advisory-lock holder runs the scheduler while it renews its lease, and
    another takes over within ``leader_poll_seconds`` when it dies, or within
    the lease when it freezes. With ``lang``, a terminal is told where to open
    the service (and how to make the first administrator).

    ``forwarded_allow_ips``: the proxies whose X-Forwarded-For/-Proto the web app
    believes (``create_web``); uvicorn's own proxy handling is off, so by default
    no one's are.
    """
    import signal

    import uvicorn

    from engine.service.edges import listen_socket, say_when_ready, start_lines
    from engine.service.scheduler import AlreadyRunning, Service, identity
    from storage.db import normalize_url
    from storage.leader import PgAdvisoryLock, SqliteFileLock

    sock = listen_socket(host, port, reuse_port=reuse_port)  # before anything is written
    port = sock.getsockname()[1]
    url = normalize_url(db_url)
    lock = None
    try:
        if url.startswith("sqlite"):
            lock = SqliteFileLock(url)
            if not lock.try_acquire():
                raise AlreadyRunning(lock.path, lock.holder())
        app = open_app(url)
    except BaseException:
        if lock is not None:
            lock.release()
        sock.close()
        raise
    service = Service(app, lock or PgAdvisoryLock(app.store.url, identity(), leader_lease_seconds), smtp=smtp,
                      interval_minutes=tick_minutes, poll_seconds=leader_poll_seconds)
    web = create_web(app, forwarded_allow_ips=forwarded_allow_ips)
    server = uvicorn.Server(uvicorn.Config(web, host=host, port=port, log_config=None, proxy_headers=False))
    sockets = [sock]
    if lang:
        say_when_ready(start_lines(app, host, port, lang, db_flag), lambda: server.started,
                       lambda: server.should_exit)
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


def serve_workers(db_url: str, host: str, port: int, workers: int, *, smtp=None, tick_minutes: float = 15.0,
                  leader_poll_seconds: float = 10.0, leader_lease_seconds: float = 30.0,
                  lang: str | None = None, db_flag: str | None = None, forwarded_allow_ips: str = "") -> int:
    """``ruam serve --workers N`` on PostgreSQL: N server processes on one port.

    Each is a whole ``serve`` (its own connection pool and scheduler; the
    advisory lock makes one of them the leader, as with several machines). The
    port is checked and the schema brought up to date once, before they start.
    The parent watches them (``engine.service.edges.supervise``): a worker that
    dies is replaced, SIGINT/SIGTERM are passed on, and the exit status is 0
    when every worker stopped cleanly. Each worker stops when the parent is gone.
    """
    import multiprocessing

    from engine.service.edges import accepting, claim_port, say_when_ready, start_lines, supervise
    from storage.db import normalize_url
    from workflow.errors import UsageError

    url = normalize_url(db_url)
    if url.startswith("sqlite"):
        raise UsageError("--workers", "SQLite takes one writer at a time: serve it from one process "
                                      "(leave out --workers, or use PostgreSQL)",
                         "SQLite เขียนได้ทีละรายเดียว: ให้บริการด้วยกระบวนการเดียว (ไม่ต้องใส่ --workers "
                         "หรือใช้ PostgreSQL)")
    port = claim_port(host, port)  # in use: refused before the database is touched
    app = open_app(url)  # first run or migration happens here, once
    try:
        lines = start_lines(app, host, port, lang, db_flag) if lang else []
    finally:
        app.store.dispose()
    ctx = multiprocessing.get_context("spawn")
    options = (url, host, port, smtp, tick_minutes, leader_poll_seconds, leader_lease_seconds, forwarded_allow_ips)

    def start(slot: int):
        proc = ctx.Process(target=_worker, args=options, name=f"ruam-serve-{slot + 1}")
        proc.start()
        return proc

    say_when_ready(lines, lambda: accepting(host, port))
    return supervise(start, workers)


def _stop_while_starting(_signum, _frame) -> None:
    raise SystemExit(0)  # asked to stop before serving: nothing to finish


def _worker(url: str, host: str, port: int, smtp, tick_minutes: float, leader_poll_seconds: float,
            leader_lease_seconds: float = 30.0, forwarded_allow_ips: str = "") -> None:
    import signal

    from engine.logs import configure
    from engine.service.edges import exit_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C reaches the parent, which passes it on
    signal.signal(signal.SIGTERM, _stop_while_starting)  # serve() and uvicorn take it over once up
    configure(os.environ.get("RUAM_LOG_LEVEL", "INFO"))
    exit_with_parent()
    try:
        code = serve(url, host, port, smtp=smtp, tick_minutes=tick_minutes, leader_poll_seconds=leader_poll_seconds,
                     leader_lease_seconds=leader_lease_seconds, reuse_port=True,
                     forwarded_allow_ips=forwarded_allow_ips)
    except RuamError as exc:
        log.error("service.worker_refused", error=exc.message("en"))
        code = 1
    except Exception as exc:  # a worker's last line: to the log, not a traceback on the terminal
        log.exception("service.worker_failed", error=repr(exc))
        code = 1
    raise SystemExit(code)


def service_settings(environ) -> dict:
    """The scheduler's settings from the environment, checked (a bad value is a usage error, exit 2)."""
    from workflow.errors import UsageError

    def number(name: str, default: str) -> float:
        raw = environ.get(name, default)
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not value > 0 or value == float("inf"):
            raise UsageError(name, f"must be a positive number, not '{raw}'", f"ต้องเป็นจำนวนบวก ไม่ใช่ '{raw}'")
        return value

    tick = number("RUAM_TICK_MINUTES", "15")
    poll = number("RUAM_LEADER_POLL_SECONDS", "10")
    lease = number("RUAM_LEADER_LEASE_SECONDS", "30")
    if lease < 2 * poll:
        raise UsageError("RUAM_LEADER_LEASE_SECONDS",
                         f"must be at least twice RUAM_LEADER_POLL_SECONDS ({poll:g}), not {lease:g}: the "
                         "leader renews its lease at every poll",
                         f"ต้องไม่น้อยกว่าสองเท่าของ RUAM_LEADER_POLL_SECONDS ({poll:g}) แต่ได้ {lease:g}: "
                         "ผู้นำต่ออายุการเป็นผู้นำทุกครั้งที่ตรวจ")
    return {"tick_minutes": tick, "leader_poll_seconds": poll, "leader_lease_seconds": lease}
