"""Fixtures: one contract suite, every backend.

``db_url`` is parametrized over SQLite and PostgreSQL. PostgreSQL runs when
``RUAM_TEST_DATABASE_URL`` is set (``.ci/run`` sets it); each test session
creates its own database there (so parallel runs never meet) and each test
gets an empty schema; a test with ``app`` gets a copy of a database initialized once
per session instead (``_from_template``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("RUAM_TEST_DATABASE_URL")

# CI replays the same examples every run (a landing must not hang on a new random
# draw); developers' runs keep exploring new ones.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")
BANGKOK = dt.timezone(dt.timedelta(hours=7))


class Clock:
    """An injected clock the test moves by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw) -> dt.datetime:
        self.now += dt.timedelta(**kw)
        return self.now

    def set(self, moment: dt.datetime) -> None:
        self.now = moment


class _PgSession:
    """This session's PostgreSQL database and its templates (one per clock moment), all named
    after the session's uuid so that two pytest sessions never meet; dropped at the end."""

    def __init__(self, base) -> None:
        self.base = base
        self.name = f"ruam_test_{uuid.uuid4().hex[:10]}"
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        self.admin = create_engine(base, isolation_level="AUTOCOMMIT", pool_size=1)
        self.templates: dict[str, str] = {}  # the clock's moment -> an initialized demo database

    def sql(self, *statements: str) -> None:
        with self.admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))

    def url_of(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        self.sql(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                   for name in [self.name, *self.templates.values()]))
        self.templates.clear()
        self.admin.dispose()


_PG: _PgSession | None = None


@pytest.fixture(scope="session")
def pg_database():
    global _PG
    if not PG_URL:
        yield None
        return
    _PG = _PgSession(make_url(PG_URL).set(drivername="postgresql+psycopg"))
    _PG.sql(f'CREATE DATABASE "{_PG.name}"')
    try:
        yield _PG.url
    finally:
        _PG.close()
        _PG = None


def _backends():
    marks = [] if PG_URL else [pytest.mark.skip(reason="RUAM_TEST_DATABASE_URL not set")]
    return [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql",
                                                            marks=[pytest.mark.postgres, *marks])]


@pytest.fixture(params=_backends())
def db_url(request, tmp_path, pg_database):
    """An empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ruam.db'}"
        return
    engine = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield pg_database


@pytest.fixture
def pg_url(pg_database):
    """An empty PostgreSQL database (the test is skipped without one)."""
    if not pg_database:
        pytest.skip("RUAM_TEST_DATABASE_URL not set")
    engine = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return pg_database


def pytest_terminal_summary(terminalreporter):
    """One line: which services the skipped tests wanted (``-r`` no longer lists each skip)."""
    from tests.skips import reason_of, skip_line

    reports = [r for r in terminalreporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]
    line = skip_line([reason_of(r) for r in reports])
    if line:
        terminalreporter.write_line(line, yellow=True)


@pytest.fixture(autouse=True)
def _key_dir(tmp_path, monkeypatch):
    """Each test signs with its own keys (the service seals on its own at each wake-up)."""
    monkeypatch.setenv("RUAM_KEY_DIR", str(tmp_path / "ruam-keys"))


@pytest.fixture
def clock():
    # 20 November 2569 BE (2026), 10:00 Bangkok: FY 2570 has begun
    return Clock(dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc))


@pytest.fixture
def store(db_url):
    from storage.store import Store

    s = Store(db_url)
    yield s
    s.release_writer()
    pool = s.engine.pool
    checked_out = pool.checkedout() if hasattr(pool, "checkedout") else 0
    s.dispose()
    assert checked_out == 0, f"{checked_out} connection(s) left checked out"


_SQLITE_TEMPLATES: dict[str, Path] = {}  # the clock's moment -> an initialized demo database file


def _from_template(store, clock, tmp_path_factory) -> None:
    """A new test database starts as a copy of one made once per session by the same
    ``init(demo=True)`` at the same moment (the migrations and the demo people are most of a
    test's set-up); ``init`` then runs on the copy as on any database and finds it done.
    SQLite copies the file; PostgreSQL recreates the session's database from a template
    database (same name, so ``db_url`` is still the database the app uses)."""
    if store.dialect == "postgresql":
        _pg_from_template(store, clock)
        return
    from engine.app import Ruam
    from storage.store import Store

    target = Path(store.url.removeprefix("sqlite:///")) if store.url.startswith("sqlite:///") else None
    if target is None or (target.exists() and target.stat().st_size):
        return
    key = clock.now.isoformat()
    if key not in _SQLITE_TEMPLATES:
        made = tmp_path_factory.mktemp("template") / "ruam.db"
        s = Store(f"sqlite:///{made}")
        Ruam(s, clock=Clock(clock.now)).init(demo=True)
        s.release_writer()
        s.dispose()
        _SQLITE_TEMPLATES[key] = made
    store.release_writer()
    store.engine.dispose()
    shutil.copyfile(_SQLITE_TEMPLATES[key], target)


def _pg_from_template(store, clock) -> None:
    from engine.app import Ruam
    from storage.store import Store

    pg = _PG
    if pg is None or make_url(store.url).database != pg.name:
        return  # not this session's database: left as it is
    with store.engine.connect() as conn:  # only an empty database is replaced (as the SQLite file)
        if conn.execute(text("SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public')")).scalar():
            return
    key = clock.now.isoformat()
    if key not in pg.templates:
        name = f"{pg.name}_t{len(pg.templates)}"
        pg.sql(f'CREATE DATABASE "{name}"')
        s = Store(pg.url_of(name))
        try:
            Ruam(s, clock=Clock(clock.now)).init(demo=True)
        except BaseException:
            s.dispose()
            pg.sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            raise
        s.dispose()  # a template takes no connections (CREATE DATABASE ... TEMPLATE needs none)
        pg.templates[key] = name
    store.release_writer()
    store.engine.dispose()
    pg.sql(f'DROP DATABASE "{pg.name}" WITH (FORCE)')
    try:
        pg.sql(f'CREATE DATABASE "{pg.name}" TEMPLATE "{pg.templates[key]}"')
    except Exception:
        pg.sql(f'CREATE DATABASE "{pg.name}"')  # the next tests still find the session's database
        raise


@pytest.fixture
def app(store, clock, tmp_path_factory):
    """An initialized Ruam with the shipped definitions and the demo people."""
    from engine.app import Ruam

    _from_template(store, clock, tmp_path_factory)
    ruam = Ruam(store, clock=clock)
    ruam.init(demo=True)
    return ruam


@pytest.fixture
def opened(app):
    app.open_cycle(2570)
    return app


@pytest.fixture
def web(opened):
    """The web face over an opened FY 2570, with the demo people able to sign in."""
    from engine.web.app import create_web
    from tests.webkit import FAST_HASHER, PASSWORD, PEOPLE

    web = create_web(opened, hasher=FAST_HASHER, min_fill_seconds=3)
    accounts = web.state.web.accounts
    for person in PEOPLE:
        accounts.set_password(person, PASSWORD)
    return web


@pytest.fixture
def tokens(web):
    """An API token for each demo person."""
    accounts = web.state.web.accounts
    from tests.webkit import PEOPLE

    return {person: accounts.new_token(person, "tests") for person in PEOPLE}


@pytest.fixture
def db(app, store, monkeypatch):
    """The database a test's ``ruam`` commands run on (an initialized ``app``); the stores the
    commands open are disposed after the test even when a command is cut short."""
    from engine.cli import admin

    opened = []
    real = admin.open_app

    def tracked(args, **kw):
        found = real(args, **kw)
        opened.append(found.store)
        return found

    monkeypatch.setattr(admin, "open_app", tracked)
    yield store.url
    for s in opened:
        s.dispose()
