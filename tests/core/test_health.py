from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_reports_version_database_and_migrations(client: TestClient, backend: str) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] == ("sqlite" if backend == "sqlite" else "postgresql")
    assert body["migrations"]["up_to_date"] is True
    assert body["migrations"]["current"] == body["migrations"]["heads"] != []


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/api/docs").status_code == 200
    spec = client.get("/api/openapi.json").json()
    assert "/api/health" in spec["paths"]
