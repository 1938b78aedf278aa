"""A small city for the generic API tests: two departments, a personal dataset owned by one,
a sharing request and a grant from the other, an assessment, a peer city and a data element.

Built through the domains' own APIs (``client``) so every object exists as a user made it.
Used by tests/api_suite.py and tests/core/test_schemathesis.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.assess.framework import load_framework
from citybase.identity.enums import Role
from citybase.jobs import enqueue
from tests.assess.builders import random_values
from tests.factories import make_department
from tests.sharing.conftest import RESIDENTS_CSV, Actor, actor, approve, dataset, file

OWNER_DEPT = "WOA"
OTHER_DEPT = "WOB"
THIRD_DEPT = "WOC"
DATASET = "woa-residents"
CITY = "320100"
PERIOD = "2025"


@dataclass
class World:
    admin: Actor
    owner: Actor  # data steward of OWNER_DEPT: owns the dataset, decides requests
    owner_officer: Actor  # an officer of OWNER_DEPT
    other: Actor  # data steward of OTHER_DEPT: files requests, holds the grant
    other_officer: Actor  # an officer of OTHER_DEPT (the department holding the grant)
    outsider: Actor  # an officer of THIRD_DEPT: no request, no grant, owns nothing
    analyst: Actor
    applicant: Actor
    ids: dict[str, Any] = field(default_factory=dict)

    def fill(self, template: str) -> str:
        """``/api/sharing/requests/{request_id}`` → a path to this world's object."""
        return template.format(**self.ids)


def build_world(client: TestClient, session: Session) -> World:
    make_department(session, OWNER_DEPT, "归属测试局")
    make_department(session, OTHER_DEPT, "他部门测试局")
    make_department(session, THIRD_DEPT, "无关测试局")
    w = World(
        admin=actor(session, Role.platform_admin, None),
        owner=actor(session, Role.data_steward, OWNER_DEPT),
        owner_officer=actor(session, Role.officer, OWNER_DEPT),
        other=actor(session, Role.data_steward, OTHER_DEPT),
        other_officer=actor(session, Role.officer, OTHER_DEPT),
        outsider=actor(session, Role.officer, THIRD_DEPT),
        analyst=actor(session, Role.analyst, OWNER_DEPT),
        applicant=actor(session, Role.applicant, None),
    )
    dataset(client, session, w.owner, DATASET, RESIDENTS_CSV)
    upstream = client.post(  # catalog metadata only: a lineage source
        "/api/datahub/datasets",
        json={
            "name": "woa-upstream",
            "title": "上游登记库",
            "theme": "population",
            "licence": "gov-internal",
            "sharing_type": "not_shared",
            "open_type": "not_open",
        },
        headers=w.owner.headers,
    )
    assert upstream.status_code == 201, upstream.text
    pending = file(client, w.other, DATASET)
    assert pending.status_code == 201, pending.text
    to_grant = file(client, w.other, DATASET, purpose="人口结构统计分析")
    assert to_grant.status_code == 201, to_grant.text
    grant = approve(client, w.owner, to_grant.json()["id"])
    assert grant.status_code == 200, grant.text

    fw = load_framework()
    for code, values in (("310000", random_values(fw, 2)), ("330100", {})):
        # 330100 reports nothing: a peer city without an index and so without a rank.
        peer = client.put(
            f"/api/assess/peers/{PERIOD}/{code}",
            json={"name": f"对标市{code}", "values": values},
            headers=w.analyst.headers,
        )
        assert peer.status_code == 200, peer.text
    body = {
        "city": {"code": CITY, "name": "示范市"},
        "period": PERIOD,
        "values": random_values(fw, 1),
        "robustness": {"draws": 100},
    }
    assessment = client.post("/api/assess/assessments", json=body, headers=w.analyst.headers)
    assert assessment.status_code == 201, assessment.text

    element = client.post(
        "/api/datahub/elements",
        json={"code": "woa_id_number", "name": "公民身份号码", "identifier_scheme": "gb11643"},
        headers=w.owner.headers,
    )
    assert element.status_code == 201, element.text
    binding = client.post(
        "/api/datahub/elements/woa_id_number/bindings",
        json={"dataset": DATASET, "column": "公民身份号码", "role": "authority"},
        headers=w.owner.headers,
    )
    assert binding.status_code == 201, binding.text
    # a queued job of the owning steward (no worker runs in these tests)
    job_id = enqueue(session, "datahub.sweep_uploads", {}, owner_id=w.owner.user.id)
    session.commit()
    tokens = client.get("/api/tokens", headers=w.owner_officer.headers)
    assert tokens.status_code == 200, tokens.text

    w.ids.update(
        name=DATASET,
        number=1,
        column="姓名",
        request_id=pending.json()["id"],
        grant_id=grant.json()["id"],
        assessment_id=assessment.json()["id"],
        city_code=CITY,
        period=PERIOD,
        code="310000",
        department_code=OWNER_DEPT,
        user_id=w.owner_officer.user.id,
        token_id=tokens.json()[0]["id"],
        element_code="woa_id_number",
        binding_id=binding.json()["id"],
        job_id=job_id,
        delivery_id=1,  # none exists: only refusals are checked
        domain="common",
        level="district",
        area_code="320102",  # no such area: geo objects are not in this world
        layout="city",
    )
    return w
