"""Sharing test helpers: two owning departments with personal datasets, a consumer, stewards.

Datasets are created and loaded through the data hub's API; the ID, name, mobile and
address columns get their ``pii_type`` set on the catalog rows directly (what the data
hub's classification does at load), so grants and the tracker see them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from citybase.datahub.models import Dataset, DatasetColumn
from citybase.identity.enums import Role
from citybase.identity.models import User
from tests.factories import auth_headers, make_user

# Two people appear in both datasets (张三, 李四); 王五 only in the residents registry.
ZHANG = "11010519491231002X"
LI = "110105194912310038"
WANG = "320102198001010016"
RESIDENTS_CSV = (
    "公民身份号码,姓名,手机号码,居住地址,区,年龄\n"
    f"{ZHANG},张三,13812345678,示范市东城区和平路1号,东城区,74\n"
    f"{LI},李四,13912345678,示范市东城区和平路2号,东城区,74\n"
    f"{WANG},王五,13712345678,示范市西山区人民路8号,西山区,44\n"
).encode()
INSURANCE_CSV = (
    f"身份证号,参保险种,缴费状态\n{ZHANG},职工基本养老保险,正常缴费\n{LI},失业保险,暂停缴费\n"
).encode()
PII = {
    "公民身份号码": "CN_ID_CARD",
    "身份证号": "CN_ID_CARD",
    "姓名": "PERSON_NAME",
    "手机号码": "CN_MOBILE",
    "居住地址": "ADDRESS",
}


@dataclass
class Actor:
    user: User
    headers: dict[str, str]


def actor(session: Session, role: Role, department: str | None) -> Actor:
    user = make_user(session, role=role, department_code=department)
    return Actor(user=user, headers=auth_headers(session, user))


def until(days: int = 90) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def dataset(
    client: TestClient, session: Session, owner: Actor, name: str, content: bytes, **over: Any
) -> None:
    body: dict[str, Any] = {
        "name": name,
        "title": f"测试数据 {name}",
        "description": "共享测试用数据。",
        "theme": "population",
        "keywords": ["测试"],
        "update_frequency": "monthly",
        "licence": "gov-internal",
        "sharing_type": "conditional",
        "sharing_condition": "经审核后共享",
        "open_type": "not_open",
    }
    body.update(over)
    r = client.post("/api/datahub/datasets", json=body, headers=owner.headers)
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/datahub/datasets/{name}/versions",
        files={"file": ("data.csv", content)},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    ds_id = session.scalar(select(Dataset.id).where(Dataset.name == name))
    session.execute(  # exactly the classes the tests rely on, whatever detection found
        update(DatasetColumn).where(DatasetColumn.dataset_id == ds_id).values(pii_type=None)
    )
    for column, pii in PII.items():
        session.execute(
            update(DatasetColumn)
            .where(DatasetColumn.dataset_id == ds_id, DatasetColumn.name == column)
            .values(pii_type=pii)
        )
    session.commit()


def file(client: TestClient, who: Actor, name: str, **over: Any) -> Any:
    body: dict[str, Any] = {
        "dataset": name,
        "purpose": "社保参保覆盖分析",
        "legal_basis": "《示范市公共数据管理办法》第二十条",
        "valid_until": until(),
    }
    body.update(over)
    return client.post("/api/sharing/requests", json=body, headers=who.headers)


@pytest.fixture
def gaj(session: Session) -> Actor:
    """The residents registry's owner: a data steward of 公安局 (SGA)."""
    return actor(session, Role.data_steward, "SGA")


@pytest.fixture
def rsj(session: Session) -> Actor:
    return actor(session, Role.data_steward, "SRS")


@pytest.fixture
def zsj(session: Session) -> Actor:
    """The consumer: a data steward of 数据局 (SZS)."""
    return actor(session, Role.data_steward, "SZS")


@pytest.fixture
def outsider(session: Session) -> Actor:
    """Staff of a department with no grant at all."""
    return actor(session, Role.officer, "SXX")


@pytest.fixture
def residents(client: TestClient, session: Session, gaj: Actor) -> str:
    dataset(client, session, gaj, "sga-residents", RESIDENTS_CSV)
    return "sga-residents"


@pytest.fixture
def insurance(client: TestClient, session: Session, rsj: Actor) -> str:
    dataset(client, session, rsj, "srs-insurance", INSURANCE_CSV)
    return "srs-insurance"


def approve(client: TestClient, owner: Actor, request_id: int, **over: Any) -> Any:
    body = {"reason": "用途与履职相关，符合最小必要原则"}
    body.update(over)
    return client.post(
        f"/api/sharing/requests/{request_id}/approve", json=body, headers=owner.headers
    )


def granted(client: TestClient, owner: Actor, consumer: Actor, name: str, **over: Any) -> int:
    r = file(client, consumer, name, **over)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending"
    r = approve(client, owner, r.json()["id"])
    assert r.status_code == 200, r.text
    return int(r.json()["id"])
