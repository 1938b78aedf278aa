"""Bookkeeping written behind the request: counters and "last used" times.

Reads must not write. Yet every rows read adds to usage counters (高频共性数据) and every
token use refreshes the token's ``last_used_at``: written in the read's own transaction, each
read would take the database's write lock (SQLite) or a row lock (PostgreSQL) and queue
behind every other request. Such bookkeeping tolerates a few seconds' delay and, after a
crash, the loss of those seconds; so it is merged in memory and written in one batch:

- every ``flush_seconds`` by a daemon thread, in a short write transaction of its own;
- whenever a reader wants the figures (``flush(db_session)`` before a usage report), in the
  reader's transaction, so a report always includes every read made before it;
- when the process stops (the app's shutdown and ``atexit``).

Buffers are kept per database binding: the engine in a server, or the connection a test
binds its sessions to (those are flushed only through ``flush(db_session)``, never by the
thread, since a connection is not shared between threads). Several processes each keep
their own buffers; counters are added with upserts, so their sums stay right.

What may go here: only facts whose loss of a few seconds harms nobody. Audit records,
tracker entries and anything a decision rests on are written in the transaction, never here.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, SessionTransaction

from citybase.db import mark_write

log = logging.getLogger("citybase.writebehind")

Items = dict[Hashable, Any]


@dataclass(frozen=True)
class Buffer:
    """One kind of bookkeeping: how two pending values for a key merge, how to write them."""

    name: str
    merge: Callable[[Any, Any], Any]
    write: Callable[[Session, Items], None]  # in the given session's transaction


_lock = threading.Lock()
_pending: weakref.WeakKeyDictionary[Engine | Connection, dict[str, Items]] = (
    weakref.WeakKeyDictionary()
)
_buffers: dict[str, Buffer] = {}
_flusher: threading.Thread | None = None
_stop = threading.Event()
FLUSH_SECONDS = 2.0


def _bind_of(db_session: Session) -> Engine | Connection:
    bind = db_session.get_bind()
    assert isinstance(bind, Engine | Connection)
    return bind


def add(db_session: Session, buffer: Buffer, key: Hashable, value: Any) -> None:
    """Merge ``value`` into the pending value for ``key`` (nothing is written now)."""
    bind = _bind_of(db_session)
    with _lock:
        _buffers.setdefault(buffer.name, buffer)
        items = _pending.setdefault(bind, {}).setdefault(buffer.name, {})
        items[key] = buffer.merge(items[key], value) if key in items else value
    if isinstance(bind, Engine):
        _ensure_flusher()


def _take(bind: Engine | Connection, names: set[str] | None) -> dict[str, Items]:
    with _lock:
        per_bind = _pending.get(bind)
        if not per_bind:
            return {}
        taken = {
            n: items for n, items in per_bind.items() if items and (names is None or n in names)
        }
        for n in taken:
            per_bind[n] = {}
        return taken


def _put_back(bind: Engine | Connection, taken: dict[str, Items]) -> None:
    with _lock:
        per_bind = _pending.setdefault(bind, {})
        for name, items in taken.items():
            buffer = _buffers[name]
            current = per_bind.setdefault(name, {})
            for key, value in items.items():
                current[key] = buffer.merge(current[key], value) if key in current else value


def flush(db_session: Session, *buffers: Buffer) -> int:
    """Write this binding's pending items (of ``buffers``, default all) now, so that what
    ``db_session`` reads next includes them. Returns how many keys were written.

    Bound to an engine: in a transaction of its own, committed before this returns (the
    caller may be a read that never commits). Bound to a connection (a test's, or a
    caller's explicit transaction): in ``db_session``'s transaction; if that rolls back,
    the items go back into the buffer.
    """
    bind = _bind_of(db_session)
    names = {b.name for b in buffers} if buffers else None
    if isinstance(bind, Engine):
        return _flush_engine(bind, names)
    taken = _take(bind, names)
    written = 0
    try:
        for name, items in taken.items():
            _buffers[name].write(db_session, items)
            written += len(items)
    except BaseException:
        _put_back(bind, taken)
        raise
    if taken:
        db_session.info.setdefault(_TAKEN_INFO, []).append((bind, taken))
    return written


_TAKEN_INFO = "citybase_writebehind_taken"


@event.listens_for(Session, "after_commit")
def _written(session: Session) -> None:
    session.info.pop(_TAKEN_INFO, None)


@event.listens_for(Session, "after_transaction_end")
def _not_written(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    for bind, taken in session.info.pop(_TAKEN_INFO, []):  # ended without a commit
        _put_back(bind, taken)


def flush_engine(engine: Engine) -> int:
    """Write an engine's pending items in a transaction of their own (the thread, shutdown)."""
    return _flush_engine(engine, None)


def _flush_engine(engine: Engine, names: set[str] | None) -> int:

    taken = _take(engine, names)
    if not taken:
        return 0
    written = 0
    try:
        with Session(bind=engine) as session:
            mark_write(session)
            for name, items in taken.items():
                _buffers[name].write(session, items)
                written += len(items)
            session.commit()
    except Exception as exc:
        _put_back(engine, taken)
        log.warning("could not write buffered bookkeeping (will retry): %s", exc)
        return 0
    return written


def flush_all() -> int:
    with _lock:
        engines = [b for b in _pending if isinstance(b, Engine)]
    return sum(flush_engine(e) for e in engines)


def pending_count(db_session: Session) -> int:
    with _lock:
        per_bind = _pending.get(_bind_of(db_session), {})
        return sum(len(items) for items in per_bind.values())


def _run() -> None:
    while not _stop.wait(FLUSH_SECONDS):
        flush_all()


def _ensure_flusher() -> None:
    global _flusher
    if _flusher is not None and _flusher.is_alive():
        return
    with _lock:
        if _flusher is not None and _flusher.is_alive():
            return
        _stop.clear()
        _flusher = threading.Thread(target=_run, name="citybase-writebehind", daemon=True)
        _flusher.start()


def shutdown() -> None:
    """Stop the thread and write everything pending (the app's shutdown, ``atexit``)."""
    _stop.set()
    flush_all()


atexit.register(shutdown)
