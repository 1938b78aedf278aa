"""Layouts as data: which widgets a screen shows and where, on a grid designed for 1920×1080.

A layout is a YAML file ``<key>.yaml`` (shipped in ``data/layouts/``; a city adds or replaces
them in ``CITYBASE_DASHBOARD_LAYOUT_DIR``). Loading checks every placement against the
installed widgets: an unknown key is an error naming the file and the placement, unless the
placement lists fallbacks (``widget: [ops.cases_open, sharing.pending]`` — the first
installed one is shown) or says ``optional: true`` (skipped while its domain is absent).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from citybase.errors import ConfigurationError
from citybase.hookspecs import DashboardWidget
from citybase.settings import Settings

SHIPPED = Path(__file__).parent / "data" / "layouts"
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class PlacementSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    widget: str | list[str]
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    w: int = Field(ge=1)
    h: int = Field(ge=1)
    optional: bool = False
    layers: list[str] = Field(default_factory=list)  # map_layer widgets drawn on a map
    fill: Literal["up", "down", "left", "right"] | None = None  # grow into cells left empty

    @field_validator("widget")
    @classmethod
    def _not_empty(cls, v: str | list[str]) -> str | list[str]:
        if not v:
            raise ValueError("name at least one widget key")
        return v


class LayoutSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    title_zh: str
    title_en: str
    department: str | None = None  # a department's own screen
    area: str | None = None  # a district's (or street's) screen
    columns: int = Field(24, ge=1, le=96)
    rows: int = Field(12, ge=1, le=96)
    carousel_seconds: int = Field(30, ge=5, le=3600)
    order: int = 100
    widgets: list[PlacementSpec]


@dataclass(frozen=True)
class Placement:
    widget: DashboardWidget
    x: int
    y: int
    w: int
    h: int
    layers: tuple[DashboardWidget, ...] = ()


@dataclass(frozen=True)
class Layout:
    key: str
    title_zh: str
    title_en: str
    department: str | None
    area: str | None
    columns: int
    rows: int
    carousel_seconds: int
    order: int
    placements: tuple[Placement, ...]
    source: str

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_zh

    def widgets(self) -> list[DashboardWidget]:
        """Every widget the layout shows, map layers included, each once."""
        seen: dict[str, DashboardWidget] = {}
        for p in self.placements:
            for w in (p.widget, *p.layers):
                seen.setdefault(w.key, w)
        return list(seen.values())


def _error(source: str, where: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"{source}: {where}: {message}", field="dashboard_layout_dir")


def _resolve(
    keys: list[str], installed: dict[str, DashboardWidget], placed: set[str]
) -> DashboardWidget | None:
    """The first installed widget of ``keys`` that no earlier placement shows."""
    for key in keys:
        if key in installed and key not in placed:
            return installed[key]
    return None


def build_layout(raw: Any, source: str, installed: dict[str, DashboardWidget]) -> Layout:
    """Check one parsed layout file against the installed widgets."""
    try:
        spec = LayoutSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise _error(source, loc, first["msg"]) from exc
    if not KEY.match(spec.key):
        raise _error(source, "key", f"{spec.key!r}: use lower-case letters, digits, - and _.")
    placements: list[Placement] = []
    taken: dict[tuple[int, int], str] = {}
    placed: set[str] = set()
    fills: list[str | None] = []
    for i, p in enumerate(spec.widgets):
        keys = [p.widget] if isinstance(p.widget, str) else list(p.widget)
        where = f"widgets[{i}] ({', '.join(keys)})"
        widget = _resolve(keys, installed, placed)
        if widget is None:
            if p.optional:
                continue
            if any(k in installed for k in keys):
                raise _error(
                    source,
                    where,
                    "every widget named is already shown by an earlier "
                    "placement; add another key or 'optional: true'.",
                )
            known = ", ".join(sorted(installed)) or "(none)"
            raise _error(
                source,
                where,
                f"no installed widget has the key {' or '.join(map(repr, keys))}. Installed: "
                f"{known}. Fix the key, or add 'optional: true' for a domain not installed.",
            )
        placed.add(widget.key)
        if widget.kind == "map_layer":
            raise _error(source, where, "a map_layer widget goes in a map's 'layers' list.")
        if p.x + p.w > spec.columns or p.y + p.h > spec.rows:
            raise _error(
                source,
                where,
                f"does not fit the {spec.columns}×{spec.rows} grid "
                f"(x+w={p.x + p.w}, y+h={p.y + p.h}).",
            )
        for cx in range(p.x, p.x + p.w):
            for cy in range(p.y, p.y + p.h):
                if (cx, cy) in taken:
                    raise _error(
                        source, where, f"overlaps {taken[cx, cy]} at column {cx}, row {cy}."
                    )
                taken[cx, cy] = widget.key
        layers: list[DashboardWidget] = []
        for name in p.layers:
            layer = installed.get(name)
            if layer is None:
                continue  # a layer whose domain is absent is simply not drawn
            if layer.kind != "map_layer":
                raise _error(source, where, f"layer {name!r} is a {layer.kind}, not a map_layer.")
            layers.append(layer)
        if layers and widget.kind != "map":
            raise _error(source, where, "only a map widget takes layers.")
        placements.append(Placement(widget, p.x, p.y, p.w, p.h, tuple(layers)))
        fills.append(p.fill)
    placements = [
        _grow(pl, way, taken, spec.columns, spec.rows) if way else pl
        for pl, way in zip(placements, fills, strict=True)
    ]
    return Layout(
        key=spec.key,
        title_zh=spec.title_zh,
        title_en=spec.title_en,
        department=spec.department,
        area=spec.area,
        columns=spec.columns,
        rows=spec.rows,
        carousel_seconds=spec.carousel_seconds,
        order=spec.order,
        placements=tuple(placements),
        source=source,
    )


def _grow(
    p: Placement, way: str, taken: dict[tuple[int, int], str], columns: int, rows: int
) -> Placement:
    """Extend ``p`` towards ``way`` over whole rows/columns that no placement took (the
    places of widgets whose domains are not installed), so the screen has no hole."""
    x, y, w, h = p.x, p.y, p.w, p.h

    def free(cells: list[tuple[int, int]]) -> bool:
        return all(c not in taken for c in cells)

    while True:
        if way == "down" and y + h < rows and free([(cx, y + h) for cx in range(x, x + w)]):
            cells, h = [(cx, y + h) for cx in range(x, x + w)], h + 1
        elif way == "up" and y > 0 and free([(cx, y - 1) for cx in range(x, x + w)]):
            cells, y, h = [(cx, y - 1) for cx in range(x, x + w)], y - 1, h + 1
        elif way == "right" and x + w < columns and free([(x + w, cy) for cy in range(y, y + h)]):
            cells, w = [(x + w, cy) for cy in range(y, y + h)], w + 1
        elif way == "left" and x > 0 and free([(x - 1, cy) for cy in range(y, y + h)]):
            cells, x, w = [(x - 1, cy) for cy in range(y, y + h)], x - 1, w + 1
        else:
            break
        for c in cells:
            taken[c] = p.widget.key
    return Placement(p.widget, x, y, w, h, p.layers)


def layout_files(settings: Settings) -> dict[str, Path]:
    """``key → file``: shipped layouts, replaced or joined by the city's directory."""
    files = {p.stem: p for p in sorted(SHIPPED.glob("*.yaml"))}
    if settings.dashboard_layout_dir is not None:
        folder = settings.dashboard_layout_dir
        if not folder.is_dir():
            raise ConfigurationError(
                f"CITYBASE_DASHBOARD_LAYOUT_DIR={folder} is not a directory.",
                field="dashboard_layout_dir",
            )
        files.update({p.stem: p for p in sorted(folder.glob("*.yaml"))})
    return files


_PARSED: dict[tuple[str, int], Any] = {}


def _parse(path: Path) -> Any:
    """The file's YAML, parsed again only when the file changes (every request needs it)."""
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _PARSED:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise _error(str(path), "YAML", str(exc)) from exc
        if len(_PARSED) > 256:
            _PARSED.clear()
        _PARSED[key] = raw
    return copy.deepcopy(_PARSED[key])


def load_layouts(settings: Settings, installed: dict[str, DashboardWidget]) -> dict[str, Layout]:
    out: dict[str, Layout] = {}
    for stem, path in layout_files(settings).items():
        raw = _parse(path)
        layout = build_layout(raw, str(path), installed)
        if layout.key != stem:
            raise _error(str(path), "key", f"{layout.key!r} must equal the file name {stem!r}.")
        out[layout.key] = layout
    return dict(sorted(out.items(), key=lambda kv: (kv[1].order, kv[0])))
