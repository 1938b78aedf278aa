"""The data hub's pages as a steward and an officer use them in a browser (cookie + CSRF)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.identity.enums import Role
from tests.datahub.conftest import RESIDENTS_CSV, Actor, create, upload
from tests.factories import PASSWORD, login_csrf_token, make_user

HTML = {"Accept": "text/html"}


def _login(client: TestClient, session: Session, role: Role, department: str | None) -> str:
    user = make_user(session, role=role, department_code=department)
    r = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "next": "/",
            "csrf_token": login_csrf_token(client),
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303
    return user.username


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_catalog_page_searches_and_offers_facets(
    client: TestClient, session: Session, steward: Actor
) -> None:
    create(client, steward, "dha-page", title="常住人口基础信息")
    create(
        client,
        steward,
        "dha-other",
        title="公交站点",
        theme="transport",
        description="站点",
        keywords=["公交"],
    )
    _login(client, session, Role.officer, "DHC")
    home = client.get("/", headers=HTML).text
    assert 'data-module="datahub"' in home
    page = client.get("/datahub", params={"q": "人口"}, headers=HTML)
    assert page.status_code == 200
    assert 'data-name="dha-page"' in page.text and 'data-name="dha-other"' not in page.text
    assert 'data-facet="department" data-value="DHA"' in page.text
    filtered = client.get("/datahub", params={"theme": "transport"}, headers=HTML).text
    assert 'data-name="dha-other"' in filtered and 'data-name="dha-page"' not in filtered
    english = client.get("/datahub", params={"lang": "en"}, headers=HTML).text
    assert "Data catalog" in english


def test_steward_creates_edits_and_uploads_through_forms(
    client: TestClient, session: Session
) -> None:
    _login(client, session, Role.data_steward, "DHA")
    form = client.get("/datahub/new", headers=HTML)
    assert form.status_code == 200
    token = _csrf(form.text)
    fields = {
        "csrf_token": token,
        "name": "dha-form",
        "department_code": "DHA",
        "title": "表单创建的数据",
        "description": "通过页面创建",
        "theme": "population",
        "update_frequency": "monthly",
        "licence": "gov-internal",
        "sharing_type": "conditional",
        "sharing_condition": "审核后共享",
        "open_type": "not_open",
        "keywords": "人口，测试 表单",
        "temporal_start": "",
    }
    bad = client.post("/datahub/new", data={**fields, "name": "Bad Name"}, headers=HTML)
    assert bad.status_code == 422 and 'data-testid="form-error"' in bad.text
    r = client.post("/datahub/new", data=fields, headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/datahub/datasets/dha-form"
    page = client.get("/datahub/datasets/dha-form", headers=HTML).text
    assert "表单创建的数据" in page and "人口、测试、表单" in page
    assert 'data-testid="upload-link"' in page

    upload_page = client.get("/datahub/datasets/dha-form/upload", headers=HTML)
    files = {"file": ("居民.csv", RESIDENTS_CSV)}
    r = client.post(
        "/datahub/datasets/dha-form/upload",
        data={"csrf_token": _csrf(upload_page.text)},
        files=files,
        headers=HTML,
    )
    assert r.status_code == 201, r.text
    assert 'data-testid="load-report"' in r.text and "第 1 版" in r.text

    edit = client.get("/datahub/datasets/dha-form/edit", headers=HTML)
    r = client.post(
        "/datahub/datasets/dha-form/edit",
        data={**fields, "csrf_token": _csrf(edit.text), "title": "改过的标题"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get("/datahub/datasets/dha-form", headers=HTML).text
    assert "改过的标题" in page
    assert 'data-testid="profile"' in page and 'data-column="年龄"' in page
    assert 'data-testid="preview"' in page and "张三" in page


def test_rejected_upload_page_shows_the_quality_report(
    client: TestClient, session: Session, steward: Actor
) -> None:
    create(client, steward, "dha-rej")
    client.put(
        "/api/datahub/datasets/dha-rej/rules",
        json={
            "rules": [{"kind": "range", "column": "年龄", "params": {"max": 50}, "blocking": True}]
        },
        headers=steward.headers,
    )
    _login(client, session, Role.data_steward, "DHA")
    form = client.get("/datahub/datasets/dha-rej/upload", headers=HTML)
    r = client.post(
        "/datahub/datasets/dha-rej/upload",
        data={"csrf_token": _csrf(form.text)},
        files={"file": ("a.csv", RESIDENTS_CSV)},
        headers=HTML,
    )
    assert r.status_code == 422
    assert 'data-testid="rejected-report"' in r.text and 'data-rule="range:年龄"' in r.text
    assert "no version was written" in r.text


def test_other_departments_see_metadata_but_not_values(
    client: TestClient, session: Session, steward: Actor
) -> None:
    create(client, steward, "dha-secret")
    assert upload(client, steward, "dha-secret", RESIDENTS_CSV).status_code == 201
    _login(client, session, Role.officer, "DHC")
    page = client.get("/datahub/datasets/dha-secret", headers=HTML)
    assert page.status_code == 200
    assert 'data-testid="no-access"' in page.text and "张三" not in page.text
    assert 'data-testid="upload-link"' not in page.text
    r = client.get("/datahub/datasets/dha-secret/upload", headers=HTML)
    assert r.status_code == 403


def test_elements_and_usage_pages(client: TestClient, session: Session, steward: Actor) -> None:
    from tests.datahub.test_elements import AUTHORITY_CSV

    create(client, steward, "dha-el")
    assert upload(client, steward, "dha-el", AUTHORITY_CSV).status_code == 201
    client.post(
        "/api/datahub/elements",
        json={"code": "addr_p", "name": "页面地址元"},
        headers=steward.headers,
    )
    client.post(
        "/api/datahub/elements/addr_p/bindings",
        json={
            "dataset": "dha-el",
            "column": "户籍地址",
            "role": "authority",
            "key_column": "公民身份号码",
        },
        headers=steward.headers,
    )
    _login(client, session, Role.data_steward, "DHA")
    listing = client.get("/datahub/elements", headers=HTML).text
    assert 'data-element="addr_p"' in listing and "dha-el" in listing
    detail = client.get("/datahub/elements/addr_p", headers=HTML)
    assert detail.status_code == 200 and "页面地址元" in detail.text
    assert client.get("/datahub/usage", headers=HTML).status_code == 200
