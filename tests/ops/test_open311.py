"""Open311 GeoReport v2 through real HTTP, checked against the spec's own examples: the
same elements, in the spec's shapes (a JSON list; XML root + repeated children), the error
list with 400/403/404, ``api_key`` to post, and a repeated POST returning the first request.

The PyPI ``open311`` client (1.1) is Python 2 only (implicit relative imports): it does not
import on Python 3.11, so these tests follow the spec's examples field by field instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient

from tests.ops.conftest import IN_G1, OUTSIDE, OpsWorld, act

API_KEY_FIELDS = ("service_request_id", "service_notice", "account_id")
#: Elements of one request in the spec's GET requests example, in its order.
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
)  # fmt: skip
SERVICE_FIELDS = (
    "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
)  # fmt: skip


def key_of(world_actor: Any) -> str:
    return str(world_actor.headers["Authorization"].removeprefix("Bearer "))


def post(client: TestClient, fmt: str = "json", **form: Any) -> Any:
    return client.post(f"/open311/v2/requests.{fmt}", data=form)


def sanitation(world: OpsWorld, **extra: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "api_key": key_of(world.call_taker), "service_code": "SANITATION",
        "lat": IN_G1[1], "long": IN_G1[0], "description": "小区门口垃圾桶满了好几天没人清运",
        "first_name": "雷", "last_name": "李", "phone": "13812345678",
        "email": "lilei@example.cn", "media_url": "https://example.cn/p/1.jpg",
    }  # fmt: skip
    form.update(extra)
    return form


def test_services_json_and_xml(client: TestClient, world: OpsWorld) -> None:
    res = client.get("/open311/v2/services.json")
    assert res.status_code == 200 and res.headers["content-type"].startswith("application/json")
    services = res.json()
    assert isinstance(services, list) and len(services) == 28
    first = next(s for s in services if s["service_code"] == "SANITATION")
    assert tuple(first) == SERVICE_FIELDS
    assert first["service_name"] == "环境卫生" and first["metadata"] is False
    assert first["type"] == "realtime" and "垃圾" in first["keywords"]
    assert "24 个工作小时" in first["description"]
    res = client.get("/open311/v2/services.xml?lang=en")
    assert res.headers["content-type"].startswith("text/xml")
    assert res.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(res.content)
    assert root.tag == "services" and len(root.findall("service")) == 28
    el = next(e for e in root.findall("service") if e.findtext("service_code") == "SANITATION")
    assert [c.tag for c in el] == list(SERVICE_FIELDS)
    assert el.findtext("service_name") == "Sanitation and litter"
    assert el.findtext("metadata") == "false"


def test_service_definition_and_unknown(client: TestClient, world: OpsWorld) -> None:
    res = client.get("/open311/v2/services/SANITATION.json")
    assert res.json() == {"service_code": "SANITATION", "attributes": []}
    root = ET.fromstring(client.get("/open311/v2/services/SANITATION.xml").content)
    assert root.tag == "service_definition" and root.findtext("service_code") == "SANITATION"
    assert root.find("attributes") is not None
    res = client.get("/open311/v2/services/NOPE.json")
    assert res.status_code == 404
    assert res.json()[0]["code"] == 404 and "NOPE" in res.json()[0]["description"]


def test_post_creates_a_dispatched_case(client: TestClient, world: OpsWorld) -> None:
    res = post(client, **sanitation(world))
    assert res.status_code == 201, res.text
    [row] = res.json()
    assert tuple(row) == API_KEY_FIELDS and row["account_id"] is None
    rid = row["service_request_id"]
    assert "预计" in row["service_notice"]
    case = client.get(f"/api/ops/cases/{rid}", headers=world.dispatcher.headers).json()
    assert case["channel"] == "open311" and case["status"] == "dispatched"
    assert case["reports"][0]["reporter_name"] == "李雷"
    assert case["reports"][0]["reporter_phone"] == "13812345678"
    [req] = client.get(f"/open311/v2/requests/{rid}.json").json()
    assert tuple(req) == REQUEST_FIELDS
    assert req["status"] == "open" and req["service_code"] == "SANITATION"
    assert req["agency_responsible"] == "城市管理和综合执法局"
    assert req["media_url"] == "https://example.cn/p/1.jpg"
    assert req["lat"] == IN_G1[1] and req["long"] == IN_G1[0]
    expected = dt.datetime.fromisoformat(req["expected_datetime"])
    requested = dt.datetime.fromisoformat(req["requested_datetime"])
    assert expected.utcoffset() == dt.timedelta(hours=8) and expected > requested
    assert dt.datetime.fromisoformat(case["due_at"]).replace(microsecond=0) == expected


def test_post_xml_and_repeat_returns_first(client: TestClient, world: OpsWorld) -> None:
    form = sanitation(world)
    first = post(client, "xml", **form)
    assert first.status_code == 201
    root = ET.fromstring(first.content)
    assert root.tag == "service_requests"
    assert [c.tag for c in root.find("request")] == list(API_KEY_FIELDS)  # type: ignore[union-attr]
    rid = root.findtext("request/service_request_id")
    again = post(client, "xml", **form)
    assert again.status_code == 200
    assert ET.fromstring(again.content).findtext("request/service_request_id") == rid
    other = post(client, **{**form, "idempotency_key": "app-42"})
    assert other.status_code == 201 and str(other.json()[0]["service_request_id"]) != rid
    same = client.post(
        "/open311/v2/requests.json", data={**form, "description": "改了文字"},
        headers={"Idempotency-Key": "app-42"},
    )  # fmt: skip
    assert same.status_code == 200  # the client's key decides, whatever the content
    assert same.json()[0]["service_request_id"] == other.json()[0]["service_request_id"]


def test_post_errors(client: TestClient, world: OpsWorld) -> None:
    res = post(client, **{**sanitation(world), "api_key": ""})
    assert res.status_code == 403 and "api_key" in res.json()[0]["description"]
    res = post(client, **{**sanitation(world), "api_key": "cb_wrong"})
    assert res.status_code == 403 and res.json()[0]["code"] == 403
    res = post(client, "xml", **{**sanitation(world), "api_key": "cb_wrong"})
    root = ET.fromstring(res.content)
    assert root.tag == "errors" and root.findtext("error/code") == "403"
    assert root.findtext("error/description")
    res = post(client, **{**sanitation(world), "service_code": "NOPE"})
    assert res.status_code == 400 and "service_code" in res.json()[0]["description"]
    res = post(client, **{**sanitation(world), "lat": "", "long": ""})
    assert res.status_code == 400 and "address_string" in res.json()[0]["description"]
    res = post(client, **{**sanitation(world), "lat": OUTSIDE[1], "long": OUTSIDE[0]})
    assert res.status_code == 400 and "outside" in res.json()[0]["description"]
    res = post(client, **{**sanitation(world), "lat": "north"})
    assert res.status_code == 400 and "lat" in res.json()[0]["description"]
    res = post(client, **{**sanitation(world), "api_key": key_of(world.cgj)})  # an officer
    assert res.status_code == 403
    assert client.get("/open311/v2/requests.json").json() == []  # nothing half-written


def test_address_only_post(client: TestClient, world: OpsWorld) -> None:
    form = sanitation(world, lat="", long="", address_string="和平路 1 号")
    res = post(client, **form)
    assert res.status_code == 201
    [req] = client.get(f"/open311/v2/requests/{res.json()[0]['service_request_id']}.json").json()
    assert req["address"] == "和平路 1 号" and req["lat"] is None


def test_get_requests_filters(client: TestClient, world: OpsWorld) -> None:
    a = post(client, **sanitation(world))
    b = post(client, **sanitation(world, service_code="STREET_VENDOR",
                                  description="地铁口流动摊贩占道经营"))  # fmt: skip
    ida, idb = a.json()[0]["service_request_id"], b.json()[0]["service_request_id"]
    act(client, world.cgj, ida, "accept")
    act(client, world.cgj, ida, "handle", result="已清运")
    act(client, world.grid, ida, "confirm")
    act(client, world.dispatcher, ida, "close")
    client.post(f"/api/ops/cases/{ida}/replies", json={"text": "垃圾已清运完毕，感谢反映"},
                headers=world.dispatcher.headers)  # fmt: skip

    def ids(query: str) -> list[int]:
        res = client.get(f"/open311/v2/requests.json?{query}")
        assert res.status_code == 200, res.text
        return [r["service_request_id"] for r in res.json()]

    assert ids("") == [idb, ida]
    assert ids("status=closed") == [ida] and ids("status=open") == [idb]
    assert ids("status=open,closed") == [idb, ida]
    assert ids("service_code=STREET_VENDOR") == [idb]
    assert ids(f"service_request_id={ida}&service_code=STREET_VENDOR") == [ida]
    assert ids("start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z") == []
    [closed] = client.get(f"/open311/v2/requests/{ida}.json").json()
    assert closed["status"] == "closed" and closed["status_notes"] == "垃圾已清运完毕，感谢反映"
    assert dt.datetime.fromisoformat(closed["updated_datetime"]) >= dt.datetime.fromisoformat(
        closed["requested_datetime"])  # fmt: skip
    root = ET.fromstring(client.get("/open311/v2/requests.xml").content)
    assert root.tag == "service_requests" and len(root.findall("request")) == 2
    assert [c.tag for c in root.find("request")] == list(REQUEST_FIELDS)  # type: ignore[union-attr]
    assert client.get("/open311/v2/requests.json?status=pending").status_code == 400
    assert client.get("/open311/v2/requests.json?start_date=yesterday").status_code == 400
    assert client.get("/open311/v2/requests/999999.json").status_code == 404
    assert client.get("/open311/v2/requests/abc.xml").status_code == 404


def test_public_list_masks_phone_numbers(client: TestClient, world: OpsWorld) -> None:
    res = post(client, **sanitation(world, description="垃圾没人清运，请回电 13912345678"))
    [req] = client.get(f"/open311/v2/requests/{res.json()[0]['service_request_id']}.json").json()
    assert "13912345678" not in req["description"] and "139****5678" in req["description"]
