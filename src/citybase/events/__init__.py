"""Domain events: typed, versioned events written to an outbox in the publisher's
transaction and delivered after commit to every subscriber (at least once, idempotent,
retried with backoff) and to the live stream ``GET /api/events/stream``.

Public API: ``DomainEvent``, ``publish``, ``Subscriber`` (see docs/events.md).
"""

from citybase.events.base import DomainEvent, Subscriber, publish

__all__ = ["DomainEvent", "Subscriber", "publish"]
