"""Layouts as data: every mistake a city can make in a layout file is a start-up error that
names the file, the placement and the fix; fallbacks, optional places and filling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import sessionmaker

from citybase.app import create_app
from citybase.dashboard.layouts import build_layout
from citybase.dashboard.service import layouts
from citybase.dashboard.widgets import EventMatch, all_widgets, check_widget
from citybase.errors import ConfigurationError
from citybase.hookspecs import DashboardWidget, hookimpl
from citybase.plugins import get_plugin_manager
from citybase.settings import Settings
from tests.dashboard.helpers import ParkingPlugin, write_layouts


def _w(key: str, kind: str = "number") -> DashboardWidget:
    return DashboardWidget(
        key=key, title_zh=key, title_en=key, kind=kind, data=lambda s, scope: {"value": 1}
    )


INSTALLED = {
    w.key: w
    for w in [
        _w("a.one"),
        _w("a.two"),
        _w("a.three"),
        _w("g.map", "map"),
        _w("g.layer", "map_layer"),
    ]
}


def _layout(*placements: str, columns: int = 6, rows: int = 4) -> Any:
    text = f"key: t\ntitle_zh: 测试\ntitle_en: Test\ncolumns: {columns}\nrows: {rows}\nwidgets:\n"
    text += "".join(f"  - {p}\n" for p in placements)
    return yaml.safe_load(text)


def _fails(raw: Any, *words: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        build_layout(raw, "/city/t.yaml", INSTALLED)
    for word in ("/city/t.yaml", *words):
        assert word in info.value.message, info.value.message


def test_an_unknown_widget_key_names_the_file_the_placement_and_the_fix() -> None:
    _fails(
        _layout(
            "{widget: a.one, x: 0, y: 0, w: 1, h: 1}",
            "{widget: ops.cases_opn, x: 1, y: 0, w: 1, h: 1}",
        ),
        "widgets[1]",
        "'ops.cases_opn'",
        "Installed: a.one",
        "optional: true",
    )


def test_bad_geometry_and_kinds_are_refused() -> None:
    _fails(_layout("{widget: a.one, x: 5, y: 0, w: 2, h: 1}"), "does not fit the 6×4 grid")
    _fails(
        _layout(
            "{widget: a.one, x: 0, y: 0, w: 2, h: 2}", "{widget: a.two, x: 1, y: 1, w: 2, h: 2}"
        ),
        "overlaps a.one at column 1, row 1",
    )
    _fails(_layout("{widget: g.layer, x: 0, y: 0, w: 1, h: 1}"), "goes in a map's 'layers'")
    _fails(_layout("{widget: g.map, x: 0, y: 0, w: 2, h: 2, layers: [a.one]}"), "not a map_layer")
    _fails(
        _layout("{widget: a.one, x: 0, y: 0, w: 1, h: 1, layers: [g.layer]}"),
        "only a map widget takes layers",
    )
    _fails(_layout("{widget: a.one, x: 0, y: 0, w: 0, h: 1}"), "widgets.0.w")
    _fails(_layout("{widget: a.one, x: 0, y: 0, w: 1, h: 1, colour: red}"), "colour")
    _fails({"key": "Bad Key", "title_zh": "x", "title_en": "x", "widgets": []}, "key")


def test_fallbacks_optional_places_and_filling() -> None:
    lay = build_layout(
        _layout(
            "{widget: [ops.intake_today, a.one], x: 0, y: 0, w: 2, h: 2}",
            "{widget: [ops.cases_open, a.one, a.two], x: 2, y: 0, w: 2, h: 2}",  # a.one is taken
            "{widget: sensing.alarms, x: 4, y: 0, w: 2, h: 2, optional: true}",
            "{widget: a.three, x: 4, y: 2, w: 2, h: 2, fill: up}",
            "{widget: g.map, x: 0, y: 2, w: 4, h: 2, layers: [g.layer, ops.case_points]}",
        ),
        "t.yaml",
        INSTALLED,
    )
    got = {p.widget.key: (p.x, p.y, p.w, p.h) for p in lay.placements}
    assert got == {
        "a.one": (0, 0, 2, 2),
        "a.two": (2, 0, 2, 2),
        "a.three": (4, 0, 2, 4),
        "g.map": (0, 2, 4, 2),
    }
    assert [w.key for w in lay.placements[-1].layers] == ["g.layer"]  # absent layers skipped
    assert {w.key for w in lay.widgets()} == {"a.one", "a.two", "a.three", "g.map", "g.layer"}
    _fails(
        _layout(
            "{widget: a.one, x: 0, y: 0, w: 1, h: 1}", "{widget: [a.one], x: 1, y: 0, w: 1, h: 1}"
        ),
        "already shown",
    )


def test_the_shipped_layouts_load_with_the_built_in_widgets() -> None:
    found = layouts(Settings())
    assert list(found)[:2] == ["city", "department"]
    city = found["city"]
    cells = sum(p.w * p.h for p in city.placements)
    assert cells == city.columns * city.rows  # no hole on the wall
    assert "geo.city_map" in {p.widget.key for p in city.placements}


def test_refresh_rules_and_widget_declarations_are_checked() -> None:
    assert EventMatch.parse(
        "workflow.Transitioned:workflow=sharing_request,to_state=granted", "x.y"
    ).as_json() == {
        "type": "workflow.Transitioned",
        "where": {"workflow": "sharing_request", "to_state": "granted"},
    }
    for bad in ("Transitioned", "a.B:field"):
        with pytest.raises(ConfigurationError, match="refresh_on"):
            EventMatch.parse(bad, "x.y")
    with pytest.raises(ConfigurationError, match="kind 'pie' is unknown"):
        check_widget(_w("a.pie", "pie"))
    with pytest.raises(ConfigurationError, match=r"'<domain>\.<name>'"):
        check_widget(_w("no key/here"))
    with pytest.raises(ConfigurationError, match="data"):
        check_widget(DashboardWidget(key="a.none", title_zh="x", title_en="x"))


class Twice:
    @hookimpl
    def citybase_dashboard_widgets(self) -> list[DashboardWidget]:
        return [_w("datahub.datasets")]


def test_two_plug_ins_offering_one_key_is_an_error() -> None:
    pm = get_plugin_manager()
    pm.register(Twice(), name="tests.twice")
    try:
        with pytest.raises(ConfigurationError, match="offered by two plug-ins"):
            all_widgets()
    finally:
        pm.unregister(name="tests.twice")


def test_a_bad_city_layout_stops_the_start_up(
    settings: Settings, tmp_path: Path, parking: ParkingPlugin, session_factory: sessionmaker[Any]
) -> None:
    folder = write_layouts(
        tmp_path / "bad",
        wall="""
key: wall
title_zh: 大屏
title_en: Wall
widgets:
  - {widget: parking.spaces_takn, x: 0, y: 0, w: 2, h: 2}
""",
    )
    bad = settings.model_copy(update={"dashboard_layout_dir": folder})
    with pytest.raises(ConfigurationError) as info:
        create_app(bad, session_factory=session_factory)
    assert "wall.yaml" in info.value.message and "parking.spaces_takn" in info.value.message
    assert "parking.spaces_taken" in info.value.message  # the installed keys are listed
    missing = settings.model_copy(update={"dashboard_layout_dir": tmp_path / "nowhere"})
    with pytest.raises(ConfigurationError, match="not a directory"):
        create_app(missing, session_factory=session_factory)


def test_the_hooks_original_form_is_shown_as_figures() -> None:
    """As the services domain wrote it before the contract grew: no dot in the key, no kind,
    ``render(session)`` returning named figures."""
    from citybase.dashboard.widgets import check_data, run_widget

    old = DashboardWidget(
        key="services-today",
        title_zh="今日政务服务",
        title_en="Services today",
        render=lambda session: {"date": "2026-12-08", "applications": 12, "instant_share": 0.4},
        order=30,
    )
    check_widget(old)
    assert old.shown_as == "figures"
    got = run_widget(old, None, None)  # type: ignore[arg-type]
    assert got["data"]["applications"] == 12 and check_data(old, got["data"]) is None
    lay = build_layout(
        _layout("{widget: services-today, x: 0, y: 0, w: 2, h: 2}"),
        "t.yaml",
        {**INSTALLED, old.key: old},
    )
    assert lay.placements[0].widget is old
