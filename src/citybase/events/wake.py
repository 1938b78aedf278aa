"""In-process wake-ups: threads (dispatcher, worker) and asyncio tasks (live streams) wait
here; a commit that published events or enqueued jobs wakes them. On PostgreSQL a LISTEN
thread (``listen.py``) turns NOTIFYs from other processes into the same wake-ups."""

from __future__ import annotations

import asyncio
import contextlib
import threading


class Hub:
    """A counter with waiters: ``wait(seen)`` returns as soon as the counter passes ``seen``."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._seq = 0
        self._async: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def seq(self) -> int:
        return self._seq

    def notify(self) -> None:
        with self._cond:
            self._seq += 1
            self._cond.notify_all()
            waiters = list(self._async)
        for loop, ev in waiters:
            try:
                loop.call_soon_threadsafe(ev.set)
            except RuntimeError:  # loop closed
                self._async.discard((loop, ev))

    def wait(self, seen: int, timeout: float) -> int:
        with self._cond:
            self._cond.wait_for(lambda: self._seq != seen, timeout=timeout)
            return self._seq

    async def wait_async(self, seen: int, timeout: float) -> int:
        if self._seq != seen:
            return self._seq
        ev = asyncio.Event()
        key = (asyncio.get_running_loop(), ev)
        with self._cond:
            self._async.add(key)
        try:
            if self._seq == seen:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ev.wait(), timeout)
        finally:
            with self._cond:
                self._async.discard(key)
        return self._seq


HUBS: dict[str, Hub] = {"events": Hub(), "jobs": Hub()}


def hub(topic: str) -> Hub:
    return HUBS[topic]


def wake(topic: str) -> None:
    h = HUBS.get(topic)
    if h is not None:
        h.notify()
