"""The data tracker: a citizen sees who read records about them; nobody else's; officers
look up on a citizen's behalf with a purpose, and that is audited."""

from __future__ import annotations

import datetime as dt

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.identifiers.idcard import generate_id_number
from citybase.identity.enums import Role
from citybase.settings import Settings
from citybase.sharing import service
from citybase.sharing.models import CitizenLink, SubjectAccess
from citybase.sharing.tracker import DB_SUBJECTS
from tests.sharing.conftest import LI, WANG, ZHANG, Actor, actor, dataset, granted

TRACKER = "/api/sharing/tracker/me"


def _citizen(session: Session, settings: Settings, id_number: str) -> Actor:
    who = actor(session, Role.applicant, None)
    service.link_citizen(
        db_session=session,
        settings=settings,
        actor=None,
        username=who.user.username,
        id_number=id_number,
    )
    session.commit()
    return who


def test_citizen_sees_which_department_read_them_and_why(
    client: TestClient,
    session: Session,
    settings: Settings,
    residents: str,
    gaj: Actor,
    zsj: Actor,
) -> None:
    gid = granted(
        client, gaj, zsj, residents, row_filter=[{"column": "区", "op": "eq", "value": "东城区"}]
    )
    zhang = _citizen(session, settings, ZHANG)
    wang = _citizen(session, settings, WANG)
    assert client.get(TRACKER, headers=zhang.headers).json()["entries"] == []
    r = client.get(
        f"/api/datahub/datasets/{residents}/rows",
        params={"purpose": "核对参保名单"},
        headers=zsj.headers,
    )
    assert r.status_code == 200 and r.json()["total"] == 2
    entries = client.get(TRACKER, headers=zhang.headers).json()["entries"]
    assert len(entries) == 1
    seen = entries[0]
    assert seen["department"] == "SZS" and seen["dataset"] == residents
    assert seen["purpose"] == "核对参保名单" and seen["grant_id"] == gid
    assert seen["legal_basis"].startswith("《示范市公共数据管理办法》")
    # 王五 lives in 西山区: the grant's filter kept his row out, so nothing was read about him
    assert client.get(TRACKER, headers=wang.headers).json()["entries"] == []
    # the owner's own reads show too, as its own duty (no grant)
    client.get(f"/api/datahub/datasets/{residents}/rows", headers=gaj.headers)
    wang_entries = client.get(TRACKER, headers=wang.headers).json()["entries"]
    assert [(e["department"], e["grant_id"]) for e in wang_entries] == [("SGA", None)]


def test_no_id_numbers_are_stored(
    client: TestClient, session: Session, settings: Settings, residents: str, gaj: Actor
) -> None:
    client.get(f"/api/datahub/datasets/{residents}/rows", headers=gaj.headers)
    _citizen(session, settings, LI)
    stored = session.scalars(select(CitizenLink.token)).all()
    assert stored and all(LI not in t and t.startswith("tracker1:") for t in stored)
    details = " ".join(session.scalars(select(AuditRecord.detail)).all())
    assert ZHANG not in details and LI not in details


def test_a_citizen_cannot_see_another_citizens_reads(
    client: TestClient, session: Session, settings: Settings, residents: str, gaj: Actor
) -> None:
    client.get(f"/api/datahub/datasets/{residents}/rows", headers=gaj.headers)
    zhang = _citizen(session, settings, ZHANG)
    r = client.post(
        "/api/sharing/tracker/lookup",
        json={"id_number": LI, "purpose": "想看看"},
        headers=zhang.headers,
    )
    assert r.status_code == 403
    unlinked = actor(session, Role.applicant, None)
    r = client.get(TRACKER, headers=unlinked.headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_linked"


def test_officer_looks_up_on_behalf_with_a_purpose_and_is_audited(
    client: TestClient, session: Session, residents: str, gaj: Actor
) -> None:
    client.get(f"/api/datahub/datasets/{residents}/rows", headers=gaj.headers)
    officer = actor(session, Role.officer, "SCK")
    url = "/api/sharing/tracker/lookup"
    no_purpose = client.post(url, json={"id_number": ZHANG}, headers=officer.headers)
    assert no_purpose.status_code == 422 and no_purpose.json()["error"]["field"] == "purpose"
    bad = client.post(url, json={"id_number": "123", "purpose": "窗口"}, headers=officer.headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "id_number"
    r = client.post(
        url, json={"id_number": ZHANG, "purpose": "市民张三在窗口申请查询"}, headers=officer.headers
    )
    assert gaj.user.department is not None
    assert r.status_code == 200 and r.json()["departments"] == [gaj.user.department.name_zh]
    audit = session.scalars(
        select(AuditRecord).where(AuditRecord.action == "sharing.tracker.lookup")
    ).one()
    assert audit.actor_id == officer.user.id and audit.purpose == "市民张三在窗口申请查询"
    assert ZHANG not in audit.object_id + audit.detail


def test_a_large_download_goes_to_a_ledger_file_and_is_found(
    client: TestClient,
    session: Session,
    settings: Settings,
    gaj: Actor,
    zsj: Actor,
) -> None:
    rng = np.random.default_rng(7)
    born = dt.date(1980, 1, 1)
    people = [
        generate_id_number(rng, "110105", born + dt.timedelta(days=i // 1000), sequence=i % 1000)
        for i in range(DB_SUBJECTS + 500)
    ]
    content = "公民身份号码,区\n" + "".join(f"{p},东城区\n" for p in people)
    dataset(client, session, gaj, "sga-many", content.encode())
    granted(client, gaj, zsj, "sga-many")
    r = client.get("/api/datahub/datasets/sga-many/download", headers=zsj.headers)
    assert r.status_code == 200
    access = session.scalars(
        select(SubjectAccess).where(SubjectAccess.dataset_name == "sga-many")
    ).one()
    assert access.ledger_file and access.subjects == len(people)
    assert (settings.data_dir / access.ledger_file).is_file()
    citizen = _citizen(session, settings, people[1234])
    entries = client.get(TRACKER, headers=citizen.headers).json()["entries"]
    assert [(e["dataset"], e["channel"], e["rows"]) for e in entries] == [
        ("sga-many", "download", len(people))
    ]
