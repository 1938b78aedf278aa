"""Temporary files of one load and its progress reports.

Every file a load writes lives beside ``dest`` (so the final rename is atomic) and is named
``<dest stem>.<kind>-<pid>-<random>``: the process id lets a later load remove what a killed
process left behind without touching files of loads still running.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

ProgressCallback = Callable[[int, int], None]
TEMP_KINDS = ("tmp", "utf8", "stage")


class Work:
    """Temporary files of one load, all beside ``dest`` so the final rename is atomic."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.paths: list[Path] = []

    def temp(self, kind: str) -> Path:
        path = self.dest.with_suffix(f".{kind}-{os.getpid()}-{secrets.token_hex(4)}")
        self.paths.append(path)
        return path

    def cleanup(self) -> None:
        for path in self.paths:
            path.unlink(missing_ok=True)


class Progress:
    """Monotonic (bytes_done, bytes_total) reports; DuckDB work is polled from a thread."""

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = total
        self.done = -1
        self.lock = threading.Lock()

    def at(self, done: float) -> None:
        if self.callback is None:
            return
        value = max(0, min(int(done), self.total))
        with self.lock:  # the poller thread and the loader both report: keep them in order
            if value <= self.done:
                return
            self.done = value
            self.callback(value, self.total)

    def finish(self) -> None:
        self.at(self.total)

    @contextmanager
    def watch(self, con: duckdb.DuckDBPyConnection, start: float, end: float) -> Iterator[None]:
        if self.callback is None:
            yield
            return
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(0.1):
                with suppress(duckdb.Error):
                    pct = con.query_progress()
                    if pct >= 0:
                        self.at(start + (end - start) * min(pct, 99.0) / 100)

        thread = threading.Thread(target=poll, name="citybase-ingest-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


_TEMP_NAME = re.compile(r".+\.(?:" + "|".join(TEMP_KINDS) + r")-(\d+)-[0-9a-f]{8}$")


def sweep_stale_temp_files(dest: Path) -> list[Path]:
    """Remove temporary files in ``dest``'s directory left by loads that were killed.

    Names carry the writer's process id; a file is removed only when that process is gone,
    so a load still running (for this ``dest`` or another in the directory) is never
    disturbed. Process ids are per host: keep a data directory on one host.
    """
    pattern = _TEMP_NAME
    removed: list[Path] = []
    if not dest.parent.is_dir():
        return removed
    for entry in dest.parent.iterdir():
        m = pattern.match(entry.name)
        if m and not process_alive(int(m.group(1))):
            with suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry)
    return removed


def fsync_and_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
        os.fsync(f.fileno())
    return digest.hexdigest()


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
