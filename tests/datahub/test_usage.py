"""Usage counters (one UPSERT per read) and the high-frequency common data report."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.datahub import service, usage
from citybase.datahub.models import DatasetUsage, ElementUsage
from tests.datahub.conftest import Actor, create, upload
from tests.datahub.test_elements import AUTHORITY_CSV


def _prepare(client: TestClient, steward: Actor) -> int:
    create(client, steward, "dha-use")
    assert upload(client, steward, "dha-use", AUTHORITY_CSV).status_code == 201
    for code, name, column in (
        ("cid", "身份号码测试元", "公民身份号码"),
        ("pname", "姓名测试元", "姓名"),
    ):
        client.post(
            "/api/datahub/elements", json={"code": code, "name": name}, headers=steward.headers
        )
        r = client.post(
            f"/api/datahub/elements/{code}/bindings",
            json={"dataset": "dha-use", "column": column, "role": "authority"},
            headers=steward.headers,
        )
        assert r.status_code == 201
    return int(client.get("/api/datahub/datasets/dha-use", headers=steward.headers).status_code)


def test_reads_on_the_same_day_add_up_in_one_row(
    client: TestClient, session: Session, steward: Actor
) -> None:
    _prepare(client, steward)
    ds = service.find_dataset(db_session=session, name="dha-use")
    assert ds is not None
    day = dt.date(2026, 1, 5)
    for rows in (10, 5):
        usage.count_read(
            session,
            dataset_id=ds.id,
            department_code="RSJ",
            channel="api",
            rows=rows,
            columns=["公民身份号码", "户籍地址"],
            day=day,
        )
    assert not session.scalars(select(DatasetUsage)).all()  # counted in memory, not yet written
    usage.flush_counts(session)
    session.commit()
    (row,) = session.scalars(select(DatasetUsage).where(DatasetUsage.dataset_id == ds.id)).all()
    assert (row.reads, row.rows, row.department_code) == (2, 15, "RSJ")
    elements = session.execute(select(ElementUsage.element_id, ElementUsage.reads)).all()
    assert len(elements) == 1 and elements[0][1] == 2  # only 公民身份号码 is bound


def test_high_frequency_ranks_by_departments_then_reads(
    client: TestClient, session: Session, steward: Actor
) -> None:
    _prepare(client, steward)
    ds = service.find_dataset(db_session=session, name="dha-use")
    assert ds is not None
    today = dt.datetime.now(dt.UTC).date()
    reads = [
        ("RSJ", ["公民身份号码"], 50),
        ("MZJ", ["公民身份号码", "姓名"], 3),
        ("DHA", ["姓名"], 500),
    ]
    for dept, cols, n in reads:
        usage.count_read(
            session,
            dataset_id=ds.id,
            department_code=dept,
            channel="api",
            rows=n,
            columns=cols,
            reads=n,
            day=today - dt.timedelta(days=1),
        )
    usage.count_read(
        session,
        dataset_id=ds.id,
        department_code="public",
        channel="download",
        rows=1,
        columns=None,
        reads=1000,
        day=today,
    )
    usage.count_read(
        session,
        dataset_id=ds.id,
        department_code="WJW",
        channel="api",
        rows=1,
        columns=["姓名"],
        reads=1,
        day=today - dt.timedelta(days=90),
    )
    session.commit()
    report = client.get("/api/datahub/usage/high-frequency", headers=steward.headers).json()
    ranked = [(e["element_code"], e["departments"], e["reads"]) for e in report["elements"]]
    assert ranked == [("pname", 2, 503), ("cid", 2, 53)]
    assert report["elements"][1]["department_codes"] == ["MZJ", "RSJ"]
    (ds_row,) = report["datasets"]
    assert ds_row["departments"] == 3 and ds_row["reads"] == 553
    others = client.get(
        "/api/datahub/usage/high-frequency",
        params={"include_owner": "false"},
        headers=steward.headers,
    ).json()
    assert [(e["element_code"], e["departments"]) for e in others["elements"]] == [
        ("cid", 2),
        ("pname", 1),
    ]
    longer = client.get(
        "/api/datahub/usage/high-frequency", params={"days": 120}, headers=steward.headers
    ).json()
    assert longer["elements"][0]["departments"] == 3
    assert client.get("/api/datahub/usage/high-frequency").status_code == 401
