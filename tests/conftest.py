"""Test fixtures: every database test runs on real SQLite and real PostgreSQL.

PostgreSQL is used when CITYBASE_TEST_POSTGRES_URL is set or a local server answers at
postgresql+psycopg://postgres@127.0.0.1:5432/postgres. Under CI=true a missing PostgreSQL
fails the run instead of skipping. Each test runs inside one transaction that is rolled
back (services' commits become savepoint releases), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as settings_profiles
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from citybase.app import create_app
from citybase.db import make_engine, upgrade
from citybase.settings import Settings
from tests.live import browser, demo_server, demo_settings, page  # noqa: F401 - shared fixtures

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
IN_CI = os.environ.get("CI", "").lower() == "true"

# CI explores the same examples on every run (a red CI must be reproducible); developers'
# runs keep Hypothesis's random exploration to find new cases.
settings_profiles.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    settings_profiles.load_profile("ci")


def _postgres_admin_url() -> str | None:
    url = os.environ.get("CITYBASE_TEST_POSTGRES_URL") or DEFAULT_PG
    try:
        eng = create_engine(url, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
        return url
    except Exception as exc:
        if IN_CI:
            raise RuntimeError(f"CI=true but PostgreSQL is not reachable at {url}: {exc}") from exc
        return None


PG_ADMIN_URL = _postgres_admin_url()
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                PG_ADMIN_URL is None,
                reason="PostgreSQL not reachable (set CITYBASE_TEST_POSTGRES_URL to run these)",
            ),
        ],
    ),
]


def create_postgres_database() -> tuple[str, str]:
    """A fresh, empty PostgreSQL database for this test run: (url, name)."""
    assert PG_ADMIN_URL is not None
    name = f"citybase_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return url, name


def drop_postgres_database(name: str) -> None:
    assert PG_ADMIN_URL is not None
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database for the whole session, one per backend."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "citybase.db"
        eng = make_engine(f"sqlite:///{path}")
        upgrade(eng)
        yield eng
        eng.dispose()
    else:
        url, name = create_postgres_database()
        eng = make_engine(url)
        upgrade(eng)
        yield eng
        eng.dispose()
        drop_postgres_database(name)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    s = session_factory()
    yield s
    s.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def settings(engine: Engine, data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=engine.url.render_as_string(hide_password=False),
    )


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    return create_app(settings, session_factory=session_factory)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session", autouse=True)
def _dispatch_classifier(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Train the dispatch classifier on the shipped history once for the whole run: a city's
    first case would otherwise train it inside whichever request comes first (tens of
    seconds), past the timeouts of the fuzzer and the live-server clients."""
    from citybase.ops.classifier import get_classifier

    get_classifier(Settings(data_dir=tmp_path_factory.mktemp("dispatch-classifier")))
