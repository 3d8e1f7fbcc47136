"""Free ports for tests: the kernel picks one (bind to port 0), so parallel runs and
other services on the machine never collide with a fixed range."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (for a server started in another process)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` distinct free ports (all held open until every one is chosen)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def listening_socket(host: str = "127.0.0.1") -> socket.socket:
    """A socket already listening on a free port, for a server in this process (no race at all)."""
    s = socket.socket()
    s.bind((host, 0))
    s.listen(128)
    return s


def serving(web):
    """The web app served by uvicorn in a thread on a free port: yields its base URL, then stops it
    (for a pytest fixture: ``yield from serving(web)``)."""
    import threading
    import time

    import uvicorn

    sock = listening_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(web, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)
