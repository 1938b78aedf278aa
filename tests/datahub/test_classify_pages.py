"""The classification card, steward forms and the release report, as a steward uses them."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.identity.enums import Role
from tests.datahub.conftest import Actor, create, upload
from tests.datahub.test_classify_release import people_csv
from tests.factories import browser_login, csrf_of

HTML = {"Accept": "text/html"}


def test_steward_sees_grades_corrects_a_column_and_reads_a_release_report(
    client: TestClient, session: Session, steward: Actor
) -> None:
    create(client, steward, "dhq-people")
    assert upload(client, steward, "dhq-people", people_csv(300)).status_code == 201
    browser_login(client, session, Role.data_steward, "DHA")
    page = client.get("/datahub/datasets/dhq-people", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="pii-id_number"' in html and "CN_ID_CARD" in html
    assert "一般-4级" in html and "分类分级" in html
    # how each personal column would reach another department under a grant
    assert re.search(r'data-testid="shared-id_number">pseudonymise', html)
    assert re.search(r'data-testid="shared-mobile">mask', html)
    token = csrf_of(html)
    r = client.post(
        "/datahub/datasets/dhq-people/classify",
        data={
            "csrf_token": token,
            "column": "address",
            "pii_type": "none",
            "reason": "测试：网点地址",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303
    html = client.get("/datahub/datasets/dhq-people", headers=HTML).text
    assert "测试：网点地址" in html
    r = client.post(
        "/datahub/datasets/dhq-people/release",
        data={
            "csrf_token": token,
            "quasi_identifiers": "sex，birth_date",
            "open_type": "unconditional",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "/releases/" in r.headers["location"]
    report = client.get(r.headers["location"], headers=HTML)
    assert report.status_code == 200
    assert "未通过" in report.text and "id_number" in report.text
    assert 'data-testid="k"' in report.text
