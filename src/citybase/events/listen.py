"""PostgreSQL LISTEN: one thread per process holds one autocommit connection, LISTENs on the
event and job channels, and turns every NOTIFY (sent by a committing transaction anywhere)
into an in-process wake-up of that topic's dispatcher, worker and live streams."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from citybase.events.wake import wake

log = logging.getLogger("citybase.events")

CHANNELS = {"citybase_events": "events", "citybase_jobs": "jobs"}


class PgListener(threading.Thread):
    def __init__(self, engine: Engine) -> None:
        super().__init__(name="citybase-pg-listen", daemon=True)
        url = engine.url.set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._halt = threading.Event()
        self.ready = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        import psycopg

        while not self._halt.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True) as conn:
                    for channel in CHANNELS:
                        conn.execute(f"LISTEN {channel}")
                    self.ready.set()
                    for topic in CHANNELS.values():  # catch up on what came while away
                        wake(topic)
                    while not self._halt.is_set():
                        for note in conn.notifies(timeout=0.5):
                            woken = CHANNELS.get(note.channel)
                            if woken:
                                wake(woken)
            except Exception as exc:  # the server restarted, the network dropped …
                log.warning("LISTEN connection lost (%s); reconnecting", exc)
                self._halt.wait(1.0)
