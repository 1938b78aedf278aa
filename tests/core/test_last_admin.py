"""The platform always keeps one active platform administrator: neither the API nor the
CLI (both through identity.service.update_user) may demote or deactivate the last one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.errors import Conflict
from citybase.identity import service
from citybase.identity.enums import Role
from tests.factories import auth_headers, make_user


@pytest.mark.parametrize("change", [{"role": "dept_admin"}, {"active": False}])
def test_api_refuses_to_remove_the_last_platform_admin(
    client: TestClient, session: Session, change: dict[str, object]
) -> None:
    boss = make_user(session, role=Role.platform_admin)
    r = client.patch(f"/api/users/{boss.id}", headers=auth_headers(session, boss), json=change)
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "last_platform_admin"
    assert "last active platform administrator" in error["message"]
    session.expire_all()
    again = service.get_user(db_session=session, user_id=boss.id)
    assert again.role == Role.platform_admin and again.active


def test_with_a_second_admin_the_first_may_step_down(client: TestClient, session: Session) -> None:
    boss = make_user(session, role=Role.platform_admin)
    make_user(session, role=Role.platform_admin)
    headers = auth_headers(session, boss)
    r = client.patch(
        f"/api/users/{boss.id}", headers=headers, json={"role": "platform_admin", "active": True}
    )
    assert r.status_code == 200
    r = client.patch(f"/api/users/{boss.id}", headers=headers, json={"active": False})
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False


def test_an_inactive_admin_does_not_count(session: Session) -> None:
    boss = make_user(session, role=Role.platform_admin)
    other = make_user(session, role=Role.platform_admin)
    service.update_user(db_session=session, actor=None, user_id=other.id, active=False)
    with pytest.raises(Conflict):
        service.update_user(db_session=session, actor=None, user_id=boss.id, role=Role.analyst)
    # an admin can still be reactivated and changes to other fields still work
    service.update_user(db_session=session, actor=None, user_id=boss.id, display_name="老板")
    assert boss.display_name == "老板"
