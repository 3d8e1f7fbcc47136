"""The long-running service: ``ruam serve``.

On first run with no database it creates the SQLite default with the shipped
definitions. The web face and the scheduler attach here.
"""

from __future__ import annotations

from engine.app import Ruam
from engine.web import create_web
from engine.logs import get_logger
from storage import Store

log = get_logger("ruam.service")


def open_app(db_url: str) -> Ruam:
    store = Store(db_url)
    if store.schema_revision() is None:
        log.info("service.first_run", db=store.url.split("///")[-1])
        Ruam(store).init()
    else:
        store.ensure_current()
    return Ruam(store)


def serve(db_url: str, host: str, port: int) -> int:
    import uvicorn

    app = open_app(db_url)
    web = create_web(app)
    log.info("service.start", host=host, port=port, db=app.store.dialect)
    uvicorn.run(web, host=host, port=port, log_config=None)
    app.store.dispose()
    log.info("service.stopped")
    return 0
