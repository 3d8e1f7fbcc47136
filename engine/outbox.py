"""Delivering the outbox by SMTP, with retries and back-off; never twice.

Messages are queued by the command that caused them, in its transaction
(``engine.calendar``). ``deliver`` claims due messages (committing the claim
before anything is sent), sends each, and records the outcome. A message
whose outcome is unknown (the process died between sending and recording)
stays ``sending`` and is shown by ``ruam outbox``; it is not sent again.
Without SMTP settings nothing is sent and every message stays readable.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from engine.app import Ruam
from workflow.errors import UsageError

MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=6)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "ruam@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpConfig | None:
        """``RUAM_SMTP_HOST`` (required to send), ``_PORT``, ``_FROM``, ``_USER``, ``_PASSWORD``, ``_STARTTLS``."""
        host = env.get("RUAM_SMTP_HOST")
        if not host:
            return None
        try:
            port = int(env.get("RUAM_SMTP_PORT", "25"))
        except ValueError:
            raise UsageError("RUAM_SMTP_PORT", f"'{env.get('RUAM_SMTP_PORT')}' is not a port number",
                             f"'{env.get('RUAM_SMTP_PORT')}' ไม่ใช่หมายเลขพอร์ต") from None
        return cls(host=host, port=port, sender=env.get("RUAM_SMTP_FROM", "ruam@localhost"),
                   user=env.get("RUAM_SMTP_USER") or None, password=env.get("RUAM_SMTP_PASSWORD") or None,
                   starttls=env.get("RUAM_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"))


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after the n-th failure, at most 6 hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _message(row: dict, smtp: SmtpConfig, now: dt.datetime, sender: str | None = None) -> EmailMessage:
    """``sender``: the office's own From address (its row in ``offices``), else the service's."""
    msg = EmailMessage()
    msg["From"] = sender or smtp.sender
    msg["To"] = row["email"]
    msg["Subject"] = row["subject"]
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring=f"ruam-{row['id']}")
    msg["X-Ruam-Outbox"] = str(row["id"])
    msg.set_content(row["body"], charset="utf-8")
    return msg


def _send(smtp: SmtpConfig, msg: EmailMessage) -> None:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(msg)


def deliver(app: Ruam, smtp: SmtpConfig | None, limit: int = 100) -> dict[str, int]:
    """Send what is due now; returns counts of sent / retrying / failed."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if smtp is None:
        return counts
    now = app.now()
    with app.store.transaction() as tx:
        claimed = tx.claim_messages(now, limit)
        office = tx.this_office() if claimed else None
    sender = office["sender"] if office else None
    for row in claimed:
        try:
            _send(smtp, _message(row, smtp, now, sender))
        except (smtplib.SMTPException, OSError) as exc:
            attempts = row["attempts"] + 1
            retry_at = None if attempts >= MAX_ATTEMPTS else app.now() + backoff(attempts)
            with app.store.transaction() as tx:
                tx.message_failed(row["id"], f"{type(exc).__name__}: {exc}", retry_at)
            counts["retry" if retry_at else "failed"] += 1
            app.log.warning("outbox.send_failed", message=row["id"], attempts=attempts, error=str(exc),
                            retry_at=retry_at.isoformat() if retry_at else None)
        else:
            with app.store.transaction() as tx:
                tx.message_sent(row["id"], app.now())
            counts["sent"] += 1
    if claimed:
        app.log.info("outbox.delivered", **counts)
    return counts


def outbox(app: Ruam, status: str | None = None, limit: int | None = 50) -> dict:
    with app.store.reading() as tx:
        return {"counts": tx.outbox_counts(), "messages": tx.outbox(status=status, limit=limit)}
