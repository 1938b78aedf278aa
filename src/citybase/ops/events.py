"""Ops domain events (version 1). No personal data: no reporter name, phone or text."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from citybase.events import DomainEvent


class _CaseFacts(DomainEvent):
    case_id: int
    status: str
    channel: str
    category: str | None = None
    department: str | None = None
    district_code: str | None = None
    street_code: str | None = None
    grid_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    due_at: dt.datetime | None = None


class CaseCreated(_CaseFacts):
    """A new case was opened from a report (any channel)."""

    event_type: ClassVar[str] = "ops.CaseCreated"
    version: ClassVar[int] = 1


class CaseTransitioned(_CaseFacts):
    """A case moved in its workflow (立案, 派遣, 签收, 处置, 核查, 结案, 催办 …)."""

    event_type: ClassVar[str] = "ops.CaseTransitioned"
    version: ClassVar[int] = 1

    action: str
    from_state: str
    actor: str


class CaseClosed(_CaseFacts):
    """A case was closed (结案): on time or not, its working hours of handling."""

    event_type: ClassVar[str] = "ops.CaseClosed"
    version: ClassVar[int] = 1

    on_time: bool | None = None
    handling_hours: float | None = None
    rework_count: int = 0


EVENT_TYPES: tuple[type[DomainEvent], ...] = (CaseCreated, CaseTransitioned, CaseClosed)
