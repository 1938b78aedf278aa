"""Factories: build the records a test needs, through the domains' own services."""

from __future__ import annotations

import itertools
import re

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.identity.models import Department, User

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery"


def make_department(session: Session, code: str | None = None, name_zh: str = "") -> Department:
    code = code or f"D{next(_counter):04d}"
    existing = session.scalar(select(Department).where(Department.code == code))
    if existing is not None:
        return existing
    dept = identity_service.create_department(
        db_session=session, actor=None, code=code, name_zh=name_zh or f"测试部门{code}"
    )
    session.commit()
    return dept


def make_user(
    session: Session,
    role: Role | str = Role.officer,
    department_code: str | None = None,
    username: str | None = None,
    password: str = PASSWORD,
) -> User:
    role = Role(role)
    if department_code is None and role not in (Role.platform_admin, Role.applicant):
        department_code = make_department(session).code
    elif department_code is not None:
        make_department(session, department_code)
    user = identity_service.create_user(
        db_session=session,
        actor=None,
        username=username or f"user{next(_counter)}",
        display_name="测试用户",
        password=password,
        role=role,
        department_code=department_code,
    )
    session.commit()
    return user


def auth_headers(session: Session, user: User, days: int = 1) -> dict[str, str]:
    token, _ = identity_service.issue_token(db_session=session, user=user, name="test", days=days)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def browser_login(
    client: TestClient, session: Session, role: Role, department: str | None = None
) -> User:
    """Sign a new user in through the login form: the client then carries the session cookie."""
    user = make_user(session, role=role, department_code=department)
    r = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "next": "/",
            "csrf_token": login_csrf_token(client),
        },
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return user


def login_csrf_token(client: TestClient | httpx.Client) -> str:
    """Open the sign-in page as a browser does: the client keeps its login CSRF cookie."""
    page = client.get("/login", headers={"Accept": "text/html"})
    return csrf_of(page.text)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
