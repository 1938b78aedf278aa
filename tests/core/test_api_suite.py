"""The generic API tests of tests/api_suite.py, run over every /api endpoint on both backends.

The world (tests/world.py) is built once per module and backend; each test runs inside a
SAVEPOINT of that world's transaction and is rolled back, so tests never see each other's
writes (the same isolation tests/conftest.py gives, without rebuilding the world 700 times).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from citybase.app import create_app, iter_routes
from citybase.audit.models import AuditRecord
from citybase.settings import Settings
from citybase.web.openapi import MAX_ID
from tests.api_suite import ELSEWHERE, ENDPOINTS, PUBLIC, Endpoint
from tests.world import World, build_world

BY_ID = {ep.id: ep for ep in ENDPOINTS}


@pytest.fixture(scope="module")
def suite_connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture(scope="module")
def suite_app(
    engine: Engine, suite_connection: Connection, tmp_path_factory: pytest.TempPathFactory
) -> FastAPI:
    factory = sessionmaker(
        bind=suite_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("suite"),
        database_url=engine.url.render_as_string(hide_password=False),
    )
    app = create_app(settings, session_factory=factory)
    app.state.suite_session_factory = factory
    return app


@pytest.fixture(scope="module")
def suite_client(suite_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(suite_app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def world(suite_app: FastAPI, suite_client: TestClient) -> World:
    session = suite_app.state.suite_session_factory()
    try:
        return build_world(suite_client, session)
    finally:
        session.close()


@pytest.fixture
def api(
    world: World, suite_connection: Connection, suite_client: TestClient
) -> Iterator[TestClient]:
    savepoint = suite_connection.begin_nested()
    yield suite_client
    if savepoint.is_active:
        savepoint.rollback()


def _call(client: TestClient, ep: Endpoint, world: World, who: str | None, **over: Any) -> Any:
    headers = getattr(world, who).headers if who else {}
    kwargs: dict[str, Any] = {"headers": headers, "params": over.get("params", ep.params)}
    body = over.get("json", ep.json_for(world))
    if ep.files is not None and "json" not in over:
        kwargs["files"] = dict(ep.files)
    elif body is not None or ep.method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = body if body is not None else {}
    return client.request(ep.method, ep.url(world), follow_redirects=False, **kwargs)


def _error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "field"} <= set(body["error"]), body
    assert body["error"]["message"], body
    return dict(body["error"])


def _audit_count(world_session: Session) -> int:
    return int(world_session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def _ids(endpoints: list[Endpoint]) -> list[str]:
    return [ep.id for ep in endpoints]


# --- every operation is described ------------------------------------------------------


def _api_operations(app: FastAPI) -> set[str]:
    ops = set()
    for route in iter_routes(app.routes):
        if isinstance(route, APIRoute) and route.path.startswith("/api"):
            ops |= {f"{m} {route.path}" for m in route.methods if m != "HEAD"}
    return ops


def test_every_api_operation_is_described_or_public_with_a_reason(suite_app: FastAPI) -> None:
    described = set(BY_ID) | set(PUBLIC) | set(ELSEWHERE)
    root = Path(__file__).resolve().parents[2]
    absent = sorted({m for m in ELSEWHERE.values() if not (root / m).is_file()})
    assert absent == [], f"ELSEWHERE names test modules that do not exist: {absent}"
    operations = _api_operations(suite_app)
    assert len(operations) > 80
    missing = sorted(operations - described)
    assert missing == [], (
        "Describe these operations in tests/api_suite.py ENDPOINTS "
        f"(or list them in PUBLIC with a reason, or in ELSEWHERE with their tests): {missing}"
    )
    stale = sorted(described - operations)
    assert stale == [], f"tests/api_suite.py describes operations that do not exist: {stale}"
    assert all(reason.strip() for reason in PUBLIC.values())
    assert len(BY_ID) == len(ENDPOINTS), "an operation is described twice"


# --- the generic tests ------------------------------------------------------------------


@pytest.mark.parametrize("ep", ENDPOINTS, ids=_ids(ENDPOINTS))
def test_anonymous_caller_is_refused(api: TestClient, world: World, ep: Endpoint) -> None:
    r = _call(api, ep, world, None)
    assert r.status_code == ep.anonymous, r.text
    if ep.anonymous == 401:
        assert _error_of(r)["code"] == "authentication_required"
    elif ep.anonymous == 404:
        assert _error_of(r)["code"] == "not_found"  # existence does not leak


REFUSED = [ep for ep in ENDPOINTS if ep.refused_as]


@pytest.mark.parametrize("ep", REFUSED, ids=_ids(REFUSED))
def test_user_of_another_department_or_role_is_refused(
    api: TestClient, world: World, ep: Endpoint
) -> None:
    r = _call(api, ep, world, ep.refused_as)
    if ep.scoped_list and r.status_code == 200:
        assert world.ids["name"] not in r.text, r.text  # none of the world's objects
        return
    assert r.status_code in (403, 404), r.text
    _error_of(r)


BAD = [ep for ep in ENDPOINTS if ep.bad]


@pytest.mark.parametrize("ep", BAD, ids=_ids(BAD))
def test_a_bad_field_is_a_422_naming_it(api: TestClient, world: World, ep: Endpoint) -> None:
    assert ep.bad is not None
    payload, field = ep.bad
    who = ep.ok_as or "admin"
    if ep.bad_in == "query":
        r = _call(api, ep, world, who, params=payload)
    else:
        r = _call(api, ep, world, who, json=payload)
    assert r.status_code == 422, r.text
    error = _error_of(r)
    assert error["code"] == "validation_error"
    assert error["field"] == field, error
    assert field.split(".")[-1] in error["message"], error


ALLOWED = [ep for ep in ENDPOINTS if ep.ok_as]


@pytest.mark.parametrize("ep", ALLOWED, ids=_ids(ALLOWED))
def test_allowed_call_succeeds_and_every_write_is_audited(
    api: TestClient, world: World, suite_app: FastAPI, ep: Endpoint
) -> None:
    session = suite_app.state.suite_session_factory()
    try:
        before = _audit_count(session)
        r = _call(api, ep, world, ep.ok_as)
        assert r.status_code == ep.ok_status, r.text
        after = _audit_count(session)
    finally:
        session.close()
    if ep.is_audited:
        assert after > before, f"{ep.id} answered {r.status_code} without an audit record"


# --- the contract every route shares ------------------------------------------------------


def test_every_integer_parameter_is_bounded(suite_app: FastAPI) -> None:
    """An unbounded int path/query parameter reaches the database as a 500 beyond 64 bits."""
    unbounded = []
    for route in iter_routes(suite_app.routes):
        if not isinstance(route, APIRoute) or not route.path.startswith("/api"):
            continue
        for param in route.dependant.path_params + route.dependant.query_params:
            if param.field_info.annotation not in (int, int | None):
                continue
            bounds = [
                getattr(m, "le", None) or getattr(m, "lt", None) for m in param.field_info.metadata
            ]
            # 64-bit columns (the audit log's and the event outbox's ids) may use their whole
            # range; anything past 64 bits would reach the driver as an overflow
            if not any(b is not None and b <= 2**63 - 1 for b in bounds):
                unbounded.append(f"{route.path} {param.name}")
    assert unbounded == [], f"use citybase.web.openapi.IdPath / OptionalIdQuery: {unbounded}"


def test_405_names_the_allowed_methods(api: TestClient, world: World, suite_app: FastAPI) -> None:
    methods: dict[str, set[str]] = {}
    for route in iter_routes(suite_app.routes):
        if isinstance(route, APIRoute) and route.path.startswith("/api"):
            methods.setdefault(route.path, set()).update(route.methods)
    checked = 0
    for path, allowed in methods.items():
        ep = next((e for e in ENDPOINTS if e.path == path), None)
        url = ep.url(world) if ep else re.sub(r"\{[^}]+\}", "x", path)
        r = api.request("TRACE", url, headers=world.admin.headers)
        assert r.status_code == 405, (path, r.status_code, r.text)
        assert set(r.headers["allow"].split(", ")) == allowed, (path, r.headers["allow"])
        assert _error_of(r)["code"] == "method_not_allowed"
        checked += 1
    assert checked > 50


JSON_WRITES = [ep for ep in ENDPOINTS if ep.body is not None or (ep.bad and ep.bad_in == "json")]
JSON_WRITES += [
    Endpoint("POST", "/api/3/action/package_search"),
    Endpoint("POST", "/api/action/datastore_search"),
]


@pytest.mark.parametrize("ep", JSON_WRITES, ids=_ids(JSON_WRITES))
def test_json_nested_too_deep_is_a_400(api: TestClient, world: World, ep: Endpoint) -> None:
    deep = '{"q": ' + "[" * 5000 + "]" * 5000 + "}"
    r = api.request(
        ep.method,
        ep.url(world),
        content=deep.encode(),
        headers={**world.admin.headers, "Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422), r.text
    body = r.json()
    assert body.get("error") or body.get("success") is False, body


def test_openapi_documents_the_error_body(suite_client: TestClient) -> None:
    spec = suite_client.get("/api/openapi.json").json()
    op = spec["paths"]["/api/sharing/requests/{request_id}"]["get"]
    assert {"401", "403", "404", "422"} <= set(op["responses"])
    schema = op["responses"]["404"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    param = next(p for p in op["parameters"] if p["name"] == "request_id")
    assert param["schema"]["maximum"] == MAX_ID


def _int_path_params(app: FastAPI) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for route in iter_routes(app.routes):
        if isinstance(route, APIRoute) and route.path.startswith("/api"):
            for param in route.dependant.path_params:
                if param.field_info.annotation is int:
                    for method in route.methods:
                        found.setdefault(f"{method} {route.path}", []).append(param.name)
    return found


def test_an_id_beyond_64_bits_is_a_422_naming_it(
    api: TestClient, world: World, suite_app: FastAPI
) -> None:
    """The issue's 500s (/api/sharing/requests/{id}, versions/{n}, grants/{id}/revoke …)."""
    checked = 0
    for op, params in _int_path_params(suite_app).items():
        if op not in BY_ID:  # ELSEWHERE: any id will do for the others, the check is the parse
            method, path = op.split(" ", 1)
            holes = re.findall(r"{(\w+)}", path)
            ep = Endpoint(method, path, fill={h: "__one" for h in holes})
            world.ids.setdefault("__one", 1)
        else:
            ep = BY_ID[op]
        for name in params:
            url = ep.path.format(
                **{
                    **world.ids,
                    **{k: world.ids[v] for k, v in (ep.fill or {}).items()},
                    name: 2**64,
                }
            )
            r = api.request(ep.method, url, headers=world.admin.headers, json=ep.json_for(world))
            assert r.status_code == 422, (op, r.text)
            assert _error_of(r)["field"] == name, (op, r.text)
            checked += 1
    assert checked >= 14


@pytest.mark.parametrize("period", ["0", "2025-LONGER", "soon"])
def test_a_peer_city_under_an_invalid_period_is_a_422(
    api: TestClient, world: World, period: str
) -> None:
    for method in ("PUT", "DELETE"):
        r = api.request(
            method,
            f"/api/assess/peers/{period}/310000",
            headers=world.analyst.headers,
            json={"name": "对标市", "values": {}},
        )
        assert r.status_code == 422, r.text
        assert _error_of(r)["field"] == "period"
