"""Reading entity sets with the SensorThings query options.

`$filter` and `$orderby` compile to SQL; `$top`/`$skip` page in SQL (one extra row tells
whether an `@iot.nextLink` is due); `$count` is a separate COUNT over the filtered set;
`$expand` runs one nested query per expanded navigation property of each entity, with the
item's own options; `$select` trims what is written out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from citybase.sensing.odata.compile import Compiler
from citybase.sensing.odata.parser import QueryError, parse_expand, parse_filter, parse_orderby
from citybase.sensing.odata.parser import parse_select as _parse_select
from citybase.sensing.sta.entities import ENTITY_SETS, EntitySet, related

DEFAULT_TOP = 100
MAX_TOP = 10_000
KNOWN = {"$filter", "$expand", "$select", "$orderby", "$top", "$skip", "$count", "$resultFormat"}


def _int_option(options: dict[str, str], name: str, default: int) -> int:
    raw = options.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"{name} must be a whole number, got {raw!r}.", field=name) from None
    if value < 0:
        raise QueryError(f"{name} must not be negative.", field=name)
    return value


def _count_option(options: dict[str, str]) -> bool:
    raw = options.get("$count", "false").lower()
    if raw not in ("true", "false"):
        raise QueryError("$count must be true or false.", field="$count")
    return raw == "true"


class Reader:
    def __init__(self, db_session: Session, base_url: str) -> None:
        self.db = db_session
        self.base = base_url.rstrip("/")
        self.dialect = db_session.get_bind().dialect.name

    def self_link(self, es: EntitySet, ident: int) -> str:
        return f"{self.base}/{es.name}({ident})"

    def check_options(self, options: dict[str, str]) -> None:
        for key in options:
            if key.startswith("$") and key not in KNOWN:
                raise QueryError(f"unknown query option {key}.", field=key)

    def collection(
        self,
        es: EntitySet,
        conditions: list[ColumnElement[bool]],
        options: dict[str, str],
        url: str | None,
    ) -> dict[str, Any]:
        """One page of an entity set; ``url`` (the request's path) makes the nextLink."""
        compiler = Compiler(es, self.dialect)
        where = list(conditions)
        if "$filter" in options:
            where.append(compiler.compile(parse_filter(options["$filter"])))
        top = min(_int_option(options, "$top", DEFAULT_TOP), MAX_TOP)
        skip = _int_option(options, "$skip", 0)
        stmt = select(es.model).where(*where)
        order = Compiler(es, self.dialect, "$orderby")
        for expr, desc in parse_orderby(options.get("$orderby", "")):
            col = order.compile(expr)
            stmt = stmt.order_by(col.desc() if desc else col.asc())
        stmt = stmt.order_by(es.id_column.asc()).offset(skip).limit(top + 1)
        rows = list(self.db.scalars(stmt))
        out: dict[str, Any] = {}
        if _count_option(options):
            out["@iot.count"] = self.db.scalar(
                select(func.count()).select_from(es.model).where(*where)
            )
        more = len(rows) > top
        rows = rows[:top]
        out["value"] = self.render_many(es, rows, options)
        if more and url is not None:
            nxt = dict(options)
            nxt["$top"] = str(top)
            nxt["$skip"] = str(skip + top)
            query = "&".join(f"{k}={quote(v, safe='')}" for k, v in nxt.items())
            out["@iot.nextLink"] = f"{url}?{query}"
        return out

    def render_many(
        self, es: EntitySet, rows: list[Any], options: dict[str, str]
    ) -> list[dict[str, Any]]:
        select_names = _parse_select(options["$select"]) if "$select" in options else None
        expands = parse_expand(options["$expand"]) if "$expand" in options else []
        for item in expands:
            if item.name not in es.navs:
                known = ", ".join(es.navs)
                raise QueryError(
                    f"$expand: {es.singular} has no navigation property {item.name!r} "
                    f"(known: {known}).",
                    field="$expand",
                )
        return [self.render(es, row, select_names, expands) for row in rows]

    def render(
        self,
        es: EntitySet,
        row: Any,
        select_names: list[str] | None = None,
        expands: list[Any] | None = None,
    ) -> dict[str, Any]:
        link = self.self_link(es, row.id)
        doc: dict[str, Any] = {"@iot.id": row.id, "@iot.selfLink": link}
        for name, prop in es.props.items():
            doc[name] = prop.get(row)
        for name in es.navs:
            doc[f"{name}@iot.navigationLink"] = f"{link}/{name}"
        if select_names is not None:
            for name in select_names:
                if name not in doc and name not in ("id",) and name not in es.navs:
                    raise QueryError(
                        f"$select: {es.singular} has no property {name!r}.", field="$select"
                    )
            keep = set(select_names)
            if "id" in keep:
                keep.add("@iot.id")
            doc = {
                k: v
                for k, v in doc.items()
                if k in keep or (k.split("@")[0] in keep and "@iot.navigationLink" in k)
            }
        for item in expands or []:
            nav = es.navs[item.name]
            target = ENTITY_SETS[nav.target]
            cond = related(nav, es, row.id)
            if nav.many:
                page = self.collection(target, [cond], item.options, None)
                doc[item.name] = page["value"]
                if "@iot.count" in page:
                    doc[f"{item.name}@iot.count"] = page["@iot.count"]
                if len(page["value"]) == min(
                    _int_option(item.options, "$top", DEFAULT_TOP), MAX_TOP
                ):
                    doc[f"{item.name}@iot.nextLink"] = (
                        f"{link}/{item.name}?$skip={len(page['value'])}"
                    )
            else:
                found = self.db.scalars(select(target.model).where(cond)).first()
                if found is not None:
                    sub_select = (
                        _parse_select(item.options["$select"])
                        if "$select" in item.options
                        else None
                    )
                    sub_expand = (
                        parse_expand(item.options["$expand"]) if "$expand" in item.options else []
                    )
                    doc[item.name] = self.render(target, found, sub_select, sub_expand)
        return doc
