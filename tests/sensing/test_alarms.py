"""Alarm rules through HTTP: hysteresis, debounce, events in the contract, dry run, audit."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.events.models import OutboxEvent
from citybase.identity.enums import Role
from tests.factories import auth_headers, make_user
from tests.sensing.conftest import STA


def _post(
    client: TestClient,
    headers: dict[str, str],
    ds_id: int,
    values: list[float],
    start_hour: int = 0,
) -> None:
    body = [
        {
            "Datastream": {"@iot.id": ds_id},
            "components": ["phenomenonTime", "result"],
            "dataArray": [
                [f"2026-12-01T{start_hour + i // 60:02d}:{i % 60:02d}:00Z", v]
                for i, v in enumerate(values)
            ],
        }
    ]
    r = client.post(f"{STA}/CreateObservations", json=body, headers=headers)
    assert r.status_code == 201, r.text


def _events(session: Session, kind: str) -> list[dict[str, Any]]:
    import json

    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.event_type == kind).order_by(OutboxEvent.id)
    )
    return [json.loads(r.payload) if isinstance(r.payload, str) else r.payload for r in rows]


def test_threshold_with_hysteresis_and_debounce(
    client: TestClient, session: Session, admin_headers: dict[str, str], station: dict[str, Any]
) -> None:
    ds_id = station["datastream"]["@iot.id"]
    rule = {
        "name": "河道水位超警戒",
        "kind": "threshold",
        "category": "DRAINAGE",
        "datastream_id": ds_id,
        "params": {"above": 3.0, "clear_below": 2.5},
        "debounce": 2,
    }
    r = client.post(f"{STA}/AlarmRules", json=rule, headers=admin_headers)
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    # one spike is debounced away; two in a row raise; 2.8 is in the band (still active);
    # two values ≤ 2.5 clear
    _post(client, admin_headers, ds_id, [2.0, 3.5, 2.0, 3.2, 3.6, 2.8, 3.9, 2.4, 2.3, 3.1])
    raised = _events(session, "sensing.AlarmRaised")
    assert len(raised) == 1
    ev = raised[0]
    assert ev["rule_id"] == rule_id and ev["category"] == "DRAINAGE" and ev["value"] == 3.6
    assert ev["thing_name"] == "人民路水位站" and ev["observed_property"] == "水位"
    assert ev["lon"] == 121.47 and "超过阈值" in ev["message"] and ev["datastream_id"] == ds_id
    cleared = _events(session, "sensing.AlarmCleared")
    assert [c["alarm_id"] for c in cleared] == [ev["alarm_id"]] and cleared[0]["value"] == 2.3
    alarms = client.get(f"{STA}/Alarms", headers=admin_headers).json()["value"]
    assert [(a["state"], a["repeats"]) for a in alarms] == [("cleared", 1)]
    audit = session.scalars(
        select(AuditRecord.action).where(AuditRecord.action.like("sensing.%"))
    ).all()
    assert {"sensing.rule_create", "sensing.alarm_raised", "sensing.alarm_cleared"} <= set(audit)
    # dry run: how often would a lower threshold have fired over the stored values?
    dry = client.post(
        f"{STA}/AlarmRules/DryRun?start=2026-11-01T00:00:00Z&end=2026-12-02T00:00:00Z",
        json={**rule, "params": {"above": 3.0}, "debounce": 1},
        headers=admin_headers,
    ).json()
    assert dry["observations"] == 10 and dry["episodes"] == 4


def test_out_of_range_rate_of_change_and_bad_rules(
    client: TestClient, session: Session, admin_headers: dict[str, str], station: dict[str, Any]
) -> None:
    ds_id = station["datastream"]["@iot.id"]
    prop_id = client.get(
        f"{STA}/Datastreams({ds_id})/ObservedProperty", headers=admin_headers
    ).json()["@iot.id"]
    for body in (
        {
            "name": "量程",
            "kind": "out_of_range",
            "category": "MUNICIPAL_FACILITY",
            "observed_property_id": prop_id,
            "params": {"min": 0, "max": 10},
        },
        {
            "name": "陡涨",
            "kind": "rate_of_change",
            "category": "DRAINAGE",
            "datastream_id": ds_id,
            "params": {"max_per_minute": 1.0},
        },
    ):
        assert client.post(f"{STA}/AlarmRules", json=body, headers=admin_headers).status_code == 201
    _post(client, admin_headers, ds_id, [1.0, 1.2, 4.0, 4.1, -5.0])
    kinds = sorted(e["rule_name"] for e in _events(session, "sensing.AlarmRaised"))
    assert kinds == ["量程", "陡涨", "陡涨"]  # 1.2→4.0 and 4.1→-5.0
    bad = client.post(
        f"{STA}/AlarmRules",
        json={
            "name": "x",
            "kind": "threshold",
            "category": "DRAINAGE",
            "datastream_id": ds_id,
            "params": {"abov": 1},
        },
        headers=admin_headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "params.abov"
    officer = auth_headers(session, make_user(session, Role.officer))
    assert client.post(f"{STA}/AlarmRules", json={}, headers=officer).status_code == 403


def test_dataarray_is_atomic_and_rollups_are_kept(
    client: TestClient, admin_headers: dict[str, str], station: dict[str, Any]
) -> None:
    ds_id = station["datastream"]["@iot.id"]
    bad = [
        {
            "Datastream": {"@iot.id": ds_id},
            "components": ["phenomenonTime", "result"],
            "dataArray": [["2026-12-01T00:00:00Z", 1], ["yesterday", 2]],
        }
    ]
    r = client.post(f"{STA}/CreateObservations", json=bad, headers=admin_headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "[0].dataArray[1].phenomenonTime"
    skew = [
        {
            "Datastream": {"@iot.id": ds_id},
            "components": ["phenomenonTime", "result"],
            "dataArray": [["2099-01-01T00:00:00Z", 1]],
        }
    ]
    assert (
        client.post(f"{STA}/CreateObservations", json=skew, headers=admin_headers).json()["error"][
            "code"
        ]
        == "clock_skew"
    )
    total = client.get(f"{STA}/Observations?$count=true&$top=0", headers=admin_headers).json()
    assert total["@iot.count"] == 0  # nothing half-written
    values = [float(i % 7) for i in range(180)]  # three hours, one a minute
    _post(client, admin_headers, ds_id, values)
    links = client.get(
        f"{STA}/Datastreams({ds_id})/Observations?$count=true&$top=1", headers=admin_headers
    ).json()
    assert links["@iot.count"] == 180
    hours = client.get(
        f"{STA}/Datastreams({ds_id})/Rollups",
        params={"grain": "hour", "start": "2026-12-01T00:00:00Z", "end": "2026-12-01T03:00:00Z"},
        headers=admin_headers,
    ).json()["value"]
    assert [h["count"] for h in hours] == [60, 60, 60]
    first = values[:60]
    assert hours[0]["min"] == min(first) and hours[0]["max"] == max(first)
    assert abs(hours[0]["mean"] - sum(first) / 60) < 1e-9
    assert hours[0]["time"] == "2026-12-01T00:00:00.000Z"
    day = client.get(
        f"{STA}/Datastreams({ds_id})/Rollups",
        params={"grain": "day", "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"},
        headers=admin_headers,
    ).json()
    assert day["value"][0]["count"] == 180
    ds = client.get(f"{STA}/Datastreams({ds_id})", headers=admin_headers).json()
    assert ds["phenomenonTime"] == "2026-12-01T00:00:00.000Z/2026-12-01T02:59:00.000Z"
    wrong = client.get(f"{STA}/Datastreams({ds_id})/Rollups?grain=week", headers=admin_headers)
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "grain"
