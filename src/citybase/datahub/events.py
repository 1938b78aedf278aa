"""The data hub's domain events (registered through ``citybase_event_types``)."""

from __future__ import annotations

from citybase.events import DomainEvent


class VersionLoaded(DomainEvent):
    """A new version of a dataset became current. Published in the load's transaction,
    after the (inline, fail-closed) release re-check, so subscribers see the version's
    final open/held-back state. Seen live by the owning department."""

    event_type = "datahub.VersionLoaded"
    version = 1

    dataset: str
    number: int
    rows: int
    held_back: bool
    quality_score: float | None = None


class VersionRestored(DomainEvent):
    """An earlier version of a dataset became current again (a rollback). Published after
    the release re-check, like ``VersionLoaded``; seen live by the owning department."""

    event_type = "datahub.VersionRestored"
    version = 1

    dataset: str
    number: int
    previous: int | None
    rows: int
    held_back: bool
    quality_score: float | None = None
