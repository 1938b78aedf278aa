"""The audit page as an administrator reads it: actions by name, a date range, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.audit.models import AuditRecord
from citybase.identity.enums import Role
from tests.factories import auth_headers, make_department, make_user

HTML = {"Accept": "text/html"}


def _records(session: Session) -> None:
    make_department(session, "CGJ", "城市管理局")
    for i, (action, day) in enumerate(
        [("datahub.dataset.create", 1), ("workflow.approve", 3), ("token.issue", 5)]
    ):
        rec = audit_service.record(
            session,
            actor=None,
            action=action,
            object_type="test",
            object_id=f"obj-{i}",
            department_code="CGJ",
        )
        session.flush()
        session.execute(
            update(AuditRecord)
            .where(AuditRecord.id == rec.id)
            .values(at=dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC))
        )
    session.commit()


def test_actions_have_names_and_departments_show_theirs(
    client: TestClient, session: Session
) -> None:
    _records(session)
    admin = make_user(session, Role.platform_admin)
    page = client.get("/audit", headers={**auth_headers(session, admin), **HTML}).text
    assert "新建数据集" in page and "签发 API 令牌" in page
    assert "批准" in page  # a workflow move by its label in the workflow file
    assert "城市管理局" in page
    assert '<option value="datahub.dataset.create"' in page


def test_date_range_filters_in_the_citys_days(client: TestClient, session: Session) -> None:
    _records(session)
    admin = make_user(session, Role.platform_admin)
    headers = {**auth_headers(session, admin), **HTML}
    page = client.get(
        "/audit", params={"since": "2026-03-02", "until": "2026-03-04"}, headers=headers
    ).text
    assert "obj-1" in page and "obj-0" not in page and "obj-2" not in page
    bad = client.get(
        "/audit", params={"since": "2026-03-04", "until": "2026-03-02"}, headers=headers
    )
    assert bad.status_code == 422 and "结束日期早于开始日期" in bad.text


def test_export_is_the_filtered_list_and_is_audited(client: TestClient, session: Session) -> None:
    _records(session)
    admin = make_user(session, Role.platform_admin)
    headers = auth_headers(session, admin)
    got = client.get(
        "/audit/export.csv", params={"action": "token.issue", "object_id": "obj-2"}, headers=headers
    )
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][0] == "序号"
    assert [r[5] for r in rows[1:]] == ["token.issue"] and rows[1][4] == "签发 API 令牌"
    exported = audit_service.query(db_session=session, viewer=admin, action="audit.export")
    assert len(exported) == 1


def test_department_admin_exports_only_their_department(
    client: TestClient, session: Session
) -> None:
    _records(session)
    make_department(session, "ZJJ", "住建局")
    other = make_user(session, Role.dept_admin, department_code="ZJJ")
    got = client.get("/audit/export.csv", headers=auth_headers(session, other))
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[1:] and {r[3] for r in rows[1:]} == {"住建局"}  # nothing of CGJ's
    citizen = make_user(session, Role.applicant)
    assert (
        client.get("/audit/export.csv", headers=auth_headers(session, citizen)).status_code == 403
    )
