"""Creating, updating and deleting SensorThings entities (with deep insert and links).

A POST body may nest related entities (a Thing with its Locations and Datastreams, each
with its Sensor and ObservedProperty) or link existing ones by ``{"@iot.id": n}``. The
whole body is one transaction. Configuration changes are audited; observations are not.
"""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry import shape
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from citybase.errors import NotFound, ValidationFailed
from citybase.sensing import models as m
from citybase.sensing.sta.entities import ENTITY_SETS, EntitySet
from citybase.sensing.store import NewObservation, insert_observations, now_ms, parse_time

REQUIRED = {
    "Things": ("name",),
    "Locations": ("name", "encodingType", "location"),
    "Sensors": ("name", "encodingType", "metadata"),
    "ObservedProperties": ("name", "definition"),
    "Datastreams": ("name", "observationType", "unitOfMeasurement"),
    "FeaturesOfInterest": ("name", "encodingType", "feature"),
    "HistoricalLocations": (),
    "Observations": ("result",),
}
COLUMNS = {
    "encodingType": "encoding_type",
    "metadata": "sensor_metadata",
    "observationType": "observation_type",
    "unitOfMeasurement": "unit_of_measurement",
    "definition": "definition",
    "name": "name",
    "description": "description",
    "properties": "properties",
    "location": "location",
    "feature": "feature",
}
JSON_COLUMNS = {"properties", "unitOfMeasurement", "location", "feature"}


def _where(prefix: str, key: str) -> str:
    return f"{prefix}{key}" if not prefix else f"{prefix}/{key}"


def _point(geo: Any, field: str) -> tuple[float | None, float | None]:
    if not isinstance(geo, dict):
        raise ValidationFailed(f"{field} must be a GeoJSON object.", field=field)
    geom = geo.get("geometry", geo) if geo.get("type") == "Feature" else geo
    try:
        shp = shape(geom)
    except (ValueError, TypeError, AttributeError, KeyError):
        raise ValidationFailed(f"{field} is not valid GeoJSON geometry.", field=field) from None
    if shp.geom_type == "Point":
        return float(shp.x), float(shp.y)
    c = shp.centroid
    return float(c.x), float(c.y)


class Writer:
    def __init__(self, db_session: Session) -> None:
        self.db = db_session
        self.created: list[tuple[str, int]] = []

    def link(self, es: EntitySet, value: Any, field: str) -> int | None:
        """An ``{"@iot.id": n}`` link → n (checked), or None when ``value`` is a new entity."""
        if isinstance(value, dict) and "@iot.id" in value:  # a link; other keys are ignored
            ident = value["@iot.id"]
            if not isinstance(ident, int) or self.db.get(es.model, ident) is None:
                raise NotFound(f"{field}: {es.singular} {ident!r} does not exist.", field=field)
            return ident
        return None

    def ref(self, es: EntitySet, value: Any, field: str) -> int:
        ident = self.link(es, value, field)
        if ident is not None:
            return ident
        if not isinstance(value, dict):
            raise ValidationFailed(f"{field} must be an object.", field=field)
        return self.create(es, value, {}, field)

    def create(self, es: EntitySet, body: Any, parent: dict[str, int], prefix: str = "") -> int:
        """Create one entity (and what it nests); ``parent`` holds links implied by the URL."""
        if not isinstance(body, dict):
            raise ValidationFailed(
                f"{prefix or es.singular} must be a JSON object.", field=prefix or None
            )
        if es.name == "Observations":
            return self._observation(body, parent, prefix)
        for key in REQUIRED[es.name]:
            if body.get(key) in (None, ""):
                raise ValidationFailed(
                    f"{_where(prefix, key)} is required for a new {es.singular}.",
                    field=_where(prefix, key),
                )
        row = es.model()
        self._assign(es, row, body, prefix, creating=True)
        if es.name == "Datastreams":
            row.thing_id = parent.get("Thing") or self.ref(
                ENTITY_SETS["Things"], self._need(body, "Thing", prefix), _where(prefix, "Thing")
            )
            row.sensor_id = self.ref(
                ENTITY_SETS["Sensors"], self._need(body, "Sensor", prefix), _where(prefix, "Sensor")
            )
            row.observed_property_id = self.ref(
                ENTITY_SETS["ObservedProperties"],
                self._need(body, "ObservedProperty", prefix),
                _where(prefix, "ObservedProperty"),
            )
        if es.name == "HistoricalLocations":
            row.time_ms = parse_time(body.get("time"), _where(prefix, "time"))[0]
            row.thing_id = parent.get("Thing") or self.ref(
                ENTITY_SETS["Things"], self._need(body, "Thing", prefix), _where(prefix, "Thing")
            )
        self.db.add(row)
        self.db.flush()
        self.created.append((es.name, row.id))
        self._nested(es, row, body, parent, prefix)
        return int(row.id)

    @staticmethod
    def _need(body: dict[str, Any], key: str, prefix: str) -> Any:
        if key not in body:
            raise ValidationFailed(
                f'{_where(prefix, key)} is required (an object or {{"@iot.id": n}}).',
                field=_where(prefix, key),
            )
        return body[key]

    def _assign(
        self, es: EntitySet, row: Any, body: dict[str, Any], prefix: str, creating: bool
    ) -> None:
        settable = (
            set(REQUIRED[es.name])
            | {"description", "properties"}
            | ({"definition"} if es.name == "ObservedProperties" else set())
        )
        for key, value in body.items():
            if key in es.navs or key.startswith("@iot"):
                continue
            if key not in settable or key not in COLUMNS:
                if key in ("time",) and es.name == "HistoricalLocations":
                    continue
                raise ValidationFailed(
                    f"{_where(prefix, key)}: a {es.singular} has no "
                    "settable property of that name.",
                    field=_where(prefix, key),
                )
            if key == "properties" and value is not None and not isinstance(value, dict):
                raise ValidationFailed(
                    f"{_where(prefix, key)} must be a JSON object.", field=_where(prefix, key)
                )
            if key in ("location", "feature"):
                row.lon, row.lat = _point(value, _where(prefix, key))
            if key in JSON_COLUMNS:
                value = None if value is None else json.dumps(value, ensure_ascii=False)
            elif not isinstance(value, str):
                raise ValidationFailed(
                    f"{_where(prefix, key)} must be a string.", field=_where(prefix, key)
                )
            setattr(row, COLUMNS[key], value)
        if creating and getattr(row, "description", None) is None and hasattr(row, "name"):
            row.description = ""

    def _nested(
        self, es: EntitySet, row: Any, body: dict[str, Any], parent: dict[str, int], prefix: str
    ) -> None:
        if es.name == "Things":
            locs = body.get("Locations", [])
            for i, loc in enumerate(locs if isinstance(locs, list) else []):
                lid = self.ref(ENTITY_SETS["Locations"], loc, _where(prefix, f"Locations[{i}]"))
                self.db.execute(insert(m.thing_location).values(thing_id=row.id, location_id=lid))
            if locs:
                self._history(row.id)
            for i, ds in enumerate(body.get("Datastreams", []) or []):
                self.create(
                    ENTITY_SETS["Datastreams"],
                    ds,
                    {"Thing": row.id},
                    _where(prefix, f"Datastreams[{i}]"),
                )
        if es.name == "Locations":
            things = list(body.get("Things", []) or [])
            if "Thing" in parent:
                things.append({"@iot.id": parent["Thing"]})
            for i, th in enumerate(things):
                tid = self.ref(ENTITY_SETS["Things"], th, _where(prefix, f"Things[{i}]"))
                self.db.execute(delete(m.thing_location).where(m.thing_location.c.thing_id == tid))
                self.db.execute(insert(m.thing_location).values(thing_id=tid, location_id=row.id))
                self._history(tid)
        if es.name == "HistoricalLocations":
            for i, loc in enumerate(body.get("Locations", []) or []):
                lid = self.ref(ENTITY_SETS["Locations"], loc, _where(prefix, f"Locations[{i}]"))
                self.db.execute(
                    insert(m.historical_location_location).values(
                        historical_location_id=row.id, location_id=lid
                    )
                )
        if es.name == "Datastreams":
            for i, ob in enumerate(body.get("Observations", []) or []):
                self.create(
                    ENTITY_SETS["Observations"],
                    ob,
                    {"Datastream": row.id},
                    _where(prefix, f"Observations[{i}]"),
                )

    def _history(self, thing_id: int) -> None:
        hist = m.HistoricalLocation(thing_id=thing_id, time_ms=now_ms())
        self.db.add(hist)
        self.db.flush()
        loc_ids = self.db.scalars(
            select(m.thing_location.c.location_id).where(m.thing_location.c.thing_id == thing_id)
        )
        for lid in loc_ids:
            self.db.execute(
                insert(m.historical_location_location).values(
                    historical_location_id=hist.id, location_id=lid
                )
            )

    def _observation(self, body: dict[str, Any], parent: dict[str, int], prefix: str) -> int:
        if "result" not in body:
            raise ValidationFailed(
                f"{_where(prefix, 'result')} is required for a new Observation.",
                field=_where(prefix, "result"),
            )
        ds_id = parent.get("Datastream") or self.ref(
            ENTITY_SETS["Datastreams"],
            self._need(body, "Datastream", prefix),
            _where(prefix, "Datastream"),
        )
        start, end = (
            parse_time(body["phenomenonTime"], _where(prefix, "phenomenonTime"))
            if body.get("phenomenonTime") is not None
            else (now_ms(), None)
        )
        result_ms = (
            parse_time(body["resultTime"], _where(prefix, "resultTime"))[0]
            if body.get("resultTime") is not None
            else None
        )
        foi = body.get("FeatureOfInterest")
        feature_id = (
            self.ref(ENTITY_SETS["FeaturesOfInterest"], foi, _where(prefix, "FeatureOfInterest"))
            if foi is not None
            else feature_for_datastream(self.db, ds_id)
        )
        (oid,) = insert_observations(
            self.db,
            [
                NewObservation(
                    ds_id,
                    start,
                    body["result"],
                    end,
                    result_ms,
                    body.get("resultQuality"),
                    body.get("parameters"),
                    feature_id,
                )
            ],
        )
        return oid


def feature_for_datastream(db_session: Session, datastream_id: int) -> int | None:
    """The FeatureOfInterest made from the Thing's Location (the standard's default)."""
    loc = db_session.execute(
        select(m.Location)
        .join(m.thing_location, m.thing_location.c.location_id == m.Location.id)
        .join(m.Datastream, m.Datastream.thing_id == m.thing_location.c.thing_id)
        .where(m.Datastream.id == datastream_id)
        .limit(1)
    ).scalar_one_or_none()
    if loc is None:
        return None
    found = db_session.scalar(
        select(m.FeatureOfInterest.id).where(
            m.FeatureOfInterest.feature == loc.location,
            m.FeatureOfInterest.encoding_type == loc.encoding_type,
        )
    )
    if found is not None:
        return int(found)
    foi = m.FeatureOfInterest(
        name=loc.name,
        description=loc.description,
        encoding_type=loc.encoding_type,
        feature=loc.location,
        lon=loc.lon,
        lat=loc.lat,
    )
    db_session.add(foi)
    db_session.flush()
    return int(foi.id)


def update(db_session: Session, es: EntitySet, ident: int, body: Any) -> Any:
    row = db_session.get(es.model, ident)
    if row is None:
        raise NotFound(f"{es.singular} {ident} does not exist.", field="@iot.id")
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object.")
    if es.name == "Observations":
        if "result" in body:
            value = body["result"]
            num = None if isinstance(value, bool) or not isinstance(value, int | float) else value
            row.result_number = num
            row.result_json = None if num is not None else json.dumps(value, ensure_ascii=False)
        if body.get("phenomenonTime"):
            row.phenomenon_ms, row.phenomenon_end_ms = parse_time(
                body["phenomenonTime"], "phenomenonTime"
            )
        return row
    if es.name == "HistoricalLocations":
        if "time" in body:
            row.time_ms = parse_time(body["time"], "time")[0]
        return row
    Writer(db_session)._assign(es, row, body, "", creating=False)
    for key, attr, target in (
        ("Thing", "thing_id", "Things"),
        ("Sensor", "sensor_id", "Sensors"),
        ("ObservedProperty", "observed_property_id", "ObservedProperties"),
    ):
        if key in body and hasattr(row, attr):
            linked = Writer(db_session).link(ENTITY_SETS[target], body[key], key)
            if linked is None:
                raise ValidationFailed(f'{key}: give a link {{"@iot.id": n}}.', field=key)
            setattr(row, attr, linked)
    return row
