"""Working hours of a day (作息时间): ordered, non-overlapping local-time spans."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from citybase.errors import ConfigurationError


@dataclass(frozen=True)
class WorkingHours:
    """Spans of local wall-clock time, e.g. 09:00–12:00 and 13:30–18:00."""

    spans: tuple[tuple[dt.time, dt.time], ...]

    @property
    def day_end(self) -> dt.time:
        return self.spans[-1][1]

    def __str__(self) -> str:
        return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.spans)


def _time(text: str, setting: str, span: str) -> dt.time:
    try:
        hour, minute = (int(p) for p in text.strip().split(":"))
        if hour == 24 and minute == 0:
            return dt.time.max
        return dt.time(hour, minute)
    except ValueError:
        raise ConfigurationError(
            f"{setting}: '{text.strip()}' in span '{span}' is not a time; write HH:MM "
            "(e.g. 09:00-12:00,13:30-18:00).",
            field=setting,
        ) from None


def parse_hours(text: str, *, setting: str = "CITYBASE_WORKTIME_HOURS") -> WorkingHours:
    """Parse ``"09:00-12:00,13:30-18:00"``; refuse empty, reversed or overlapping spans."""
    spans: list[tuple[dt.time, dt.time]] = []
    for raw in text.split(","):
        span = raw.strip()
        if not span:
            continue
        if span.count("-") != 1:
            raise ConfigurationError(
                f"{setting}: span '{span}' must be START-END, e.g. 09:00-12:00.", field=setting
            )
        start_text, end_text = span.split("-")
        start, end = _time(start_text, setting, span), _time(end_text, setting, span)
        if end <= start:
            raise ConfigurationError(
                f"{setting}: span '{span}' ends before it starts; write the earlier time first.",
                field=setting,
            )
        if spans and start < spans[-1][1]:
            prev = f"{spans[-1][0]:%H:%M}-{spans[-1][1]:%H:%M}"
            raise ConfigurationError(
                f"{setting}: span '{span}' overlaps or precedes '{prev}'; list spans in order "
                "of the day without overlap.",
                field=setting,
            )
        spans.append((start, end))
    if not spans:
        raise ConfigurationError(
            f"{setting}: no working hours given; e.g. 09:00-12:00,13:30-18:00.", field=setting
        )
    return WorkingHours(tuple(spans))
