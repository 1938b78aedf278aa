"""Many users at once against a live server (uvicorn on loopback), on SQLite and PostgreSQL.

Threads fire authenticated reads (an open dataset, a department's own internal dataset,
whose reads are audited), sign-ins and writes (metadata edits, token issues) at the same
time. Nothing may answer 5xx, every write must land, and the audit chain must verify
afterwards with one record per audited act.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from citybase.audit import service as audit_service
from citybase.audit.models import AuditRecord
from citybase.db import make_engine, make_session_factory, session_scope, upgrade
from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.plugins import load_all_models
from citybase.settings import Settings
from tests.conftest import PG_ADMIN_URL, create_postgres_database, drop_postgres_database
from tests.live import LiveServer

PASSWORD = "live-load-password-1"
CSV = ("站点,区,PM25\n" + "".join(f"站{i},东城区,{i % 90}\n" for i in range(300))).encode()
THREADS = 16
SECONDS = 5.0


@pytest.fixture(params=["sqlite", "postgres"])
def live_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        yield Settings(data_dir=data_dir)
        return
    if PG_ADMIN_URL is None:
        pytest.skip("PostgreSQL not reachable (set CITYBASE_TEST_POSTGRES_URL to run these)")
    url, name = create_postgres_database()
    try:
        yield Settings(data_dir=data_dir, database_url=url)
    finally:
        drop_postgres_database(name)


def _city(settings: Settings) -> None:
    load_all_models()
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    with session_scope(make_session_factory(engine)) as s:
        identity_service.create_department(db_session=s, actor=None, code="LDA", name_zh="甲局")
        identity_service.create_department(db_session=s, actor=None, code="LDB", name_zh="乙局")
        for name, role, dept in [
            ("ld_steward", Role.data_steward, "LDA"),
            ("ld_officer", Role.officer, "LDB"),
        ] + [(f"ld_user{i}", Role.officer, "LDB") for i in range(4)]:
            identity_service.create_user(
                db_session=s,
                actor=None,
                username=name,
                display_name=name,
                password=PASSWORD,
                role=role,
                department_code=dept,
            )
    engine.dispose()


def _token(url: str, username: str) -> dict[str, str]:
    r = httpx.post(
        url + "/api/auth/token", json={"username": username, "password": PASSWORD}, timeout=30
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _dataset(url: str, headers: dict[str, str], name: str, open_type: str) -> None:
    body = {
        "name": name,
        "title": "空气质量监测站点" if open_type != "not_open" else "内部监测台账",
        "description": "负载测试数据集",
        "theme": "environment",
        "keywords": ["空气"],
        "update_frequency": "daily",
        "licence": "city-open" if open_type != "not_open" else "gov-internal",
        "sharing_type": "unconditional",
        "sharing_condition": "",
        "open_type": open_type,
    }
    r = httpx.post(url + "/api/datahub/datasets", json=body, headers=headers, timeout=30)
    assert r.status_code == 201, r.text
    r = httpx.post(
        f"{url}/api/datahub/datasets/{name}/versions",
        files={"file": ("stations.csv", CSV)},
        headers=headers,
        timeout=60,
    )
    assert r.status_code == 201, r.text


@pytest.mark.slow
def test_concurrent_reads_sign_ins_and_writes_never_fail(live_settings: Settings) -> None:
    _city(live_settings)
    server = LiveServer(live_settings)
    server.start()
    try:
        url = server.url
        steward = _token(url, "ld_steward")
        _dataset(url, steward, "ld-open", "unconditional")
        _dataset(url, steward, "ld-internal", "not_open")
        officer = _token(url, "ld_officer")

        statuses: Counter[tuple[str, int]] = Counter()
        failures: list[str] = []
        lock = threading.Lock()
        deadline = time.monotonic() + SECONDS
        edits = Counter[str]()

        def open_read(c: httpx.Client, i: int) -> httpx.Response:
            return c.get(
                "/api/datahub/datasets/ld-open/rows",
                params={"limit": 50, "offset": (i * 7) % 250},
                headers=officer,
            )

        def internal_read(c: httpx.Client, i: int) -> httpx.Response:
            return c.get(
                "/api/datahub/datasets/ld-internal/rows", params={"limit": 20}, headers=steward
            )

        def sign_in(c: httpx.Client, i: int) -> httpx.Response:
            return c.post(
                "/api/auth/token",
                json={"username": f"ld_user{i % 4}", "password": PASSWORD},
            )

        def edit(c: httpx.Client, i: int) -> httpx.Response:
            r = c.patch(
                "/api/datahub/datasets/ld-internal",
                json={"description": f"负载测试：线程{threading.get_ident()}第{i}次修改"},
                headers=steward,
            )
            if r.status_code == 200:
                with lock:
                    edits["ok"] += 1
            return r

        mix: list[tuple[str, Callable[[httpx.Client, int], httpx.Response]]] = [
            ("open_read", open_read),
            ("open_read", open_read),
            ("internal_read", internal_read),
            ("sign_in", sign_in),
            ("edit", edit),
        ]

        def worker(k: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as c:
                i = k
                while time.monotonic() < deadline and i < k + 400:
                    kind, call = mix[i % len(mix)]
                    try:
                        r = call(c, i)
                    except httpx.HTTPError as exc:  # a dropped connection is a failure too
                        with lock:
                            failures.append(f"{kind}: {exc!r}")
                        return
                    with lock:
                        statuses[(kind, r.status_code)] += 1
                        if r.status_code >= 500 or r.status_code not in (200, 201):
                            failures.append(f"{kind}: {r.status_code} {r.text[:200]}")
                    i += 1

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not failures, f"{len(failures)} failed requests, e.g. {failures[:5]}; {statuses}"
        kinds = {kind for kind, _ in statuses}
        assert kinds == {"open_read", "internal_read", "sign_in", "edit"}, statuses
        assert sum(statuses.values()) >= THREADS * 5
    finally:
        server.stop()

    engine = make_engine(live_settings.effective_database_url)
    with session_scope(make_session_factory(engine)) as s:
        result = audit_service.verify(db_session=s)
        assert result.ok, result
        edited = s.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(
                AuditRecord.action == "datahub.dataset.update",
                AuditRecord.object_id == "ld-internal",
            )
        )
        reads = s.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(
                AuditRecord.action == "datahub.rows.read", AuditRecord.object_id == "ld-internal"
            )
        )
    engine.dispose()
    assert edited == edits["ok"]
    assert reads == statuses[("internal_read", 200)]


@pytest.mark.slow
def test_the_same_dataset_created_at_once_has_one_winner(live_settings: Settings) -> None:
    """Eight stewards' clients create the same dataset at the same moment: one 201, the rest
    409 saying what happened — never a 500 from the unique key."""
    _city(live_settings)
    server = LiveServer(live_settings)
    server.start()
    try:
        steward = _token(server.url, "ld_steward")
        barrier = threading.Barrier(8)
        codes: list[int] = []
        bodies: list[dict[str, object]] = []

        def create(k: int) -> None:
            body = {
                "name": "ld-race",
                "title": "同时创建的数据集",
                "description": "并发测试",
                "theme": "environment",
                "keywords": ["并发"],
                "update_frequency": "daily",
                "licence": "gov-internal",
                "sharing_type": "unconditional",
                "sharing_condition": "",
                "open_type": "not_open",
            }
            with httpx.Client(base_url=server.url, timeout=60) as c:
                barrier.wait()
                r = c.post("/api/datahub/datasets", json=body, headers=steward)
            codes.append(r.status_code)
            bodies.append(r.json())

        threads = [threading.Thread(target=create, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        server.stop()
    assert sorted(codes) == [201] + [409] * 7, codes
    assert all(
        b["error"]["code"] in ("conflict", "concurrent_change")  # type: ignore[index]
        for b, c in zip(bodies, codes, strict=True)
        if c == 409
    )
