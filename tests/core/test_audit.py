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


def _last_lane(session: Session) -> tuple[int, int]:
    """(lane, its last seq) of the newest record: _fill's records all went there."""
    lane = session.execute(
        text("SELECT lane FROM audit_record ORDER BY id DESC LIMIT 1")
    ).scalar_one()
    top = session.execute(
        text(f"SELECT max(seq) FROM audit_record WHERE lane = {lane}")
    ).scalar_one()
    return int(lane), int(top)


def _fill_one_lane(session: Session, n: int = 5) -> tuple[int, int]:
    """n records in one transaction, hence one lane; returns (lane, last seq)."""
    for i in range(n):
        audit_service.record(
            session, actor=None, action="test.write", object_type="thing", object_id=str(i)
        )
    session.commit()
    return _last_lane(session)


def test_altered_record_is_named(session: Session) -> None:
    lane, top = _fill_one_lane(session)
    seq = top - 2
    _tamper(
        session,
        f"UPDATE audit_record SET object_id = 'forged' WHERE lane = {lane} AND seq = {seq}",
    )
    result = audit_service.verify(db_session=session)
    assert not result.ok and result.first_broken_seq == seq and result.lane == lane
    assert "altered" in (result.reason or "")


def test_deleted_record_is_named(session: Session) -> None:
    lane, top = _fill_one_lane(session)
    seq = top - 2
    _tamper(session, f"DELETE FROM audit_record WHERE lane = {lane} AND seq = {seq}")
    result = audit_service.verify(db_session=session)
    assert not result.ok and result.first_broken_seq == seq + 1
    assert "missing" in (result.reason or "")


def test_deleted_and_renumbered_record_is_detected(session: Session) -> None:
    """A forger who deletes a record and renumbers the rest still breaks the links."""
    lane, top = _fill_one_lane(session)
    seq = top - 2
    _tamper(session, f"DELETE FROM audit_record WHERE lane = {lane} AND seq = {seq}")
    # renumber in two steps: a unique (lane, seq) is checked row by row, in no set order
    _tamper(session, f"UPDATE audit_record SET seq = -seq WHERE lane = {lane} AND seq > {seq}")
    _tamper(session, f"UPDATE audit_record SET seq = -seq - 1 WHERE lane = {lane} AND seq < 0")
    result = audit_service.verify(db_session=session)
    assert not result.ok and result.first_broken_seq == seq


def test_reordered_records_are_detected(session: Session) -> None:
    lane, top = _fill_one_lane(session)
    where = f"lane = {lane} AND seq"
    _tamper(session, f"UPDATE audit_record SET seq = -1 WHERE {where} = {top}")
    _tamper(session, f"UPDATE audit_record SET seq = {top} WHERE {where} = {top - 1}")
    _tamper(session, f"UPDATE audit_record SET seq = {top - 1} WHERE {where} = -1")
    result = audit_service.verify(db_session=session)
    assert not result.ok and result.first_broken_seq == top - 1


def test_truncated_tail_is_detected(session: Session) -> None:
    lane, top = _fill_one_lane(session)
    _tamper(session, f"DELETE FROM audit_record WHERE lane = {lane} AND seq = {top}")
    result = audit_service.verify(db_session=session)
    assert not result.ok and "removed from the end" in (result.reason or "")


def test_record_moved_to_another_lane_is_detected(session: Session) -> None:
    """Lanes start from different genesis hashes: a record moved across lanes no longer links."""
    lane, top = _fill_one_lane(session)
    other = 2 if lane == 1 else 1
    other_top = session.execute(text(f"SELECT seq FROM audit_head WHERE id = {other}")).scalar_one()
    _tamper(
        session,
        f"UPDATE audit_record SET lane = {other}, seq = {other_top + 1} "
        f"WHERE lane = {lane} AND seq = {top}",
    )
    _tamper(session, f"UPDATE audit_head SET seq = {other_top + 1} WHERE id = {other}")
    result = audit_service.verify(db_session=session)
    assert not result.ok


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
        restore_heads(s)


def restore_heads(s: Session) -> None:
    """Point every lane's head at its last remaining record (after a test deleted some),
    so other tests on this database still verify."""
    for lane in s.execute(text("SELECT id FROM audit_head")).scalars().all():
        last = s.execute(
            text("SELECT seq, hash FROM audit_record WHERE lane = :l ORDER BY seq DESC LIMIT 1"),
            {"l": lane},
        ).first()
        s.execute(
            text("UPDATE audit_head SET seq = :s, last_hash = :h WHERE id = :l"),
            {
                "s": last[0] if last else 0,
                "h": last[1] if last else audit_service.genesis_hash(lane),
                "l": lane,
            },
        )
