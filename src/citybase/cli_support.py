"""What every CLI command shares: settings, a database session, and error rendering."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from citybase.db import check_connection, make_engine, make_session_factory, session_scope
from citybase.errors import CitybaseError
from citybase.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Render CitybaseError as one clear line and exit 1 — never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except CitybaseError as exc:
            where = f" [{exc.field}]" if exc.field else ""
            err_console.print(f"[bold red]Error{where}:[/] {exc.message}")
            raise typer.Exit(1) from None

    return wrapper


def load_settings() -> Settings:
    return get_settings()


@contextmanager
def db_session(settings: Settings | None = None) -> Iterator[Session]:
    settings = settings or load_settings()
    engine = make_engine(settings.effective_database_url)
    check_connection(engine)
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()
