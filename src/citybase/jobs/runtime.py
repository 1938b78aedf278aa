"""What runs the queue: the worker thread, ``drain`` (run everything pending now, for tests
and the demo), and the FastAPI lifespan that starts the in-process dispatcher and worker."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from citybase.events.dispatch import deliver_due
from citybase.events.dispatcher import Dispatcher
from citybase.events.listen import PgListener
from citybase.events.wake import hub
from citybase.jobs.worker import run_one, schedule_periodic
from citybase.plugins import get_plugin_manager
from citybase.settings import get_settings

log = logging.getLogger("citybase.jobs")


def worker_name(suffix: str = "") -> str:
    return f"{socket.gethostname()}:{os.getpid()}{suffix}"[:100]


def drain(
    session_factory: sessionmaker[Session],
    *,
    settings: Any = None,
    now: dt.datetime | None = None,
    rounds: int = 100,
) -> dict[str, int]:
    """Run every due job and every due event delivery now, until none is left (jobs publish
    events, subscribers may enqueue jobs). Return how many of each ran."""

    settings = settings or get_settings()
    totals = {"jobs": 0, "deliveries": 0}
    for _ in range(rounds):
        d = deliver_due(session_factory, max_attempts=settings.events_max_attempts, now=now)
        j = 0
        while run_one(
            session_factory,
            worker=worker_name("/drain"),
            lease_seconds=settings.job_lease_seconds,
            now=now,
        ):
            j += 1
        totals["jobs"] += j
        totals["deliveries"] += d
        if d == 0 and j == 0:
            break
    return totals


class Worker(threading.Thread):
    """Runs due jobs; enqueues periodic ones; sleeps until woken or the poll interval."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        lease_seconds: int,
        queues: tuple[str, ...] = ("default",),
        poll_seconds: float = 2.0,
        periodic: bool = True,
        name: str | None = None,
        on_job: Any = None,
    ) -> None:
        super().__init__(name="citybase-worker", daemon=True)
        self._sf = session_factory
        self._lease = lease_seconds
        self._queues = queues
        self._poll = poll_seconds
        self._periodic = periodic
        self._halt = threading.Event()
        self.worker = name or worker_name(f"/{threading.get_ident()}")

    def stop(self) -> None:
        self._halt.set()
        hub("jobs").notify()

    def run(self) -> None:
        h = hub("jobs")
        while not self._halt.is_set():
            seen = h.seq
            try:
                if self._periodic:
                    schedule_periodic(self._sf)
                while not self._halt.is_set() and run_one(
                    self._sf, worker=self.worker, lease_seconds=self._lease, queues=self._queues
                ):
                    pass
            except Exception:
                log.exception("job worker failed; trying again")
            if not self._halt.is_set():
                h.wait(seen, self._poll)


class Runtime:
    """The threads one process runs: a PostgreSQL LISTEN thread (always, on PostgreSQL, so
    live streams hear other processes), and optionally a dispatcher and a worker."""

    def __init__(self, session_factory: sessionmaker[Session], settings: Any) -> None:
        self.sf = session_factory
        self.settings = settings
        self.threads: list[Any] = []

    def start(self, *, work: bool) -> None:

        engine = self.sf.kw.get("bind")
        if not isinstance(engine, Engine):
            return  # bound to one connection (the test suite's rolled-back transaction)
        if engine.dialect.name == "postgresql":
            self.threads.append(PgListener(engine))
        if work:
            self.threads.append(Dispatcher(self.sf, max_attempts=self.settings.events_max_attempts))
            self.threads.append(Worker(self.sf, lease_seconds=self.settings.job_lease_seconds))
        for t in self.threads:
            t.start()

    def stop(self, timeout: float = 10.0) -> None:
        for t in self.threads:
            t.stop()
        for t in self.threads:
            t.join(timeout)
        self.threads.clear()


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """FastAPI lifespan: the domains' start-up work (``citybase_startup``: e.g. the data hub
    sweeps what killed loads left behind), then this process's event/job threads (the
    dispatcher and worker only with ``inprocess_worker``)."""
    settings = app.state.settings
    sf = app.state.session_factory
    if not isinstance(sf.kw.get("bind"), Engine):  # tests on one connection call drain()
        yield
        return
    for impl in get_plugin_manager().hook.citybase_startup.get_hookimpls():
        try:  # one domain's failed clean-up must not keep the city's server down
            impl.function(session_factory=sf, settings=settings)
        except Exception:
            log.exception("start-up work of %s failed", impl.plugin_name)
    rt = Runtime(sf, settings)
    rt.start(work=bool(settings.inprocess_worker))
    app.state.runtime = rt
    try:
        yield
    finally:
        rt.stop()
