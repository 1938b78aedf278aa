"""A running time limit: start, pause (挂起), resume, extend (延期), warn, overdue.

A deadline is held in its *base measure* — working time for working units, calendar time
for calendar units — so pausing and extending are plain additions: ``allowed`` is the time
the limit grants, ``paused`` the time spent suspended (which does not count), and the due
instant is ``advance(started_at, allowed + paused)``. The fields map one to one onto
database columns (see citybase.workflow.models).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from citybase.errors import Conflict
from citybase.worktime.clock import Unit, WorkClock


class DeadlineStatus(StrEnum):
    on_time = "on_time"  # 正常
    warning = "warning"  # 预警
    overdue = "overdue"  # 超期
    paused = "paused"  # 挂起


STATUS_LABELS: dict[DeadlineStatus, tuple[str, str]] = {
    DeadlineStatus.on_time: ("正常", "On time"),
    DeadlineStatus.warning: ("预警", "Due soon"),
    DeadlineStatus.overdue: ("超期", "Overdue"),
    DeadlineStatus.paused: ("挂起", "Paused"),
}


@dataclass(frozen=True)
class DeadlineState:
    """What a deadline looks like at one instant."""

    status: DeadlineStatus
    due_at: dt.datetime
    warn_at: dt.datetime
    used: dt.timedelta  # base-measure time used so far (pauses excluded)
    remaining: dt.timedelta  # base-measure time left; negative once overdue
    share_used: float


@dataclass(frozen=True)
class Deadline:
    unit: Unit
    amount: float  # the limit as given, extensions included (for display)
    started_at: dt.datetime
    allowed: dt.timedelta
    paused: dt.timedelta = dt.timedelta(0)
    paused_at: dt.datetime | None = None
    warn_share: float = 0.8

    @classmethod
    def start(
        cls,
        clock: WorkClock,
        *,
        at: dt.datetime,
        amount: float,
        unit: Unit | str,
        warn_share: float = 0.8,
    ) -> Deadline:
        unit = Unit(unit)
        due = clock.add(at, amount, unit)
        allowed = clock.measure(at, due, working=unit.working)
        return cls(unit, amount, at, allowed, warn_share=warn_share)

    def due_at(self, clock: WorkClock) -> dt.datetime:
        return clock.advance(self.started_at, self.allowed + self.paused, working=self.unit.working)

    def warn_at(self, clock: WorkClock) -> dt.datetime:
        share = self.allowed * self.warn_share
        return clock.advance(self.started_at, share + self.paused, working=self.unit.working)

    def pause(self, *, at: dt.datetime) -> Deadline:
        if self.paused_at is not None:
            raise Conflict("The time limit is already paused (挂起); resume it first.")
        return replace(self, paused_at=at)

    def resume(self, clock: WorkClock, *, at: dt.datetime) -> Deadline:
        if self.paused_at is None:
            raise Conflict("The time limit is not paused; there is nothing to resume.")
        spent = clock.measure(self.paused_at, at, working=self.unit.working)
        return replace(self, paused=self.paused + spent, paused_at=None)

    def extend(
        self, clock: WorkClock, *, amount: float, unit: Unit | str | None = None
    ) -> Deadline:
        """Add ``amount`` ``unit`` (default: the deadline's) after the current due (延期)."""
        unit = Unit(unit) if unit is not None else self.unit
        due = self.due_at(clock)
        new_due = clock.add(due, amount, unit)
        extra = clock.measure(due, new_due, working=self.unit.working)
        total = self.amount + amount if unit is self.unit else self.amount
        return replace(self, allowed=self.allowed + extra, amount=total)

    def state(self, clock: WorkClock, *, now: dt.datetime) -> DeadlineState:
        effective = self.paused_at if self.paused_at is not None and self.paused_at < now else now
        used = clock.measure(self.started_at, effective, working=self.unit.working) - self.paused
        used = max(used, dt.timedelta(0))
        remaining = self.allowed - used
        share = used / self.allowed if self.allowed else 1.0
        if self.paused_at is not None:
            status = (
                DeadlineStatus.paused if remaining > dt.timedelta(0) else DeadlineStatus.overdue
            )
        elif remaining < dt.timedelta(0) or (
            remaining == dt.timedelta(0) and now > self.due_at(clock)
        ):
            status = DeadlineStatus.overdue
        elif share >= self.warn_share:
            status = DeadlineStatus.warning
        else:
            status = DeadlineStatus.on_time
        return DeadlineState(
            status=status,
            due_at=self.due_at(clock),
            warn_at=self.warn_at(clock),
            used=used,
            remaining=remaining,
            share_used=share,
        )
