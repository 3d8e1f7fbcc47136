"""structlog, configured once at the entry point.

JSON lines when stderr is not a terminal, readable console output when it is.
Standard-library loggers (APScheduler, SQLAlchemy, uvicorn) go through the same
processors, so every line carries the ids bound with ``bind_contextvars``.
"""

from __future__ import annotations

import logging
import sys

import structlog

_configured = False


def configure(level: str = "INFO", *, json: bool | None = None) -> None:
    global _configured
    if json is None:
        json = not sys.stderr.isatty()
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if json:
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
        exc = [structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False))]
    else:
        # plain tracebacks: the default (rich) one prints local variables, which can
        # put personal data in logs (the scheduler logs job errors with exc_info)
        renderer = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
        exc = []
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *exc, renderer],
    )
    # The logging HOWTO's "Optimization": nothing here renders the calling file and
    # line, the thread or the process, so no record looks them up (walking the stack
    # for the caller was a visible share of a request's time at INFO).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(_below_info)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    for name in CHATTY:  # not even made at INFO: the state machine logs on every step
        logging.getLogger(name).setLevel(logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING)
    _configured = True


# Libraries whose INFO lines are not news to whoever runs the service: APScheduler's
# "Adding job tentatively", "Running job …", "Scheduler started"; transitions'
# "Finished processing state … exit callbacks" on every step. They are logged as
# DEBUG (seen with RUAM_LOG_LEVEL=DEBUG); their warnings and errors stay as they are.
CHATTY = ("apscheduler", "transitions")


def _below_info(record: logging.LogRecord) -> bool:
    if record.levelno == logging.INFO and record.name.partition(".")[0] in CHATTY:
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)
    return True


def get_logger(name: str = "ruam"):
    return structlog.get_logger(name)
