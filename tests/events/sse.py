"""A small server-sent-events reader for tests: collects messages in a thread."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class SseReader:
    url: str
    headers: dict[str, str]
    want: int  # stop after this many events
    only: str = "test."  # keep events whose type starts with this (jobs' progress is noise here)
    events: list[dict[str, Any]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    status: int | None = None
    connected: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def start(self) -> SseReader:
        threading.Thread(target=self._run, daemon=True).start()
        assert self.connected.wait(10), "stream did not open"
        return self

    def _run(self) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(10.0)) as c,
                c.stream("GET", self.url, headers=self.headers) as r,
            ):
                self.status = r.status_code
                if r.status_code != 200:
                    return
                msg: dict[str, Any] = {}
                for line in r.iter_lines():
                    if line.startswith(":"):
                        self.comments.append(line)
                        self.connected.set()
                    elif line.startswith("id: "):
                        msg["id"] = int(line[4:])
                    elif line.startswith("event: "):
                        msg["event"] = line[7:]
                    elif line.startswith("data: "):
                        msg["data"] = json.loads(line[6:])
                    elif line == "" and msg:
                        if str(msg.get("event", "")).startswith(self.only):
                            self.events.append(msg)
                        msg = {}
                        if len(self.events) >= self.want:
                            return
                    if self.done.is_set():
                        return
        finally:
            self.connected.set()
            self.done.set()

    def wait(self, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while not self.done.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.done.set()
        return self.events

    def ids(self) -> list[int]:
        return [e["id"] for e in self.events]
