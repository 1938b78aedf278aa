"""Engine, sessions, the ORM base with a constraint naming convention, and Alembic hookup.

Every domain's migrations live in one Alembic script directory (``citybase/migrations``)
as a separate *branch* labelled with the domain's name; all branches start from the core
revision. ``upgrade heads`` therefore applies every installed domain. Third-party domains
add their own version locations through the ``citybase_migration_dirs`` hook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from citybase.errors import ServiceUnavailable

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use citybase.db.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin: this makes
    # SAVEPOINT and transactional DDL work (the documented pysqlite recipe).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite, make sure the directory exists and enable FKs and WAL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def check_connection(engine: Engine) -> None:
    """Raise a clear ServiceUnavailable if the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        url = engine.url.render_as_string(hide_password=True)
        raise ServiceUnavailable(
            f"Cannot connect to the database at {url}: {exc.orig}. "
            "Check that the server is running and CITYBASE_DATABASE_URL is right.",
            field="CITYBASE_DATABASE_URL",
        ) from None


# --- Alembic -----------------------------------------------------------------------------


def alembic_config(engine_or_url: Engine | str) -> Any:
    from alembic.config import Config

    from citybase.plugins import get_plugin_manager

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [str(MIGRATIONS_DIR / "versions")]
    for dirs in get_plugin_manager().hook.citybase_migration_dirs():
        locations.extend(str(d) for d in dirs)
    # de-duplicate while keeping order
    seen: list[str] = []
    for loc in locations:
        if loc not in seen:
            seen.append(loc)
    cfg.set_main_option("version_locations", " ".join(seen))
    cfg.set_main_option("path_separator", "space")
    if isinstance(engine_or_url, str):
        cfg.set_main_option("sqlalchemy.url", engine_or_url.replace("%", "%%"))
    else:
        cfg.attributes["connection_engine"] = engine_or_url
        cfg.set_main_option(
            "sqlalchemy.url",
            engine_or_url.url.render_as_string(hide_password=False).replace("%", "%%"),
        )
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Apply migrations (every domain branch) in one go."""
    from alembic import command

    check_connection(engine)
    with engine.begin() as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    with engine.begin() as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def migration_state(engine: Engine) -> dict[str, object]:
    """Current vs head revisions, for /api/health and `citybase db status`."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    heads = set(script.get_heads())
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            current: set[str] = set()
        else:
            current = set(MigrationContext.configure(conn).get_current_heads())
    return {
        "current": sorted(current),
        "heads": sorted(heads),
        "up_to_date": current == heads,
    }
