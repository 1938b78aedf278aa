"""Compile a parsed `$filter`/`$orderby` expression into a SQLAlchemy expression.

Times are epoch milliseconds in the tables, so a date/time literal becomes an integer and
`year(phenomenonTime)` becomes a dialect-specific extraction. Geospatial functions work on
points (stored as lon/lat): `geo.intersects`/`st_within` with a polygon compile to a
ray-casting test in plain SQL, `geo.distance` to the Euclidean distance in degrees.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from itertools import pairwise
from typing import Any

from shapely import wkt
from shapely.errors import ShapelyError
from shapely.geometry import Point, Polygon
from sqlalchemy import (
    JSON,
    Float,
    Integer,
    and_,
    case,
    cast,
    extract,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    type_coerce,
)

from citybase.sensing.models import Observation
from citybase.sensing.odata.parser import Bin, Call, Lit, Node, Path, QueryError, Unary
from citybase.sensing.sta.entities import ENTITY_SETS, EntitySet, Prop

Expr = Any  # SQLAlchemy column expressions (columns, subqueries, literals)
COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
PARTS = {
    "year": ("%Y", "year"),
    "month": ("%m", "month"),
    "day": ("%d", "day"),
    "hour": ("%H", "hour"),
    "minute": ("%M", "minute"),
    "second": ("%S", "second"),
}


def _ms(value: dt.datetime) -> int:
    return int(value.timestamp() * 1000)


class Compiler:
    def __init__(self, es: EntitySet, dialect: str, option: str = "$filter") -> None:
        self.es = es
        self.dialect = dialect
        self.option = option

    def fail(self, what: str) -> QueryError:
        return QueryError(f"{self.option}: {what}", field=self.option)

    # --- paths -------------------------------------------------------------------------
    def _prop(self, path: Path) -> tuple[Expr, Prop | None]:
        """The column (or to-one subquery) a property path names, and its Prop."""
        es, parts = self.es, list(path.parts)
        chain: list[tuple[EntitySet, str]] = []
        while len(parts) > 1 and parts[0] in es.navs:
            nav = es.navs[parts[0]]
            if nav.many:
                raise self.fail(
                    f"{'/'.join(path.parts)}: {nav.name} is a collection; filter through "
                    "single-valued navigation properties only (e.g. Datastream/Thing/name)."
                )
            assert nav.fk is not None
            chain.append((es, nav.fk))
            es = ENTITY_SETS[nav.target]
            parts.pop(0)
        name = parts[0]
        prop: Prop | None = None
        col: Expr
        if name in ("id", "@iot.id"):
            col = es.id_column
        elif name in es.props and es.props[name].column is not None:
            prop = es.props[name]
            assert prop.column is not None
            col = prop.column
            if len(parts) > 1 and prop.kind == "json":
                col = self._json_member(col, parts[1:])
                prop = None
        else:
            known = ", ".join(["id", *es.props, *es.navs])
            raise self.fail(
                f"{'/'.join(path.parts)}: {es.singular} has no property {name!r} (known: {known})."
            )
        # walk back up the chain as correlated scalar subqueries
        target_col: Expr = col
        for src, fk in reversed(chain):
            holder = ENTITY_SETS[next(n.target for n in src.navs.values() if n.fk == fk)]
            target_col = (
                select(target_col)
                .where(holder.id_column == getattr(src.model, fk))
                .scalar_subquery()
            )
        return target_col, prop

    def _json_member(self, col: Expr, keys: list[str]) -> Expr:
        if self.dialect == "sqlite":
            return func.json_extract(col, "$." + ".".join(keys))
        node: Any = cast(col, JSON)
        for key in keys[:-1]:
            node = node[key]
        return node[keys[-1]].as_string()  # type: ignore[no-any-return]

    # --- expressions -------------------------------------------------------------------
    def compile(self, node: Node) -> Expr:
        expr, _ = self._compile(node)
        return expr

    def _compile(self, node: Node) -> tuple[Expr, Prop | None]:
        if isinstance(node, Lit):
            return self._literal(node), None
        if isinstance(node, Path):
            return self._prop(node)
        if isinstance(node, Unary):
            inner = self.compile(node.operand)
            return (not_(inner) if node.op == "not" else -inner), None
        if isinstance(node, Bin):
            return self._binary(node), None
        return self._call(node), None

    def _literal(self, node: Lit) -> Expr:
        if node.kind == "datetime":
            assert isinstance(node.value, dt.datetime)
            return literal(_ms(node.value))
        if node.kind == "null":
            return null()
        if node.kind == "bool":
            return true() if node.value else false()
        if node.kind == "geography":
            raise self.fail("a geography literal can only be an argument of a geo function")
        return literal(node.value)

    def _binary(self, node: Bin) -> Expr:
        if node.op in ("and", "or"):
            left, right = self.compile(node.left), self.compile(node.right)
            return and_(left, right) if node.op == "and" else or_(left, right)
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op in COMPARE:
            if self._textual_result(node.left, node.right):
                left, right = Observation.result_json, self._json_literal(node.right)
            elif self._textual_result(node.right, node.left):
                left, right = self._json_literal(node.left), Observation.result_json
            ops = {
                "eq": left == right,
                "ne": left != right,
                "gt": left > right,
                "ge": left >= right,
                "lt": left < right,
                "le": left <= right,
            }
            if node.op == "eq" and isinstance(node.right, Lit) and node.right.kind == "null":
                return left.is_(None)
            if node.op == "ne" and isinstance(node.right, Lit) and node.right.kind == "null":
                return left.is_not(None)
            return ops[node.op]
        if node.op == "add":
            return left + right
        if node.op == "sub":
            return left - right
        if node.op == "mul":
            return left * right
        if node.op == "div":
            return cast(left, Float) / right
        return left % right

    def _textual_result(self, node: Node, other: Node) -> bool:
        """`result eq 'open'` compares the JSON-encoded result; numbers the numeric one."""
        return (
            self.es.name == "Observations"
            and isinstance(node, Path)
            and node.parts == ("result",)
            and isinstance(other, Lit)
            and other.kind in ("string", "bool")
        )

    @staticmethod
    def _json_literal(node: Node) -> Expr:
        assert isinstance(node, Lit)
        return literal(json.dumps(node.value, ensure_ascii=False))

    def _args(self, node: Call, n: int | tuple[int, ...]) -> list[Expr]:
        counts = (n,) if isinstance(n, int) else n
        if len(node.args) not in counts:
            raise self.fail(
                f"{node.name}() takes {' or '.join(map(str, counts))} argument(s), "
                f"got {len(node.args)}."
            )
        return [self.compile(a) for a in node.args if not _is_geo(a)]

    def _call(self, node: Call) -> Expr:
        name = node.name
        if name in (
            "geo.intersects",
            "st_intersects",
            "st_within",
            "st_contains",
            "st_disjoint",
            "st_equals",
            "geo.distance",
            "st_distance",
        ):
            return self._geo(node)
        if name in ("substringof", "contains", "startswith", "endswith"):
            a, b = self._args(node, 2)
            if name == "substringof":
                a, b = b, a
            pattern = {
                "contains": "%{}%",
                "substringof": "%{}%",
                "startswith": "{}%",
                "endswith": "%{}",
            }[name]
            lit = node.args[0 if name == "substringof" else 1]
            if isinstance(lit, Lit) and isinstance(lit.value, str):
                esc = lit.value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                return a.like(pattern.format(esc), escape="\\")
            return a.like(func.replace(pattern.format("X"), "X", b))
        if name == "length":
            return func.length(*self._args(node, 1))
        if name == "tolower":
            return func.lower(*self._args(node, 1))
        if name == "toupper":
            return func.upper(*self._args(node, 1))
        if name == "trim":
            return func.trim(*self._args(node, 1))
        if name == "concat":
            a, b = self._args(node, 2)
            return a.concat(b)
        if name == "indexof":
            a, b = self._args(node, 2)
            pos = func.instr(a, b) if self.dialect == "sqlite" else func.strpos(a, b)
            return pos - 1
        if name == "substring":
            args = self._args(node, (2, 3))
            start = args[1] + 1
            return func.substr(args[0], start, *args[2:])
        if name in ("round", "floor", "ceiling"):
            (a,) = self._args(node, 1)
            if name == "round":
                return cast(func.round(a), Float)
            if self.dialect == "sqlite":
                f = func.floor if name == "floor" else func.ceil
                return cast(f(a), Float)
            return func.floor(a) if name == "floor" else func.ceiling(a)
        if name in PARTS:
            (a,) = self._args(node, 1)
            fmt, field = PARTS[name]
            if self.dialect == "sqlite":
                return cast(func.strftime(fmt, a / 1000, "unixepoch"), Integer)
            return cast(
                extract(field, func.timezone("UTC", func.to_timestamp(a / 1000.0))), Integer
            )
        if name == "now":
            self._args(node, 0)
            return literal(int(time.time() * 1000))
        if name == "mindatetime" or name == "maxdatetime":
            return (func.min if name == "mindatetime" else func.max)(*self._args(node, 1))
        raise self.fail(f"unknown function {name}().")

    def _geo(self, node: Call) -> Expr:
        if len(node.args) != 2:
            raise self.fail(f"{node.name}() takes 2 arguments, got {len(node.args)}.")
        shapes = [a for a in node.args if _is_geo(a)]
        paths = [a for a in node.args if isinstance(a, Path)]
        if len(shapes) != 1 or len(paths) != 1:
            raise self.fail(
                f"{node.name}() needs one geometry property and one geography'…' literal."
            )
        lit = shapes[0]
        assert isinstance(lit, Lit)
        try:
            shape = wkt.loads(str(lit.value))
        except (ShapelyError, ValueError):
            raise self.fail(f"{node.name}(): {lit.value!r} is not valid WKT.") from None
        lon, lat = self._point_columns(paths[0])
        if node.name in ("geo.distance", "st_distance"):
            if not isinstance(shape, Point):
                raise self.fail(f"{node.name}() supports a POINT literal only.")
            return func.sqrt((lon - shape.x) * (lon - shape.x) + (lat - shape.y) * (lat - shape.y))
        if isinstance(shape, Point):
            inside: Expr = and_(lon == shape.x, lat == shape.y)
        elif isinstance(shape, Polygon):
            inside = _point_in_polygon(lon, lat, shape)
        else:
            raise self.fail(f"{node.name}() supports POINT and POLYGON literals.")
        return not_(inside) if node.name == "st_disjoint" else inside

    def _point_columns(self, path: Path) -> tuple[Expr, Expr]:
        col, prop = self._prop(path)
        if prop is None or prop.kind != "geo":
            raise self.fail(f"{'/'.join(path.parts)} is not a geometry property.")
        model = ENTITY_SETS["Locations" if prop.name == "location" else "FeaturesOfInterest"].model
        lon, lat = model.lon, model.lat
        if col is prop.column:
            return lon, lat
        # reached through to-one navigation: re-target the same subquery at lon/lat
        return self._nav_column(path, lon), self._nav_column(path, lat)

    def _nav_column(self, path: Path, column: Any) -> Expr:
        es, chain = self.es, []
        for part in path.parts[:-1]:
            nav = es.navs[part]
            assert nav.fk is not None
            chain.append((es, nav))
            es = ENTITY_SETS[nav.target]
        out: Expr = column
        for src, nav in reversed(chain):
            target = ENTITY_SETS[nav.target]
            assert nav.fk is not None
            out = (
                select(out).where(target.id_column == getattr(src.model, nav.fk)).scalar_subquery()
            )
        return out


def _is_geo(node: Node) -> bool:
    return isinstance(node, Lit) and node.kind == "geography"


def _point_in_polygon(lon: Expr, lat: Expr, poly: Polygon) -> Expr:
    """Ray casting in SQL: the number of polygon edges a ray from the point crosses is odd."""
    xs = list(poly.exterior.coords)
    crossings: list[Expr] = []
    for (x1, y1), (x2, y2) in pairwise(xs):
        if y1 == y2:
            continue
        crosses = and_(
            (lat > y1) != (lat > y2),
            lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1,
        )
        crossings.append(case((crosses, 1), else_=0))
    if not crossings:
        return false()
    total: Expr = crossings[0]
    for c in crossings[1:]:
        total = total + c
    minx, miny, maxx, maxy = poly.bounds
    return and_(
        lon.between(minx, maxx), lat.between(miny, maxy), type_coerce(total, Integer) % 2 == 1
    )
