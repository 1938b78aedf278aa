"""The dispatcher thread: delivers due events whenever woken, or at the next retry time."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from citybase.db import utcnow
from citybase.events.dispatch import deliver_due
from citybase.events.models import Delivery
from citybase.events.wake import hub

log = logging.getLogger("citybase.events")


class Dispatcher(threading.Thread):
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        max_attempts: int,
        poll_seconds: float = 5.0,
    ) -> None:
        super().__init__(name="citybase-events", daemon=True)
        self._sf = session_factory
        self._max = max_attempts
        self._poll = poll_seconds
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()
        hub("events").notify()

    def _timeout(self) -> float:
        with self._sf() as s:
            nxt = s.scalar(
                select(func.min(Delivery.next_attempt_at)).where(Delivery.status == "pending")
            )
        if nxt is None:
            return self._poll
        return max(0.05, min(self._poll, (nxt - utcnow()).total_seconds()))

    def run(self) -> None:
        h = hub("events")
        while not self._halt.is_set():
            seen = h.seq
            timeout = self._poll
            try:
                deliver_due(self._sf, max_attempts=self._max)
                timeout = self._timeout()
            except Exception:
                log.exception("event dispatcher failed; trying again")
            if not self._halt.is_set():
                h.wait(seen, timeout)
