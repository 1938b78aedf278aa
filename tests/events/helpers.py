"""Shared by the event and job tests: a database per test where commits really happen, and
a test plug-in that registers event types, subscribers and jobs through the real hooks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from citybase.audit import service as audit_service
from citybase.db import make_engine, make_session_factory, upgrade
from citybase.events import DomainEvent, Subscriber
from citybase.hookspecs import hookimpl
from citybase.plugins import get_plugin_manager
from citybase.settings import Settings


@dataclass
class LiveDb:
    engine: Engine
    sf: sessionmaker[Session]
    settings: Settings
    backend: str


def live_db(backend: str, tmp_path: Path) -> Iterator[LiveDb]:
    from tests.conftest import create_postgres_database, drop_postgres_database

    name = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.db'}"
    else:
        url, name = create_postgres_database()
    engine = make_engine(url)
    upgrade(engine)
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    settings = Settings(data_dir=data_dir, database_url=url, events_keepalive_seconds=0.5)
    try:
        yield LiveDb(engine, make_session_factory(engine), settings, backend)
    finally:
        engine.dispose()
        if name is not None:
            drop_postgres_database(name)


class CaseOpened(DomainEvent):
    event_type = "test.CaseOpened"
    version = 1
    case: str


class Broken(DomainEvent):
    event_type = "test.Broken"
    case: str = ""


class NotRegistered(DomainEvent):
    event_type = "test.NotRegistered"


@dataclass
class Recorder:
    """Subscribers that leave real traces: an audit record each, and a call log."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fail_times: int = 0  # test.Broken handler fails this many times, then works

    def _note(self, who: str, db_session: Session, event: Any) -> None:
        audit_service.record(
            db_session,
            actor=None,
            action=f"test.{who}",
            object_type="case",
            object_id=event.case,
        )
        with self.lock:
            self.calls.append((who, event.case))

    def dashboard(self, db_session: Session, event: Any) -> None:
        self._note("dashboard", db_session, event)

    def operations(self, db_session: Session, event: Any) -> None:
        self._note("operations", db_session, event)

    def broken(self, db_session: Session, event: Any) -> None:
        # writes first, then fails: the write must roll back with the failed attempt
        audit_service.record(
            db_session, actor=None, action="test.broken", object_type="case", object_id="x"
        )
        with self.lock:
            if self.fail_times > 0:
                self.fail_times -= 1
                raise RuntimeError("the dashboard service is down")
            self.calls.append(("broken", event.case))


class TestPlugin:
    def __init__(self, rec: Recorder, jobs: dict[str, Callable[..., Any]] | None = None) -> None:
        self.rec = rec
        self.periodic: list[Any] = []

    @hookimpl
    def citybase_event_types(self) -> list[type[Any]]:
        return [CaseOpened, Broken]

    @hookimpl
    def citybase_event_subscribers(self) -> list[Any]:
        return [
            Subscriber("test.dashboard", ("test.CaseOpened",), self.rec.dashboard),
            Subscriber("test.operations", ("test.CaseOpened",), self.rec.operations),
            Subscriber("test.broken", ("test.Broken",), self.rec.broken),
        ]

    @hookimpl
    def citybase_periodic_jobs(self) -> list[Any]:
        return self.periodic


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    plugin = TestPlugin(rec)
    pm = get_plugin_manager()
    pm.register(plugin, name="tests.events")
    rec.plugin = plugin  # type: ignore[attr-defined]
    try:
        yield rec
    finally:
        pm.unregister(name="tests.events")
