"""``ruam serve``: starts the service (``engine.service``), the one command that does."""

from __future__ import annotations

import os
from typing import Any

from engine.cli.common import add_common, db_url, lang


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the service (web + API) until SIGINT/SIGTERM")
    add_common(p)
    p.add_argument("--host", default=os.environ.get("RUAM_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("RUAM_PORT", "8570")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("RUAM_WORKERS", "1")), metavar="N",
                   help="server processes on the port (PostgreSQL only; one of them runs the scheduler)")
    p.add_argument("--forwarded-allow-ips", default=os.environ.get("RUAM_FORWARDED_ALLOW_IPS", ""),
                   metavar="ADDRESSES",
                   help="the reverse proxies (addresses or networks, comma-separated; '*' for any) whose "
                        "X-Forwarded-For / X-Forwarded-Proto are believed; from anyone else they are ignored "
                        "(default: $RUAM_FORWARDED_ALLOW_IPS, else none)")
    for name, handler in {"serve": cmd_serve}.items():
        sub.choices[name].set_defaults(run=handler)


def cmd_serve(args) -> int:
    from engine.outbox import SmtpConfig
    from engine.service.supervisor import serve, serve_workers, service_settings
    from workflow.errors import UsageError

    if not 1 <= args.workers <= 64:
        raise UsageError("--workers", f"must be from 1 to 64, not {args.workers}",
                         f"ต้องอยู่ระหว่าง 1 ถึง 64 ไม่ใช่ {args.workers}")
    options = {"smtp": SmtpConfig.from_env(os.environ), **service_settings(os.environ),
               "lang": lang(args), "db_flag": getattr(args, "db", None),
               "forwarded_allow_ips": proxies(args.forwarded_allow_ips)}
    if args.workers > 1:
        return serve_workers(db_url(args), args.host, args.port, args.workers, **options)
    return serve(db_url(args), args.host, args.port, **options)


def proxies(text: str) -> str:
    """``--forwarded-allow-ips`` checked: addresses or networks (CIDR), comma-separated, or ``*``."""
    import ipaddress

    from workflow.errors import UsageError

    items = [item.strip() for item in (text or "").split(",") if item.strip()]
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise UsageError("--forwarded-allow-ips", f"'{item}' is not an IP address or network",
                             f"'{item}' ไม่ใช่ที่อยู่ IP หรือเครือข่าย") from None
    return ",".join(items)
