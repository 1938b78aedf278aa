from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.db import make_session_factory, session_scope
from citybase.identity.enums import Role
from tests.factories import auth_headers, make_user


def _fill(session: Session, n: int = 5) -> None:
    for i in range(n):
        audit_service.record(
            session, actor=None, action="test.write", object_type="thing", object_id=str(i)
        )
    session.commit()


def test_chain_verifies(session: Session) -> None:
    _fill(session)
    result = audit_service.verify(db_session=session)
    assert result.ok and result.checked >= 5


def _tamper(session: Session, sql: str) -> None:
    session.execute(text(sql))
    session.commit()


def test_altered_record_is_named(session: Session) -> None:
    _fill(session)
    seq = session.execute(text("SELECT max(seq) - 2 FROM audit_record")).scalar_one()
    _tamper(session, f"UPDATE audit_record SET object_id = 'forged' WHERE seq = {seq}")
    result = audit_service.verify(db_session=session)
    assert not result.ok and result.first_broken_seq == seq
    assert "altered" in (result.reason or "")


def test_deleted_record_is_named(session: Session) -> None:
    _fill(session)
    seq = session.execute(text("SELECT max(seq) - 2 FROM audit_record")).scalar_one()
    _tamper(session, f"DELETE FROM audit_record WHERE seq = {seq}")
    result = audit_service.verify(db_session=session)
    assert not result.ok and result.first_broken_seq == seq + 1
    assert "missing" in (result.reason or "")


def test_deleted_and_renumbered_record_is_detected(session: Session) -> None:
    """A forger who deletes a record and renumbers the rest still breaks the links."""
    _fill(session)
    seq = session.execute(text("SELECT max(seq) - 2 FROM audit_record")).scalar_one()
    _tamper(session, f"DELETE FROM audit_record WHERE seq = {seq}")
    _tamper(session, f"UPDATE audit_record SET seq = seq - 1 WHERE seq > {seq}")
    result = audit_service.verify(db_session=session)
    assert not result.ok and result.first_broken_seq == seq


def test_reordered_records_are_detected(session: Session) -> None:
    _fill(session)
    top = session.execute(text("SELECT max(seq) FROM audit_record")).scalar_one()
    _tamper(session, f"UPDATE audit_record SET seq = -1 WHERE seq = {top}")
    _tamper(session, f"UPDATE audit_record SET seq = {top} WHERE seq = {top - 1}")
    _tamper(session, f"UPDATE audit_record SET seq = {top - 1} WHERE seq = -1")
    result = audit_service.verify(db_session=session)
    assert not result.ok and result.first_broken_seq == top - 1


def test_truncated_tail_is_detected(session: Session) -> None:
    _fill(session)
    _tamper(session, "DELETE FROM audit_record WHERE seq = (SELECT max(seq) FROM audit_record)")
    result = audit_service.verify(db_session=session)
    assert not result.ok and "removed from the end" in (result.reason or "")


def test_query_by_object_and_actor_for_admins_only(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.platform_admin, username="auditor")
    officer = make_user(session, role=Role.officer)
    headers = auth_headers(session, admin)
    r = client.get("/api/audit/records", params={"object_id": officer.username}, headers=headers)
    assert r.status_code == 200
    assert [x["action"] for x in r.json()] == ["user.create"]
    r = client.get("/api/audit/records", params={"actor": "auditor"}, headers=headers)
    assert {x["action"] for x in r.json()} >= {"token.issue"}
    assert r.json()[0]["request_id"] is None or len(r.json()[0]["request_id"]) > 0
    assert (
        client.get("/api/audit/records", headers=auth_headers(session, officer)).status_code == 403
    )


def test_request_id_is_recorded(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.platform_admin)
    headers = auth_headers(session, admin) | {"X-Request-ID": "req-abc-123"}
    r = client.post("/api/departments", headers=headers, json={"code": "RQ1", "name_zh": "某局"})
    assert r.status_code == 201 and r.headers["x-request-id"] == "req-abc-123"
    rec = client.get(
        "/api/audit/records", params={"object_id": "RQ1"}, headers=auth_headers(session, admin)
    ).json()[0]
    assert rec["request_id"] == "req-abc-123" and rec["actor_name"] == admin.username


def test_concurrent_writers_never_fork_the_chain(engine: Engine) -> None:
    """Two threads appending at once still leave one unbroken chain (real commits)."""
    import threading

    factory = make_session_factory(engine)
    errors: list[BaseException] = []

    def worker(tag: str) -> None:
        try:
            for i in range(15):
                with session_scope(factory) as s:
                    audit_service.record(
                        s, actor=None, action="test.concurrent", object_type=tag, object_id=str(i)
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"t{k}",)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with session_scope(factory) as s:
        assert audit_service.verify(db_session=s).ok
        s.execute(text("DELETE FROM audit_record WHERE action = 'test.concurrent'"))
        # restore the head so other tests on this database still verify
        last = s.execute(
            text("SELECT seq, hash FROM audit_record ORDER BY seq DESC LIMIT 1")
        ).first()
        s.execute(
            text("UPDATE audit_head SET seq = :s, last_hash = :h WHERE id = 1"),
            {"s": last[0] if last else 0, "h": last[1] if last else "0" * 64},
        )
