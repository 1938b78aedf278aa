from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.identity.enums import Role
from citybase.identity.models import ApiToken
from tests.factories import PASSWORD, auth_headers, make_department, make_user


def test_unauthenticated_calls_are_refused(client: TestClient) -> None:
    for path in ("/api/me", "/api/users", "/api/departments", "/api/tokens", "/api/audit/records"):
        r = client.get(path)
        assert r.status_code == 401, path
        assert r.json()["error"]["code"] == "authentication_required"


def test_password_exchange_and_me(client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.officer, username="li.na")
    r = client.post("/api/auth/token", json={"username": "li.na", "password": PASSWORD})
    assert r.status_code == 201
    token = r.json()["token"]
    assert token.startswith("cb_")
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "li.na" and me["department_code"] == user.department_code
    # Only a hash is stored.
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored


def test_wrong_password_is_refused_and_audited(client: TestClient, session: Session) -> None:
    make_user(session, username="wang")
    r = client.post("/api/auth/token", json={"username": "wang", "password": "nope-nope"})
    assert r.status_code == 401
    body = r.json()["error"]
    assert body["code"] == "invalid_credentials" and body["field"] == "password"
    admin = make_user(session, role=Role.platform_admin)
    recs = client.get(
        "/api/audit/records",
        params={"action": "auth.login_failed", "object_id": "wang"},
        headers=auth_headers(session, admin),
    ).json()
    assert len(recs) == 1


def test_expired_and_revoked_tokens_are_refused(client: TestClient, session: Session) -> None:
    user = make_user(session)
    headers = auth_headers(session, user)
    assert client.get("/api/me", headers=headers).status_code == 200
    row = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    session.commit()
    r = client.get("/api/me", headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_expired"

    headers2 = auth_headers(session, user)
    tokens = client.get("/api/tokens", headers=headers2).json()
    newest = max(tokens, key=lambda t: t["id"])
    assert client.delete(f"/api/tokens/{newest['id']}", headers=headers2).status_code == 200
    r = client.get("/api/me", headers=headers2)
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_revoked"


def test_malformed_authorization_header(client: TestClient) -> None:
    r = client.get("/api/me", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    assert r.json()["error"]["field"] == "Authorization"


def test_department_admin_cannot_act_on_another_department(
    client: TestClient, session: Session
) -> None:
    make_department(session, "AAA")
    make_department(session, "BBB")
    admin_a = make_user(session, role=Role.dept_admin, department_code="AAA")
    officer_b = make_user(session, role=Role.officer, department_code="BBB")
    headers = auth_headers(session, admin_a)

    r = client.post(
        "/api/users",
        headers=headers,
        json={
            "username": "intruder",
            "display_name": "x",
            "password": "long-enough-pw",
            "role": "officer",
            "department_code": "BBB",
        },
    )
    assert r.status_code == 403
    assert "another department" in r.json()["error"]["message"]

    r = client.patch(f"/api/users/{officer_b.id}", headers=headers, json={"active": False})
    assert r.status_code == 403

    # ... but within their own department it works, and the list shows only their staff.
    r = client.post(
        "/api/users",
        headers=headers,
        json={
            "username": "newhire",
            "display_name": "新同事",
            "password": "long-enough-pw",
            "role": "officer",
            "department_code": "AAA",
        },
    )
    assert r.status_code == 201
    listed = {u["username"] for u in client.get("/api/users", headers=headers).json()}
    assert "newhire" in listed and officer_b.username not in listed


def test_department_admin_cannot_grant_platform_admin(client: TestClient, session: Session) -> None:
    admin_a = make_user(session, role=Role.dept_admin, department_code="CCC")
    officer = make_user(session, role=Role.officer, department_code="CCC")
    r = client.patch(
        f"/api/users/{officer.id}",
        headers=auth_headers(session, admin_a),
        json={"role": "platform_admin"},
    )
    assert r.status_code == 403


def test_officer_cannot_list_users_or_create_departments(
    client: TestClient, session: Session
) -> None:
    officer = make_user(session, role=Role.officer)
    headers = auth_headers(session, officer)
    assert client.get("/api/users", headers=headers).status_code == 403
    r = client.post("/api/departments", headers=headers, json={"code": "X1", "name_zh": "某局"})
    assert r.status_code == 403


def test_unknown_department_code_is_named(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.platform_admin)
    r = client.post(
        "/api/users",
        headers=auth_headers(session, admin),
        json={
            "username": "someone",
            "display_name": "x",
            "password": "long-enough-pw",
            "role": "officer",
            "department_code": "NOPE",
        },
    )
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["field"] == "department_code" and "NOPE" in err["message"]


def test_validation_errors_name_the_field(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.platform_admin)
    r = client.post(
        "/api/users",
        headers=auth_headers(session, admin),
        json={"username": "a b", "display_name": "x", "password": "short", "role": "officer"},
    )
    assert r.status_code == 422
    assert r.json()["error"]["field"] in ("username", "password")


def test_disabling_a_user_revokes_their_tokens(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.platform_admin)
    officer = make_user(session)
    officer_headers = auth_headers(session, officer)
    r = client.patch(
        f"/api/users/{officer.id}", headers=auth_headers(session, admin), json={"active": False}
    )
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/api/me", headers=officer_headers).status_code == 401
