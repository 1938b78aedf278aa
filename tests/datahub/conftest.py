"""Helpers for the data hub catalog tests: stewards, datasets and uploads through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.identity.enums import Role
from citybase.identity.models import User
from tests.factories import auth_headers, make_user


@dataclass
class Actor:
    user: User
    headers: dict[str, str]


def actor(session: Session, role: Role, department: str | None) -> Actor:
    user = make_user(session, role=role, department_code=department)
    return Actor(user=user, headers=auth_headers(session, user))


@pytest.fixture
def steward(session: Session) -> Actor:
    """A data steward of department DHA (数据测试局)."""
    return actor(session, Role.data_steward, "DHA")


@pytest.fixture
def other_steward(session: Session) -> Actor:
    return actor(session, Role.data_steward, "DHB")


@pytest.fixture
def officer(session: Session) -> Actor:
    """A staff user of another department, not a steward."""
    return actor(session, Role.officer, "DHC")


@pytest.fixture
def admin(session: Session) -> Actor:
    return actor(session, Role.platform_admin, None)


def dataset_body(name: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "title": "测试人口数据",
        "description": "用于测试的常住人口登记信息。",
        "theme": "population",
        "keywords": ["人口", "测试"],
        "update_frequency": "monthly",
        "licence": "gov-internal",
        "sharing_type": "conditional",
        "sharing_condition": "经审核后共享",
        "open_type": "not_open",
    }
    body.update(over)
    return body


def create(client: TestClient, who: Actor, name: str, **over: Any) -> dict[str, Any]:
    r = client.post("/api/datahub/datasets", json=dataset_body(name, **over), headers=who.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def upload(
    client: TestClient,
    who: Actor,
    name: str,
    content: bytes,
    filename: str = "data.csv",
    **form: str,
) -> Any:
    return client.post(
        f"/api/datahub/datasets/{name}/versions",
        files={"file": (filename, content)},
        data=form,
        headers=who.headers,
    )


RESIDENTS_CSV = (
    "公民身份号码,姓名,户籍地址,年龄\n"
    "11010519491231002X,张三,示范市东城区和平路1号,74\n"
    "110105194912310038,李四,示范市东城区和平路2号,74\n"
    "320102198001010016,王五,示范市西山区人民路8号,44\n"
).encode()
