"""Domain events: typed, versioned events written to an outbox in the publisher's
transaction and delivered after commit to every subscriber (at least once, idempotent,
retried with backoff) and to the live stream ``GET /api/events/stream``.

Public API: ``DomainEvent``, ``publish``, ``Subscriber`` (see docs/events.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citybase.events.base import DomainEvent, Subscriber, publish

# Imported on first use (PEP 562): loading the plug-in (``<pkg>.plugin``) must not pull in
# SQLAlchemy or pydantic, which the CLI's start-up would pay for on every command.
_WHERE = {
    "DomainEvent": "citybase.events.base",
    "Subscriber": "citybase.events.base",
    "publish": "citybase.events.base",
}

__all__ = ["DomainEvent", "Subscriber", "publish"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
