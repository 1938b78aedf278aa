"""Sharing pages in a browser session (cookie + CSRF): request form, approval queue,
approve with a reason, grant detail, the requester's status and the citizen's tracker."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.settings import Settings
from citybase.sharing import service
from tests.factories import PASSWORD, login_csrf_token, make_user
from tests.sharing.conftest import ZHANG, Actor, until

HTML = {"Accept": "text/html"}


def _login(client: TestClient, user: User) -> None:
    client.cookies.clear()
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


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_request_approve_and_see_the_grant(
    client: TestClient, session: Session, residents: str, gaj: Actor, zsj: Actor
) -> None:
    _login(client, zsj.user)
    form = client.get(f"/sharing/requests/new?dataset={residents}", headers=HTML)
    assert form.status_code == 200 and 'value="公民身份号码"' in form.text
    data = {
        "csrf_token": _csrf(form.text),
        "dataset": residents,
        "purpose": "社保参保覆盖分析",
        "legal_basis": "",
        "valid_until": until(),
        "columns": ["公民身份号码", "区"],
    }
    missing = client.post("/sharing/requests/new", data=data, headers=HTML)
    assert missing.status_code == 422 and "legal_basis" in missing.text
    data["legal_basis"] = "《示范市公共数据管理办法》"
    r = client.post("/sharing/requests/new", data=data, headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"], headers=HTML)
    assert 'data-status="pending"' in page.text and "approve-form" not in page.text

    _login(client, gaj.user)
    queue = client.get("/sharing/queue", headers=HTML)
    assert 'data-testid="queue-item"' in queue.text
    request_url = r.headers["location"]
    page = client.get(request_url, headers=HTML)
    assert 'data-testid="approve-form"' in page.text
    no_reason = client.post(
        f"{request_url}/approve",
        data={"csrf_token": _csrf(page.text), "columns": ["公民身份号码", "区"], "reason": ""},
        headers=HTML,
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    done = client.post(
        f"{request_url}/approve",
        data={"csrf_token": _csrf(page.text), "columns": ["公民身份号码"], "reason": "同意"},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303 and "/sharing/grants/" in done.headers["location"]
    grant = client.get(done.headers["location"], headers=HTML).text
    assert 'data-state="active"' in grant and "假名化" in grant

    _login(client, zsj.user)
    index = client.get("/sharing", headers=HTML).text
    assert 'data-status="granted"' in index and residents in index
    rows = client.get(f"/api/datahub/datasets/{residents}/rows", headers=HTML).json()
    assert [c["name"] for c in rows["columns"]] == ["公民身份号码"]  # narrowed by the owner


def test_citizen_page_and_module(
    client: TestClient, session: Session, settings: Settings, residents: str, gaj: Actor
) -> None:
    client.get(f"/api/datahub/datasets/{residents}/rows", headers=gaj.headers)
    citizen = make_user(session, role=Role.applicant)
    service.link_citizen(
        db_session=session,
        settings=settings,
        actor=None,
        username=citizen.username,
        id_number=ZHANG,
    )
    session.commit()
    _login(client, citizen)
    home = client.get("/", headers=HTML).text
    assert 'href="/sharing/tracker"' in home
    page = client.get("/sharing/tracker", headers=HTML)
    assert page.status_code == 200 and 'data-testid="tracker"' in page.text
    assert gaj.user.department is not None
    assert gaj.user.department.name_zh in page.text
    assert 'data-testid="lookup-form"' not in page.text  # citizens do not look others up
    assert client.get("/sharing", headers=HTML, follow_redirects=False).status_code == 303


def test_pages_speak_both_languages(
    client: TestClient, residents: str, zsj: Actor, gaj: Actor
) -> None:
    _login(client, zsj.user)
    for lang, title, hint in (
        ("zh-CN", "数据共享", "申请的字段"),
        ("en", "Data sharing", "Columns requested"),
    ):
        index = client.get(f"/sharing?lang={lang}", headers=HTML)
        assert index.status_code == 200 and title in index.text
        form = client.get(f"/sharing/requests/new?dataset={residents}&lang={lang}", headers=HTML)
        assert form.status_code == 200 and hint in form.text
        assert "sharing." not in form.text.replace("/sharing", "")  # no untranslated key
