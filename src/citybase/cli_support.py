"""What every CLI command shares: settings, a database session, the data directory, errors.

Kept cheap to import: ``citybase --help`` imports every domain's cli.py, so nothing here (and
nothing at the top of a domain's cli.py) may import SQLAlchemy, FastAPI, DuckDB, PyArrow,
pydantic-settings or jieba — those are imported inside the commands that use them.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar, cast

import typer
from rich.console import Console

from citybase.errors import CitybaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from citybase.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")

DATA_DIR_ENV = "CITYBASE_DATA_DIR"


# rich.console is imported anyway to render --help (typer's rich formatting), so the consoles
# are real ones: rich's Progress and Live need the Console object itself.
console = Console()
err_console = Console(stderr=True)


class NoDatabase(CitybaseError):
    """The data directory or database a command needs is not there (or not migrated)."""

    status = 409
    code = "no_database"


DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar=DATA_DIR_ENV,
        show_envvar=True,
        file_okay=False,
        help="The city's data directory (SQLite database, dataset files). "
        "Default: ./citybase-data.",
    ),
]


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Every command's wrapper: ``--data-dir`` (unless the command declares its own), and
    CitybaseError (or a missing table) rendered as one clear line with exit code 1."""
    signature = inspect.signature(fn, eval_str=True)
    own_data_dir = "data_dir" in signature.parameters

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not own_data_dir:
            use_data_dir(cast("Path | None", kwargs.pop("data_dir", None)))
        try:
            return fn(*args, **kwargs)
        except CitybaseError as exc:
            _print_error(exc)
            raise typer.Exit(1) from None
        except Exception as exc:
            missing = _missing_table(exc)
            if missing is None:
                raise
            _print_error(missing)
            raise typer.Exit(1) from None

    if not own_data_dir:
        extra = inspect.Parameter(
            "data_dir", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=DataDirOption
        )
        params = [*signature.parameters.values(), extra]
        wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {**fn.__annotations__, "data_dir": DataDirOption}
    return wrapper


def _print_error(exc: CitybaseError) -> None:
    from rich.markup import escape

    where = f" [{exc.field}]" if exc.field else ""
    err_console.print(
        f"[bold red]Error{escape(where)}:[/] {escape(exc.message)}", highlight=False, soft_wrap=True
    )


def _missing_table(exc: Exception) -> CitybaseError | None:
    """A database without some domain's tables: what to run instead of a traceback."""
    if not type(exc).__module__.startswith("sqlalchemy"):
        return None
    text = str(exc)
    if "no such table" not in text and "UndefinedTable" not in text:
        return None
    return NoDatabase(
        "the database has not been migrated for every installed domain "
        f"({text.splitlines()[0].split(') ', 1)[-1]}): run `citybase db upgrade`" + _data_dir_hint()
    )


def _data_dir_hint() -> str:
    value = os.environ.get(DATA_DIR_ENV)
    return f" --data-dir {value}" if value else ""


def load_settings() -> Settings:
    from citybase.settings import get_settings

    return get_settings()


# --- the data directory -------------------------------------------------------------------


def use_data_dir(value: Path | None) -> None:
    """Point this process (and the server workers it starts) at ``value``."""
    if value is None:
        return
    os.environ[DATA_DIR_ENV] = str(value)
    if "citybase.settings" in sys.modules:
        sys.modules["citybase.settings"].get_settings.cache_clear()


def _no_database(settings: Settings, what: str) -> NoDatabase:
    where = settings.data_dir.resolve()
    return NoDatabase(
        f"no citybase database in {where} ({what}): run `citybase db upgrade --data-dir "
        f"{where}` or `citybase demo --data-dir {where}`, or point --data-dir "
        "(CITYBASE_DATA_DIR) at the city's data directory",
        field="--data-dir",
    )


def open_database(settings: Settings | None = None) -> Engine:
    """The engine of an existing, migrated database; never creates a directory or file."""
    from sqlalchemy import inspect

    from citybase.db import check_connection, make_engine

    settings = settings or load_settings()
    if not settings.database_url:
        db_file = settings.data_dir / "citybase.db"
        if not settings.data_dir.is_dir():
            raise _no_database(settings, "the directory does not exist")
        if not db_file.is_file() or db_file.stat().st_size == 0:
            raise _no_database(settings, "citybase.db is missing or empty")
    engine = make_engine(settings.effective_database_url)
    check_connection(engine)
    with engine.connect() as conn:
        migrated = inspect(conn).has_table("alembic_version")
    if not migrated:
        engine.dispose()
        if not settings.database_url:
            raise _no_database(settings, "citybase.db has no citybase tables")
        raise NoDatabase(
            "the database at CITYBASE_DATABASE_URL has no citybase tables: run "
            "`citybase db upgrade` first",
            field="CITYBASE_DATABASE_URL",
        )
    return engine


@contextmanager
def db_session(settings: Settings | None = None) -> Iterator[Session]:
    from citybase.db import make_session_factory, session_scope

    engine = open_database(settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()
