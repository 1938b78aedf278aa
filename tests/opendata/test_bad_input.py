"""Whatever a client sends, the answer is a CKAN envelope with a precise error, never a 500."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.opendata.conftest import OpenCity

PARAMS = {
    "package_search": [
        "q",
        "fq",
        "fq_list",
        "rows",
        "start",
        "sort",
        "facet",
        "facet.field",
        "facet.limit",
        "facet.mincount",
        "include_private",
    ],
    "datastore_search": [
        "resource_id",
        "filters",
        "q",
        "fields",
        "sort",
        "limit",
        "offset",
        "include_total",
        "records_format",
        "distinct",
    ],
    "organization_list": ["all_fields", "sort", "organizations", "limit", "offset", "q"],
    "package_show": ["id"],
}
ERROR_TYPES = {
    400: {"Bad Request", "Search Query Error"},
    403: {"Authorization Error"},
    404: {"Not Found Error"},
    409: {"Validation Error"},
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.text(max_size=20)
    | st.sampled_from(["bus-stops", "区", "*:*", "tags:公交", '{"区": "黄浦区"}', "_id desc"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _check(response: Any) -> None:
    assert response.status_code in (200, *ERROR_TYPES), response.text
    body = response.json()
    if response.status_code == 200:
        assert body["success"] is True and "result" in body
        return
    assert body["success"] is False
    error = body["error"]
    assert error["__type"] in ERROR_TYPES[response.status_code]
    # a validation error names the parameter; the others carry a message
    assert any(k != "__type" for k in error)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    action=st.sampled_from(sorted(PARAMS)),
    data=st.data(),
)
def test_random_json_bodies_get_envelopes(
    client: TestClient, city: OpenCity, action: str, data: st.DataObject
) -> None:
    keys = data.draw(st.lists(st.sampled_from(PARAMS[action]), unique=True, max_size=5))
    body = {k: data.draw(json_values) for k in keys}
    if action == "datastore_search" and "resource_id" not in body:
        body["resource_id"] = "bus-stops"
    _check(client.post(f"/api/3/action/{action}", json=body))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    action=st.sampled_from(sorted(PARAMS)),
    data=st.data(),
)
def test_random_query_strings_get_envelopes(
    client: TestClient, city: OpenCity, action: str, data: st.DataObject
) -> None:
    keys = data.draw(st.lists(st.sampled_from(PARAMS[action]), unique=True, max_size=4))
    params = {k: data.draw(st.text(max_size=15)) for k in keys}
    _check(client.get(f"/api/3/action/{action}", params=params))


@given(name=st.from_regex(r"[a-z_]{1,30}", fullmatch=True))
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_unknown_actions_are_named(client: TestClient, name: str) -> None:
    got = client.get(f"/api/action/{name}")
    if got.status_code == 200:
        return  # a real action, e.g. package_list
    assert got.status_code in (400, 404, 409)
    if got.status_code == 400:
        assert got.json()["error"]["message"].startswith(
            f"Bad request - Action name not known: {name}"
        )
