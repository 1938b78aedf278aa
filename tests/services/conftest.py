"""A small city for the services tests: the registries the catalogue reads, loaded through the
data hub's API under the demo's dataset names and department codes, standing grants filed by
the service departments' system accounts and approved by each owner's data steward."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.identifiers.idcard import id_number_check_digit
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.services.ruletests import library
from citybase.services.standing import request_standing_grants
from citybase.settings import Settings
from tests.factories import auth_headers, make_department, make_user


def id_number(first17: str) -> str:
    return first17 + id_number_check_digit(first17)


WANG = id_number("11010519400305002")  # 王秀英, 86, the city's hukou: old-age allowance
LI = id_number("32010219900101001")  # 李明, hukou elsewhere, insured: residence permit
ZHANG = id_number("11010519640501001")  # 张伟, 62, insured 1990: retirement; owns a flat
CHEN = id_number("11010519950601002")  # 陈静, 31, no home: newborn, sole trader

RESIDENTS = (
    "id_number,name,sex,birth_date,address,hukou_address,marital_status\n"
    f"{WANG},王秀英,女,1940-03-05,示范市东城区和平路1号,示范市东城区和平路1号,丧偶\n"
    f"{LI},李明,男,1990-01-01,示范市西山区人民路8号,江苏省南京市玄武区中山路1号,未婚\n"
    f"{ZHANG},张伟,男,1964-05-01,示范市东城区和平路3号,示范市东城区和平路3号,已婚\n"
    f"{CHEN},陈静,女,1995-06-01,示范市南湖区湖滨路6号,示范市南湖区湖滨路6号,已婚\n"
)
INSURANCE = (
    "公民身份号码,姓名,参保险种,参保日期,缴费状态\n"
    f"{LI},李明,职工基本养老保险,2024-01-01,正常缴费\n"
    f"{ZHANG},张伟,职工基本养老保险,1990-07-01,正常缴费\n"
)
ALLOWANCE = f"公民身份号码,姓名,年龄,月津贴标准\n{id_number('11010519300101001')},赵大爷,96,1000\n"
REAL_ESTATE = f"权利人证件号码,不动产单元号,建筑面积\n{ZHANG},110105001001GB00001F00010001,96.5\n"
HOUSING = f"申请人公民身份号码,家庭人数\n{id_number('11010519800101001')},3\n"

DATASETS: dict[str, tuple[str, str]] = {
    "gaj-residents": ("GAJ", RESIDENTS),
    "rsj-social-insurance": ("RSJ", INSURANCE),
    "mzj-elderly-allowance": ("MZJ", ALLOWANCE),
    "ghzy-real-estate": ("GHZY", REAL_ESTATE),
    "zjj-public-housing": ("ZJJ", HOUSING),
}


@dataclass
class Actor:
    user: User
    headers: dict[str, str]


def actor(session: Session, role: Role, department: str | None = None, **kw: Any) -> Actor:
    user = make_user(session, role=role, department_code=department, **kw)
    return Actor(user, auth_headers(session, user))


@dataclass
class City:
    stewards: dict[str, Actor]
    officers: dict[str, Actor]
    admin: Actor

    def citizen(self, session: Session) -> Actor:
        return actor(session, Role.applicant)


def load(client: TestClient, owner: Actor, name: str, content: str) -> None:
    body = {
        "name": name,
        "title": f"测试 {name}",
        "description": "一网通办测试数据。",
        "theme": "population",
        "keywords": ["测试"],
        "update_frequency": "monthly",
        "licence": "gov-internal",
        "sharing_type": "conditional",
        "sharing_condition": "经审核后共享",
        "open_type": "not_open",
    }
    r = client.post("/api/datahub/datasets", json=body, headers=owner.headers)
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/datahub/datasets/{name}/versions",
        files={"file": ("data.csv", content.encode())},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text


def build_city(
    client: TestClient, session: Session, settings: Settings, approve: bool = True
) -> City:
    for item in library(settings).catalogue.items:
        make_department(session, item.department)
    owners = sorted({d for d, _ in DATASETS.values()})
    stewards = {d: actor(session, Role.data_steward, d) for d in owners}
    for name, (dept, content) in DATASETS.items():
        load(client, stewards[dept], name, content)
    ids = request_standing_grants(
        db_session=session,
        settings=settings,
        data_dir=settings.data_dir,
        catalogue=library(settings).catalogue,
    )
    session.commit()
    if approve:
        for rid in ids:
            r = client.get(f"/api/sharing/requests/{rid}", headers=stewards["GAJ"].headers)
            owner = r.json()["owner_department"] if r.status_code == 200 else None
            if owner is None:
                for s in stewards.values():
                    r = client.get(f"/api/sharing/requests/{rid}", headers=s.headers)
                    if r.status_code == 200:
                        owner = r.json()["owner_department"]
                        break
            assert owner is not None
            r = client.post(
                f"/api/sharing/requests/{rid}/approve",
                json={"reason": "同意：免于提交，最小必要"},
                headers=stewards[owner].headers,
            )
            assert r.status_code == 200, r.text
    officers = {d: actor(session, Role.officer, d) for d in ("MZJ", "GAJ", "ZJJ", "RSJ", "SCJG")}
    return City(stewards, officers, actor(session, Role.platform_admin))


@pytest.fixture
def city(client: TestClient, session: Session, settings: Settings) -> City:
    return build_city(client, session, settings)
