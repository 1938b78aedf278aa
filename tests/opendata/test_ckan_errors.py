"""Refusals: CKAN's error types as ``ckanapi`` raises them, and the raw bodies and statuses."""

from __future__ import annotations

import ckanapi
import httpx
import pytest

from tests.opendata.conftest import LiveApp, OpenCity


def test_not_found_errors(live: LiveApp) -> None:
    ck = ckanapi.RemoteCKAN(live.url)
    with pytest.raises(ckanapi.NotFound) as caught:
        ck.action.package_show(id="no-such-dataset")
    assert "no-such-dataset" in str(caught.value)
    with pytest.raises(ckanapi.NotFound, match='Resource "nope" was not found'):
        ck.action.datastore_search(resource_id="nope")
    with pytest.raises(ckanapi.NotFound):
        ck.action.resource_show(id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ckanapi.NotFound):
        ck.action.group_show(id="nothing")


def test_validation_errors_name_the_parameter(live: LiveApp) -> None:
    ck = ckanapi.RemoteCKAN(live.url)
    with pytest.raises(ckanapi.ValidationError) as caught:
        ck.action.datastore_search(resource_id="bus-stops", filters={"街道": "x"})
    errors = caught.value.error_dict
    assert errors["__type"] == "Validation Error"
    assert '"街道" not in table' in errors["filters"][0]
    assert "站点名称" in errors["filters"][0]  # it lists the columns there are
    with pytest.raises(ckanapi.ValidationError) as caught:
        ck.action.package_search(rows="many")
    assert "rows" in caught.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as caught:
        ck.action.package_search(rows=5000)
    assert "at most 1000" in caught.value.error_dict["rows"][0]
    with pytest.raises(ckanapi.ValidationError) as caught:
        ck.action.package_show()
    assert caught.value.error_dict["id"] == ["Missing value: give 'id'."]
    with pytest.raises(ckanapi.ValidationError) as caught:
        ck.action.datastore_search(resource_id="bus-stops", sort="人气 desc")
    assert "Cannot sort by '人气'" in caught.value.error_dict["sort"][0]
    with pytest.raises(ckanapi.ValidationError) as caught:
        ck.action.datastore_search(resource_id="bus-stops", filters={"日均客流": "很多"})
    assert "whole numbers" in caught.value.error_dict["filters"][0]
    with pytest.raises(ckanapi.ValidationError):
        ck.action.package_search(**{"facet.field": ["owner"]})


def test_search_query_errors(live: LiveApp) -> None:
    ck = ckanapi.RemoteCKAN(live.url)
    with pytest.raises(ckanapi.SearchQueryError) as caught:
        ck.action.package_search(fq="owner:jtj")
    assert "Unknown field 'owner'" in str(caught.value)
    with pytest.raises(ckanapi.SearchQueryError):
        ck.action.package_search(fq='tags:"公交')


def test_authorization_errors(live: LiveApp, city: OpenCity) -> None:
    with pytest.raises(ckanapi.NotAuthorized) as caught:
        ckanapi.RemoteCKAN(live.url, apikey="cb_not-a-real-token").action.package_list()
    assert "Unknown API token" in str(caught.value)
    health = ckanapi.RemoteCKAN(live.url, apikey=city.token("health"))
    with pytest.raises(ckanapi.NotAuthorized):
        health.action.datastore_search(resource_id="residents")


def test_unknown_action_is_a_bad_request(live: LiveApp) -> None:
    with pytest.raises(ckanapi.CKANAPIError) as caught:
        ckanapi.RemoteCKAN(live.url).action.package_create(name="x")
    assert "Action name not known: package_create" in str(caught.value)
    assert "400" in str(caught.value)


def test_raw_error_bodies_and_statuses(live: LiveApp) -> None:
    base = f"{live.url}/api/3/action"
    missing = httpx.get(f"{base}/package_show", params={"id": "nope"}, timeout=10)
    assert missing.status_code == 404
    body = missing.json()
    assert body["success"] is False and "result" not in body
    assert body["error"]["__type"] == "Not Found Error"
    assert body["error"]["message"].startswith("Not found: ")
    assert body["help"].endswith("help_show?name=package_show")

    invalid = httpx.get(f"{base}/package_search", params={"start": "-3"}, timeout=10)
    assert invalid.status_code == 409
    assert invalid.json()["error"] == {
        "__type": "Validation Error",
        "start": ["'start' must be at least 0, got -3."],
    }

    denied = httpx.get(f"{base}/package_list", headers={"Authorization": "cb_wrong"}, timeout=10)
    assert denied.status_code == 403
    assert denied.json()["error"]["__type"] == "Authorization Error"
    assert denied.json()["error"]["message"].startswith("Access denied: ")

    bad_query = httpx.get(f"{base}/package_search", params={"fq": "tags:(公交"}, timeout=10)
    assert bad_query.status_code == 400
    assert bad_query.json()["error"]["__type"] == "Search Query Error"

    unknown = httpx.get(f"{base}/datastore_upsert", timeout=10)
    assert unknown.status_code == 400
    assert "Action name not known: datastore_upsert" in unknown.json()["error"]["message"]

    not_json = httpx.post(
        f"{base}/package_show",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert not_json.status_code == 400
    assert "not valid JSON" in not_json.json()["error"]["message"]
    not_object = httpx.post(f"{base}/package_show", json=["bus-stops"], timeout=10)
    assert not_object.status_code == 400
    assert "needs to be a dictionary" in not_object.json()["error"]["message"]


def test_tokens_with_or_without_bearer_and_in_the_ckan_header(
    live: LiveApp, city: OpenCity
) -> None:
    url = f"{live.url}/api/3/action/package_show"
    token = city.token("police")
    for headers in (
        {"Authorization": f"Bearer {token}"},
        {"Authorization": token},
        {"X-CKAN-API-Key": token},
    ):
        got = httpx.post(url, json={"id": "residents"}, headers=headers, timeout=10)
        assert got.status_code == 200, headers
        assert got.json()["result"]["name"] == "residents"
    form = httpx.post(url, data={"id": "bus-stops"}, timeout=10)
    assert form.json()["result"]["name"] == "bus-stops"
