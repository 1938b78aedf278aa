"""Resolving a SensorThings resource path: ``Things(1)/Datastreams``, ``Datastreams(3)/name``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from citybase.errors import NotFound
from citybase.sensing.sta.entities import ENTITY_SETS, EntitySet, related

SEGMENT = re.compile(r"^([A-Za-z]+)(?:\((\d+)\))?$")


@dataclass
class Resource:
    es: EntitySet
    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    ident: int | None = None  # a single entity
    single: bool = False  # a to-one navigation (e.g. Datastreams(1)/Thing)
    parent: dict[str, int] = field(default_factory=dict)  # links implied for a POST
    prop: str | None = None  # Things(1)/name
    raw_value: bool = False  # .../name/$value
    extension: str | None = None  # Datastreams(1)/Rollups

    def row(self, db_session: Session) -> Any:
        stmt = select(self.es.model).where(*self.conditions)
        if self.ident is not None:
            stmt = stmt.where(self.es.id_column == self.ident)
        found = db_session.scalars(stmt.limit(1)).first()
        if found is None:
            what = f"{self.es.singular} {self.ident}" if self.ident else self.es.singular
            raise NotFound(f"{what} does not exist.", field="@iot.id")
        return found


def resolve(db_session: Session, path: str) -> Resource:
    segments = [s for s in path.split("/") if s]
    if not segments:
        raise NotFound("Name an entity set, e.g. /sta/v1.1/Things.")
    res: Resource | None = None
    for seg in segments:
        if res is not None and res.prop is not None:
            if seg == "$value" and not res.raw_value:
                res.raw_value = True
                continue
            raise NotFound(f"Nothing under {res.prop!r}: only $value.")
        m = SEGMENT.match(seg)
        if m is None:
            raise NotFound(f"{seg!r} is not an entity set, entity or property.")
        name, ident_s = m.group(1), m.group(2)
        ident = int(ident_s) if ident_s is not None else None
        if res is None:
            if name not in ENTITY_SETS:
                raise NotFound(
                    f"{name!r} is not an entity set (known: {', '.join(ENTITY_SETS)}).",
                    field="path",
                )
            res = Resource(ENTITY_SETS[name], ident=ident)
            if ident is not None:
                res.row(db_session)
            continue
        if res.ident is None and not res.single:
            raise NotFound(f"Pick one {res.es.singular} before {name!r}, e.g. {res.es.name}(1).")
        if name in res.es.navs:
            nav = res.es.navs[name]
            source_id = res.ident if res.ident is not None else res.row(db_session).id
            target = ENTITY_SETS[nav.target]
            new = Resource(target, [related(nav, res.es, source_id)], single=not nav.many)
            if nav.many:
                new.parent = {res.es.singular: source_id}
            if ident is not None:
                if not nav.many:
                    raise NotFound(f"{name} is a single entity: drop the ({ident}).")
                new.ident = ident
                new.row(db_session)
            res = new
            continue
        if ident is None and (name in res.es.props or name == "id"):
            res.row(db_session)
            res.prop = name
            continue
        if name == "Rollups" and res.es.name == "Datastreams":
            res.extension = "Rollups"
            continue
        raise NotFound(f"{res.es.singular} has no property or navigation {name!r}.")
    assert res is not None
    return res
