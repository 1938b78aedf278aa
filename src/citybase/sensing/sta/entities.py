"""The SensorThings entity sets: their properties, columns and navigation properties.

One table drives reading, filtering, ordering and expanding: a property names the column a
`$filter` compiles to and how its value is written out; a navigation property says how two
entity sets relate (a foreign key on either side, or an association table).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.orm import InstrumentedAttribute

from citybase.sensing import models as m


def ms_to_iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return (
        dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds")
    ).replace("+00:00", "Z")


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


@dataclass(frozen=True)
class Prop:
    """A property: ``column`` for $filter/$orderby, ``kind`` for how literals compare."""

    name: str
    column: InstrumentedAttribute[Any] | None
    get: Callable[[Any], Any]
    kind: str = "plain"  # plain, json, time, result, geo


@dataclass(frozen=True)
class Nav:
    name: str
    target: str  # entity set name
    many: bool
    fk: str | None = None  # to-one: attribute on this model holding the target's id
    back_fk: str | None = None  # to-many: attribute on the target holding this id
    assoc: tuple[Table, str, str] | None = None  # (table, column of this, column of target)


@dataclass
class EntitySet:
    name: str  # "Things"
    singular: str  # "Thing"
    model: type[Any]
    props: dict[str, Prop] = field(default_factory=dict)
    navs: dict[str, Nav] = field(default_factory=dict)

    @property
    def id_column(self) -> InstrumentedAttribute[Any]:
        return self.model.id  # type: ignore[no-any-return]


def _plain(model: type[Any], name: str, attr: str) -> Prop:
    col = getattr(model, attr)
    return Prop(name, col, lambda row: getattr(row, attr))


def _jsonprop(model: type[Any], name: str, attr: str) -> Prop:
    col = getattr(model, attr)
    return Prop(name, col, lambda row: _json(getattr(row, attr)), "json")


def _time(model: type[Any], name: str, attr: str) -> Prop:
    col = getattr(model, attr)
    return Prop(name, col, lambda row: ms_to_iso(getattr(row, attr)), "time")


def _interval(start: int | None, end: int | None) -> str | None:
    if start is None:
        return None
    if end is None or end == start:
        return ms_to_iso(start)
    return f"{ms_to_iso(start)}/{ms_to_iso(end)}"


def _common(model: type[Any]) -> dict[str, Prop]:
    return {
        "name": _plain(model, "name", "name"),
        "description": _plain(model, "description", "description"),
        "properties": _jsonprop(model, "properties", "properties"),
    }


def observation_result(row: Any) -> Any:
    if row.result_json is not None:
        return json.loads(row.result_json)
    return row.result_number


def _build() -> dict[str, EntitySet]:
    sets: dict[str, EntitySet] = {}

    def add(es: EntitySet) -> None:
        sets[es.name] = es

    thing = EntitySet("Things", "Thing", m.Thing, _common(m.Thing))
    thing.navs = {
        "Locations": Nav(
            "Locations", "Locations", True, assoc=(m.thing_location, "thing_id", "location_id")
        ),
        "HistoricalLocations": Nav(
            "HistoricalLocations", "HistoricalLocations", True, back_fk="thing_id"
        ),
        "Datastreams": Nav("Datastreams", "Datastreams", True, back_fk="thing_id"),
    }
    add(thing)

    loc = EntitySet("Locations", "Location", m.Location, _common(m.Location))
    loc.props["encodingType"] = _plain(m.Location, "encodingType", "encoding_type")
    loc.props["location"] = Prop(
        "location", m.Location.location, lambda r: _json(r.location), "geo"
    )
    loc.navs = {
        "Things": Nav(
            "Things", "Things", True, assoc=(m.thing_location, "location_id", "thing_id")
        ),
        "HistoricalLocations": Nav(
            "HistoricalLocations",
            "HistoricalLocations",
            True,
            assoc=(m.historical_location_location, "location_id", "historical_location_id"),
        ),
    }
    add(loc)

    hist = EntitySet("HistoricalLocations", "HistoricalLocation", m.HistoricalLocation)
    hist.props = {"time": _time(m.HistoricalLocation, "time", "time_ms")}
    hist.navs = {
        "Thing": Nav("Thing", "Things", False, fk="thing_id"),
        "Locations": Nav(
            "Locations",
            "Locations",
            True,
            assoc=(m.historical_location_location, "historical_location_id", "location_id"),
        ),
    }
    add(hist)

    sensor = EntitySet("Sensors", "Sensor", m.Sensor, _common(m.Sensor))
    sensor.props["encodingType"] = _plain(m.Sensor, "encodingType", "encoding_type")
    sensor.props["metadata"] = _plain(m.Sensor, "metadata", "sensor_metadata")
    sensor.navs = {"Datastreams": Nav("Datastreams", "Datastreams", True, back_fk="sensor_id")}
    add(sensor)

    prop = EntitySet(
        "ObservedProperties", "ObservedProperty", m.ObservedProperty, _common(m.ObservedProperty)
    )
    prop.props["definition"] = _plain(m.ObservedProperty, "definition", "definition")
    prop.navs = {
        "Datastreams": Nav("Datastreams", "Datastreams", True, back_fk="observed_property_id")
    }
    add(prop)

    ds = EntitySet("Datastreams", "Datastream", m.Datastream, _common(m.Datastream))
    ds.props["observationType"] = _plain(m.Datastream, "observationType", "observation_type")
    ds.props["unitOfMeasurement"] = _jsonprop(
        m.Datastream, "unitOfMeasurement", "unit_of_measurement"
    )
    ds.props["phenomenonTime"] = Prop(
        "phenomenonTime",
        m.Datastream.phenomenon_start_ms,
        lambda r: _interval(r.phenomenon_start_ms, r.phenomenon_end_ms),
        "time",
    )
    ds.navs = {
        "Thing": Nav("Thing", "Things", False, fk="thing_id"),
        "Sensor": Nav("Sensor", "Sensors", False, fk="sensor_id"),
        "ObservedProperty": Nav(
            "ObservedProperty", "ObservedProperties", False, fk="observed_property_id"
        ),
        "Observations": Nav("Observations", "Observations", True, back_fk="datastream_id"),
    }
    add(ds)

    foi = EntitySet(
        "FeaturesOfInterest", "FeatureOfInterest", m.FeatureOfInterest, _common(m.FeatureOfInterest)
    )
    foi.props["encodingType"] = _plain(m.FeatureOfInterest, "encodingType", "encoding_type")
    foi.props["feature"] = Prop(
        "feature", m.FeatureOfInterest.feature, lambda r: _json(r.feature), "geo"
    )
    foi.navs = {"Observations": Nav("Observations", "Observations", True, back_fk="feature_id")}
    add(foi)

    obs = EntitySet("Observations", "Observation", m.Observation)
    obs.props = {
        "phenomenonTime": Prop(
            "phenomenonTime",
            m.Observation.phenomenon_ms,
            lambda r: _interval(r.phenomenon_ms, r.phenomenon_end_ms),
            "time",
        ),
        "resultTime": _time(m.Observation, "resultTime", "result_time_ms"),
        "result": Prop("result", m.Observation.result_number, observation_result, "result"),
        "resultQuality": _jsonprop(m.Observation, "resultQuality", "result_quality"),
        "parameters": _jsonprop(m.Observation, "parameters", "parameters"),
    }
    obs.navs = {
        "Datastream": Nav("Datastream", "Datastreams", False, fk="datastream_id"),
        "FeatureOfInterest": Nav("FeatureOfInterest", "FeaturesOfInterest", False, fk="feature_id"),
    }
    add(obs)
    return sets


ENTITY_SETS: dict[str, EntitySet] = _build()
BY_SINGULAR = {es.singular: es for es in ENTITY_SETS.values()}


def related(nav: Nav, source: EntitySet, source_ids: Any) -> ColumnElement[bool]:
    """A condition on the target set: rows related through ``nav`` to ``source_ids``
    (a scalar, or a subquery of the source set's ids)."""
    target = ENTITY_SETS[nav.target]
    ids = source_ids if not isinstance(source_ids, int) else [source_ids]
    if nav.fk is not None:
        fk_col = getattr(source.model, nav.fk)
        via_fk: ColumnElement[bool] = target.id_column.in_(
            select(fk_col).where(source.id_column.in_(ids))
        )
        return via_fk
    if nav.back_fk is not None:
        cond: ColumnElement[bool] = getattr(target.model, nav.back_fk).in_(ids)
        return cond
    assert nav.assoc is not None
    table, this_col, target_col = nav.assoc
    via_table: ColumnElement[bool] = target.id_column.in_(
        select(table.c[target_col]).where(table.c[this_col].in_(ids))
    )
    return via_table
