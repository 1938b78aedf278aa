"""``datastore_search`` through ``ckanapi``: fields, filters, q, sort, paging, usage and audit."""

from __future__ import annotations

import ckanapi
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.datahub import service as datahub_service
from citybase.datahub import usage
from citybase.datahub.models import DatasetUsage
from tests.opendata.conftest import BUS_STOP_ROWS, LiveApp, OpenCity, mark_personal


def bus_resource(ck: ckanapi.RemoteCKAN) -> str:
    return str(ck.action.package_show(id="bus-stops")["resources"][0]["id"])


def test_fields_records_and_total(live: LiveApp) -> None:
    ck = ckanapi.RemoteCKAN(live.url)
    result = ck.action.datastore_search(resource_id=bus_resource(ck))
    assert result["fields"] == [
        {"id": "_id", "type": "int"},
        {"id": "站点编号", "type": "int"},
        {"id": "站点名称", "type": "text"},
        {"id": "区", "type": "text"},
        {"id": "日均客流", "type": "int"},
        {"id": "开通日期", "type": "date"},
        {"id": "无障碍", "type": "bool"},
    ]
    assert result["total"] == BUS_STOP_ROWS
    assert len(result["records"]) == BUS_STOP_ROWS
    first = result["records"][0]
    assert first == {
        "_id": 1,
        "站点编号": 1,
        "站点名称": "示范路1号站",
        "区": "徐汇区",
        "日均客流": 37,
        "开通日期": "2020-01-12",
        "无障碍": False,
    }
    assert [r["_id"] for r in result["records"]] == list(range(1, BUS_STOP_ROWS + 1))


def test_limit_offset_and_links(live: LiveApp) -> None:
    ck = ckanapi.RemoteCKAN(live.url)
    rid = bus_resource(ck)
    page = ck.action.datastore_search(resource_id=rid, limit=10, offset=20)
    assert [r["_id"] for r in page["records"]] == list(range(21, 31))
    assert [r["站点编号"] for r in page["records"]] == list(range(21, 31))
    assert page["total"] == BUS_STOP_ROWS and page["limit"] == 10 and page["offset"] == 20
    assert "offset=30" in page["_links"]["next"]
    huge = ck.action.datastore_search(resource_id=rid, limit=50_000)
    assert huge["limit"] == 10_000  # cut to the maximum, as CKAN cuts to rows_max


def test_filters_match_values_and_lists(live: LiveApp) -> None:
    ck = ckanapi.RemoteCKAN(live.url)
    rid = bus_resource(ck)
    huangpu = ck.action.datastore_search(resource_id=rid, filters={"区": "黄浦区"})
    assert huangpu["total"] == 15
    assert {r["区"] for r in huangpu["records"]} == {"黄浦区"}
    assert huangpu["filters"] == {"区": "黄浦区"}
    two = ck.action.datastore_search(resource_id=rid, filters={"区": ["黄浦区", "徐汇区"]})
    assert two["total"] == 30
    accessible = ck.action.datastore_search(
        resource_id=rid, filters={"无障碍": True, "区": "黄浦区"}
    )
    assert accessible["total"] == 5  # multiples of 12
    by_number = ck.action.datastore_search(resource_id=rid, filters={"站点编号": "7"})
    assert [r["站点名称"] for r in by_number["records"]] == ["示范路7号站"]


def test_q_sort_and_fields(live: LiveApp) -> None:
    ck = ckanapi.RemoteCKAN(live.url)
    rid = bus_resource(ck)
    found = ck.action.datastore_search(resource_id=rid, q="示范路1")
    assert found["total"] == 11  # 1 and 10..19
    per_column = ck.action.datastore_search(resource_id=rid, q={"站点名称": "路5"})
    assert per_column["total"] == 11  # 5 and 50..59
    ranked = ck.action.datastore_search(resource_id=rid, sort="日均客流 desc", limit=60)
    flows = [r["日均客流"] for r in ranked["records"]]
    assert flows == sorted(flows, reverse=True)
    assert all(r["_id"] == r["站点编号"] for r in ranked["records"])  # _id: position in file
    narrow = ck.action.datastore_search(resource_id=rid, fields=["站点名称", "_id"], limit=2)
    assert narrow["fields"] == [{"id": "站点名称", "type": "text"}, {"id": "_id", "type": "int"}]
    assert narrow["records"] == [
        {"站点名称": "示范路1号站", "_id": 1},
        {"站点名称": "示范路2号站", "_id": 2},
    ]
    lists = ck.action.datastore_search(
        resource_id=rid, fields="站点编号,区", limit=2, records_format="lists"
    )
    assert lists["records"] == [[1, "徐汇区"], [2, "长宁区"]]
    as_csv = ck.action.datastore_search(
        resource_id=rid, fields="站点编号", limit=3, records_format="csv"
    )
    assert as_csv["records"] == "1\n2\n3\n"


def test_id_is_the_row_position_and_can_be_filtered_and_sorted(live: LiveApp) -> None:
    ck = ckanapi.RemoteCKAN(live.url)
    rid = bus_resource(ck)
    last = ck.action.datastore_search(resource_id=rid, sort="_id desc", limit=3)
    assert [r["_id"] for r in last["records"]] == [60, 59, 58]
    some = ck.action.datastore_search(
        resource_id=rid, filters={"_id": [5, "7"]}, fields="_id,站点名称"
    )
    assert some["records"] == [
        {"_id": 5, "站点名称": "示范路5号站"},
        {"_id": 7, "站点名称": "示范路7号站"},
    ]
    huangpu = ck.action.datastore_search(resource_id=rid, filters={"区": "黄浦区"}, limit=2)
    assert [r["_id"] for r in huangpu["records"]] == [4, 8]


def test_get_requests_and_the_dataset_name_alias(live: LiveApp) -> None:
    ck = ckanapi.RemoteCKAN(live.url, get_only=True)
    result = ck.action.datastore_search(
        resource_id="bus-stops", filters='{"区": "长宁区"}', limit="5", sort="站点编号 desc"
    )
    assert result["total"] == 15
    assert [r["站点编号"] for r in result["records"]] == [58, 54, 50, 46, 42]


def _reads(session: Session, name: str, department: str) -> int:
    ds = datahub_service.find_dataset(db_session=session, name=name)
    assert ds is not None
    usage.flush_counts(session)  # reads are counted in memory first
    total = session.scalar(
        select(func.coalesce(func.sum(DatasetUsage.reads), 0)).where(
            DatasetUsage.dataset_id == ds.id, DatasetUsage.department_code == department
        )
    )
    return int(total or 0)


def test_reads_are_counted_and_audited(live: LiveApp, city: OpenCity, session: Session) -> None:
    before = _reads(session, "bus-stops", "public")
    ck = ckanapi.RemoteCKAN(live.url)
    ck.action.datastore_search(resource_id="bus-stops", limit=3)
    ck.action.datastore_search(resource_id="bus-stops", limit=3, offset=3)
    assert _reads(session, "bus-stops", "public") == before + 2

    police = ckanapi.RemoteCKAN(live.url, apikey=city.token("police"))
    police.action.datastore_search(resource_id="residents", limit=5, purpose="户籍核查")
    assert _reads(session, "residents", "GAJ") == 1
    record = session.scalar(
        select(AuditRecord)
        .where(AuditRecord.object_id == "residents", AuditRecord.action == "datahub.rows.read")
        .order_by(AuditRecord.id.desc())
    )
    assert record is not None
    assert record.actor_name == city.police_officer.username and record.purpose == "户籍核查"


def test_anonymous_reads_of_personal_data_are_audited(live: LiveApp, session: Session) -> None:
    ds = datahub_service.find_dataset(db_session=session, name="bus-stops")
    assert ds is not None
    ck = ckanapi.RemoteCKAN(live.url)
    ck.action.datastore_search(resource_id="bus-stops", limit=1)
    audited = select(func.count()).where(
        AuditRecord.object_id == "bus-stops", AuditRecord.action == "opendata.datastore_search"
    )
    assert session.scalar(audited) == 0  # no personal data: counted, not audited
    mark_personal(session, ds.id, "站点名称", "PERSON_NAME")
    ck.action.datastore_search(resource_id="bus-stops", limit=2)
    assert session.scalar(audited) == 1


def test_who_may_read_rows(live: LiveApp, city: OpenCity) -> None:
    health = ckanapi.RemoteCKAN(live.url, apikey=city.token("health"))
    # the health officer sees the residents dataset exists, but its rows belong to GAJ
    assert health.action.package_show(id="residents")["name"] == "residents"
    with pytest.raises(ckanapi.NotAuthorized) as refused:
        health.action.datastore_search(resource_id="residents")
    assert "GAJ" in str(refused.value)
    assert health.action.datastore_search(resource_id="clinics")["total"] == 8
    admin = ckanapi.RemoteCKAN(live.url, apikey=city.token("admin"))
    assert admin.action.datastore_search(resource_id="residents")["total"] == 12
    with pytest.raises(ckanapi.NotFound):
        ckanapi.RemoteCKAN(live.url).action.datastore_search(resource_id="residents")
