"""Errors people read on a page are Chinese first; the API keeps the English message and adds
the Chinese one where it exists."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.errors import PermissionDenied, ValidationFailed
from citybase.identity.enums import Role
from tests.factories import auth_headers, make_user


def test_an_error_speaks_the_readers_language() -> None:
    err = PermissionDenied("Not yours.", zh="不是您的。")
    assert err.message_for("zh-CN") == "不是您的。" and err.message_for("en") == "Not yours."
    plain = ValidationFailed("limit: must be positive", field="limit")
    assert plain.message_for("zh-CN") == "limit: must be positive"
    assert "message_zh" not in plain.as_dict()["error"]


def test_role_refusal_in_chinese_on_the_api(client: TestClient, session: Session) -> None:
    citizen = make_user(session, Role.applicant)
    got = client.get("/api/audit/records", headers=auth_headers(session, citizen))
    assert got.status_code == 403
    body = got.json()["error"]
    assert body["message"].startswith("This needs one of the roles")
    assert "部门管理员" in body["message_zh"] and "申请人" in body["message_zh"]


def test_error_page_has_a_chinese_headline_and_message(
    client: TestClient, session: Session
) -> None:
    citizen = make_user(session, Role.applicant)
    page = client.get("/audit", headers={**auth_headers(session, citizen), "Accept": "text/html"})
    assert page.status_code == 403
    assert "您没有权限执行此操作" in page.text and "此功能仅限" in page.text
    assert "This needs one of the roles" not in page.text
    english = client.get(
        "/audit?lang=en", headers={**auth_headers(session, citizen), "Accept": "text/html"}
    )
    assert "You are not allowed" in english.text and "This needs one of the roles" in english.text
