"""SensorThings CRUD, links and query options through real HTTP (both backends)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.sensing.conftest import STA, station_body


def test_deep_insert_links_and_navigation(
    client: TestClient, admin_headers: dict[str, str], station: dict[str, Any]
) -> None:
    thing = station["thing"]
    assert thing["name"] == "人民路水位站"
    assert thing["@iot.selfLink"].endswith(f"/sta/v1.1/Things({thing['@iot.id']})")
    assert thing["Datastreams@iot.navigationLink"].endswith("/Datastreams")
    ds = station["datastream"]
    assert ds["unitOfMeasurement"]["symbol"] == "m"
    sensor = client.get(f"{STA}/Datastreams({ds['@iot.id']})/Sensor", headers=admin_headers)
    assert sensor.status_code == 200 and sensor.json()["name"] == "雷达水位计"
    hist = client.get(
        f"{STA}/Things({thing['@iot.id']})/HistoricalLocations?$expand=Locations",
        headers=admin_headers,
    ).json()["value"]
    assert len(hist) == 1 and hist[0]["Locations"][0]["location"]["coordinates"] == [121.47, 31.23]
    name = client.get(f"{STA}/Things({thing['@iot.id']})/name/$value", headers=admin_headers)
    assert name.text == "人民路水位站"


def test_observations_and_query_options(
    client: TestClient, admin_headers: dict[str, str], station: dict[str, Any]
) -> None:
    ds_id = station["datastream"]["@iot.id"]
    for i in range(5):
        r = client.post(
            f"{STA}/Datastreams({ds_id})/Observations",
            json={"phenomenonTime": f"2026-12-01T0{i}:00:00Z", "result": 1.0 + i},
            headers=admin_headers,
        )
        assert r.status_code == 201, r.text
        assert r.headers["location"] == r.json()["@iot.selfLink"]
    page = client.get(
        f"{STA}/Datastreams({ds_id})/Observations",
        params={
            "$filter": "result gt 2 and phenomenonTime lt 2026-12-01T04:00:00Z",
            "$orderby": "phenomenonTime desc",
            "$top": "2",
            "$count": "true",
        },
        headers=admin_headers,
    ).json()
    assert page["@iot.count"] == 2
    assert [o["result"] for o in page["value"]] == [4.0, 3.0]
    assert page["value"][0]["phenomenonTime"] == "2026-12-01T03:00:00.000Z"
    paged = client.get(
        f"{STA}/Observations", params={"$top": "2", "$orderby": "result"}, headers=admin_headers
    ).json()
    assert [o["result"] for o in paged["value"]] == [1.0, 2.0]
    nxt = paged["@iot.nextLink"]
    second = client.get(nxt.replace("http://testserver", ""), headers=admin_headers).json()
    assert [o["result"] for o in second["value"]] == [3.0, 4.0]
    # the FeatureOfInterest was made from the Thing's Location
    foi = client.get(
        f"{STA}/Observations?$top=1&$expand=FeatureOfInterest($select=name,feature)",
        headers=admin_headers,
    ).json()["value"][0]["FeatureOfInterest"]
    assert foi["feature"]["coordinates"] == [121.47, 31.23] and "description" not in foi


def test_nested_expand_select_and_filters(
    client: TestClient, admin_headers: dict[str, str], station: dict[str, Any]
) -> None:
    r = client.post(
        f"{STA}/Things", json=station_body("外滩水位站", 121.49, 31.24), headers=admin_headers
    )
    assert r.status_code == 201
    ds_id = station["datastream"]["@iot.id"]
    client.post(
        f"{STA}/Datastreams({ds_id})/Observations", json={"result": 3.5}, headers=admin_headers
    )
    things = client.get(
        f"{STA}/Things",
        params={
            "$expand": "Datastreams($select=name;$expand=Observations($top=1;$select=result))",
            "$select": "name",
            "$filter": "startswith(name, '人民') or substringof('外滩', name)",
            "$orderby": "name",
        },
        headers=admin_headers,
    ).json()["value"]
    assert {t["name"] for t in things} == {"人民路水位站", "外滩水位站"}
    people = next(t for t in things if t["name"] == "人民路水位站")
    assert set(people) == {"name", "Datastreams"}
    assert people["Datastreams"][0]["Observations"] == [{"result": 3.5}]
    near = client.get(
        f"{STA}/Locations",
        params={"$filter": "geo.distance(location, geography'POINT(121.49 31.24)') lt 0.005"},
        headers=admin_headers,
    ).json()["value"]
    assert [loc["name"] for loc in near] == ["外滩水位站位置"]
    inside = client.get(
        f"{STA}/Things",
        params={
            "$filter": "st_within(Locations/location, geography'POLYGON((121.46 31.22, "
            "121.48 31.22, 121.48 31.235, 121.46 31.235, 121.46 31.22))')"
        },
        headers=admin_headers,
    )
    assert inside.status_code == 422  # a collection path: refused with a clear message
    located = client.get(
        f"{STA}/Locations",
        params={
            "$filter": "st_within(location, geography'POLYGON((121.46 31.22, 121.48 31.22, "
            "121.48 31.235, 121.46 31.235, 121.46 31.22))')"
        },
        headers=admin_headers,
    ).json()["value"]
    assert [loc["name"] for loc in located] == ["人民路水位站位置"]
    by_thing = client.get(
        f"{STA}/Observations",
        params={
            "$filter": "Datastream/Thing/name eq '人民路水位站' and year(phenomenonTime) ge 2026"
        },
        headers=admin_headers,
    ).json()["value"]
    assert [o["result"] for o in by_thing] == [3.5]


def test_filter_error_points_at_position(client: TestClient, admin_headers: dict[str, str]) -> None:
    r = client.get(f"{STA}/Things", params={"$filter": "name eq 'a' and"}, headers=admin_headers)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "$filter" and "position 16" in err["message"]
    r = client.get(f"{STA}/Things", params={"$filter": "nmae eq 'a'"}, headers=admin_headers)
    assert r.status_code == 422 and "nmae" in r.json()["error"]["message"]


def test_patch_delete_unknown_and_auth(
    client: TestClient, admin_headers: dict[str, str], station: dict[str, Any]
) -> None:
    tid = station["thing"]["@iot.id"]
    r = client.patch(f"{STA}/Things({tid})", json={"description": "新描述"}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["description"] == "新描述"
    assert client.get(f"{STA}/Things(99999)", headers=admin_headers).status_code == 404
    assert client.get(f"{STA}/Things").status_code == 401
    bad = client.post(f"{STA}/Things", json={"description": "x"}, headers=admin_headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "name"
    assert client.delete(f"{STA}/Things({tid})", headers=admin_headers).status_code == 200
    assert client.get(f"{STA}/Things({tid})", headers=admin_headers).status_code == 404
    ds_id = station["datastream"]["@iot.id"]
    gone = client.post(
        f"{STA}/Observations",
        json={"result": 1, "Datastream": {"@iot.id": ds_id}},
        headers=admin_headers,
    )
    assert gone.status_code == 404
