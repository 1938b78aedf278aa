"""Engine, sessions, the ORM base with a constraint naming convention, and Alembic hookup.

Every domain's migrations live in one Alembic script directory (``citybase/migrations``)
as a separate *branch* labelled with the domain's name; all branches start from the core
revision. ``upgrade heads`` therefore applies every installed domain. Third-party domains
add their own version locations through the ``citybase_migration_dirs`` hook.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from citybase.errors import ServiceUnavailable
from citybase.plugins import get_plugin_manager, load_all_models

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


_WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "SAVEPOINT")
#: How long a writer waits for SQLite's one write lock before the request answers 503.
SQLITE_BUSY_SECONDS = 10.0


class _WriterGate:
    """The one SQLite write lock, queued in this process.

    SQLite's own busy handler polls with growing sleeps, so under many writers some wait
    far longer than others (and past the timeout). Threads of this process queue on a lock
    instead and are woken the moment the previous write transaction ends; the busy timeout
    still covers writers in other processes (the CLI beside a running server).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holder: int | None = None  # id() of the DBAPI connection in a write transaction

    def enter(self, dbapi: Any) -> None:
        if not self.lock.acquire(timeout=SQLITE_BUSY_SECONDS):
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            )
        self.holder = id(dbapi)
        try:
            dbapi.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self.leave(dbapi)
            raise OperationalError("BEGIN IMMEDIATE", None, exc) from None

    def leave(self, dbapi: Any) -> None:
        if dbapi is not None and self.holder == id(dbapi):
            self.holder = None
            self.lock.release()


_GATES: weakref.WeakKeyDictionary[Engine, _WriterGate] = weakref.WeakKeyDictionary()


def _gate(engine: Engine) -> _WriterGate:
    return _GATES[engine]


def _sqlite_lazy_begin(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """Open the SQLite transaction at its first write, as ``BEGIN IMMEDIATE``.

    A deferred ``BEGIN`` that reads and later writes cannot upgrade once another connection
    has committed (SQLITE_BUSY_SNAPSHOT: "database is locked", which no busy timeout helps).
    So reads run outside a transaction, each statement on the latest committed data (as
    READ COMMITTED on PostgreSQL), and a transaction begins at the first write by taking
    the write lock — queued behind this process's other writers (``_WriterGate``). Sessions
    that must read under the lock (a check, then an act) call ``mark_write`` first.
    """
    dbapi = conn.connection.dbapi_connection
    if dbapi is None or dbapi.in_transaction:
        return
    if statement.lstrip()[:10].upper().startswith(_WRITE_PREFIXES):
        _gate(conn.engine).enter(dbapi)


def _sqlite_end(conn: Any) -> None:
    _gate(conn.engine).leave(conn.connection.dbapi_connection)


#: ``Session.info`` key: the session reads under the write lock from its first statement.
WRITE_INFO = "citybase_write"


def _sqlite_session_begin(session: Session, transaction: Any, connection: Any) -> None:
    if not session.info.get(WRITE_INFO) or connection.dialect.name != "sqlite":
        return
    dbapi = connection.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        _gate(connection.engine).enter(dbapi)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite, make sure the directory exists and enable FKs and WAL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # a connection for each request thread (the server's thread pool has 40): an
            # overflow connection costs its PRAGMAs every time it is opened
            kwargs.setdefault("pool_size", 40)
            kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        gate = _GATES[engine] = _WriterGate()
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _sqlite_lazy_begin)
        event.listen(engine, "commit", _sqlite_end)
        event.listen(engine, "rollback", _sqlite_end)

        def _checkin(dbapi_connection: Any, _record: Any) -> None:
            gate.leave(dbapi_connection)  # a pooled connection never keeps the lock

        event.listen(engine.pool, "checkin", _checkin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # request threads (CITYBASE_REQUEST_THREADS, 16) + the event loop's sessions + the
    # process's dispatcher, worker and write-behind threads, with room to spare
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_timeout", 10)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine``, with every installed domain's models mapped (a model's foreign
    key to another domain's table resolves only once that domain's models are imported)."""

    load_all_models()
    return sessionmaker(bind=engine, expire_on_commit=False)


def mark_write(db_session: Session) -> Session:
    """Declare that ``db_session`` reads in order to write (a check, then an act): on
    SQLite it takes the write lock at its first statement, so nobody writes in between.
    Keep such sessions short: nobody else writes while they run."""
    db_session.info[WRITE_INFO] = True
    return db_session


@contextmanager
def session_scope(factory: sessionmaker[Session], *, write: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    ``write=True`` when the unit of work checks, then acts, and is short (see ``mark_write``).
    """
    session = factory()
    if write:
        mark_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


event.listen(Session, "after_begin", _sqlite_session_begin)


# SQLSTATEs PostgreSQL uses when a statement gave up waiting, or lost to a concurrent one
_PG_BUSY = {
    "55P03": "lock not available",
    "57014": "statement timed out",
    "40001": "serialization failure",
    "40P01": "deadlock detected",
    "53300": "too many connections",
}


def database_busy(exc: BaseException) -> str | None:
    """Why the database refused for now (busy, locked, timed out), or None if it is not that.

    These errors are answered 503 with Retry-After instead of 500: the request was fine,
    the database was busy past its timeout.
    """
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _PG_BUSY:
        return _PG_BUSY[sqlstate]
    text = str(orig).lower()
    for marker in ("database is locked", "database is busy", "database table is locked"):
        if marker in text:
            return marker
    if isinstance(exc, OperationalError) and exc.connection_invalidated:
        return "connection lost"
    return None


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
