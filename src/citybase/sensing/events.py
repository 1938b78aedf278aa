"""Sensing's domain events: the contract with operations (v1; keep names and fields).

An alarm episode is raised once (``AlarmRaised``, one ``alarm_id`` per episode), repeated
while it lasts (``AlarmRepeated``, at most once a minute) and cleared once (``AlarmCleared``).
All three are public on the live stream: the operations centre's dashboard shows them.
"""

from __future__ import annotations

from citybase.events import DomainEvent


class AlarmRaised(DomainEvent):
    event_type = "sensing.AlarmRaised"
    version = 1
    alarm_id: int
    rule_id: int
    rule_name: str
    category: str  # the operations category code the rule names
    datastream_id: int
    thing_name: str
    observed_property: str
    value: float
    message: str  # zh-CN, for the case description
    lon: float | None
    lat: float | None
    raised_at: str  # ISO 8601, UTC


class AlarmRepeated(DomainEvent):
    event_type = "sensing.AlarmRepeated"
    version = 1
    alarm_id: int
    value: float
    at: str


class AlarmCleared(DomainEvent):
    event_type = "sensing.AlarmCleared"
    version = 1
    alarm_id: int
    value: float
    cleared_at: str


EVENT_TYPES: list[type[DomainEvent]] = [AlarmRaised, AlarmRepeated, AlarmCleared]
