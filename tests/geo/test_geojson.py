"""Property tests for the GeoJSON checker: it never crashes, and it names the bad feature."""

from __future__ import annotations

import copy
import json
from typing import Any

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from citybase.geo import geojson
from citybase.geo.enums import Level
from tests.geo.cities import collection, feature

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["type", "features", "properties", "geometry", "coordinates", "code"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=30,
)

codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,20}", fullmatch=True)


@st.composite
def boxes(draw: st.DrawFn) -> shapely.Polygon:
    lon = draw(st.floats(-179.0, 178.0))
    lat = draw(st.floats(-89.0, 88.0))
    w = draw(st.floats(1e-5, 1.0))
    h = draw(st.floats(1e-5, 1.0))
    return box(lon, lat, lon + w, lat + h)


@st.composite
def districts(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(codes, min_size=1, max_size=6, unique=True))
    return collection([feature(code, draw(boxes()), "district") for code in names])


@settings(max_examples=300)
@given(json_values)
def test_anything_is_checked_without_crashing(value: Any) -> None:
    features, problems = geojson.parse_features(value)
    assert problems or features
    for p in problems:
        assert str(p)  # every problem has a message


@settings(max_examples=300)
@given(st.lists(json_values, min_size=1, max_size=5))
def test_any_feature_list_is_checked_feature_by_feature(items: list[Any]) -> None:
    features, problems = geojson.parse_features({"type": "FeatureCollection", "features": items})
    assert len(features) + len(problems) == len(items)
    for p in problems:
        assert p.index is not None and 0 <= p.index < len(items)
        assert str(p).startswith(f"features[{p.index}]")


@given(districts())
def test_valid_polygons_are_accepted_and_kept_exactly(fc: dict[str, Any]) -> None:
    features, problems = geojson.parse_features(json.loads(json.dumps(fc)))
    assert problems == []
    for f, raw in zip(features, fc["features"], strict=True):
        assert f.code == raw["properties"]["code"] and f.level is Level.district
        stored = json.loads(f.geometry_json)
        assert shapely.equals_exact(shapely.from_geojson(f.geometry_json), f.shape, 0)
        assert stored["coordinates"] == raw["geometry"]["coordinates"]


@given(districts(), st.data())
def test_an_open_ring_is_named_by_index_and_code(fc: dict[str, Any], data: st.DataObject) -> None:
    bad = copy.deepcopy(fc)
    i = data.draw(st.integers(0, len(bad["features"]) - 1))
    bad["features"][i]["geometry"]["coordinates"][0].pop()
    features, problems = geojson.parse_features(bad)
    assert len(problems) == 1
    code = bad["features"][i]["properties"]["code"]
    assert str(problems[0]).startswith(f"features[{i}] (code '{code}')")
    assert "does not close" in problems[0].message
    assert len(features) == len(fc["features"]) - 1


@given(st.text(max_size=80))
def test_codes_follow_one_rule(code: str) -> None:
    fc = collection([feature("x", box(0, 0, 1, 1), "district")])
    fc["features"][0]["properties"]["code"] = code
    features, problems = geojson.parse_features(fc)
    stripped = code.strip()
    if not stripped:
        assert "has no 'code'" in problems[0].message
    elif geojson.CODE_PATTERN.match(stripped):
        assert problems == [] and features[0].code == stripped
    else:
        assert "code must be" in problems[0].message


@given(districts())
def test_hierarchy_check_needs_known_parents(fc: dict[str, Any]) -> None:
    features, _ = geojson.parse_features(fc)
    streets, _ = geojson.parse_features(
        collection(
            [feature(f"{f.code}-S", box(0, 0, 1, 1), "street", parent=f.code) for f in features]
        )
    )
    # Parents in the same import, or already stored: fine. Neither: one problem each.
    assert geojson.check_hierarchy(features + streets, {}) == []
    assert geojson.check_hierarchy(streets, {f.code: "district" for f in features}) == []
    problems = geojson.check_hierarchy(streets, {})
    assert [p.index for p in problems] == [s.index for s in streets]
    assert all("is unknown" in p.message for p in problems)
