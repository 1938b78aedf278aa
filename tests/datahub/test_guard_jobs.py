"""A large upload loads as a job: the load guards refuse there too, and consent travels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from citybase.app import create_app
from citybase.audit.models import AuditRecord
from citybase.identity.enums import Role
from citybase.jobs.runtime import drain
from tests.datahub.conftest import Actor, create, upload
from tests.datahub.test_ingest_guards import licences
from tests.events.helpers import LiveDb, live_db
from tests.factories import auth_headers, make_user


@pytest.fixture
def db(backend: str, tmp_path: Path) -> Iterator[LiveDb]:
    yield from live_db(backend, tmp_path)


def test_a_large_upload_job_refuses_a_type_loss_and_carries_the_acceptance(db: LiveDb) -> None:
    with db.sf() as s:
        steward = make_user(s, role=Role.data_steward, department_code="DHA")
        who = Actor(steward, auth_headers(s, steward))
    settings = db.settings.model_copy(update={"upload_job_mb": 0.01, "inprocess_worker": False})
    with TestClient(create_app(settings)) as client:
        create(client, who, "dha-job")
        assert upload(client, who, "dha-job", licences(5).encode()).status_code == 201
        v2 = licences(400, bad={3: ("有效期至", "2022-13-45")}).encode()  # ~20 KB: a job
        r = upload(client, who, "dha-job", v2)
        assert r.status_code == 202, r.text
        drain(db.sf, settings=db.settings)
        job = client.get(r.json()["url"], headers=who.headers).json()
        assert job["status"] == "failed", job
        assert "line 4: '2022-13-45'" in json.dumps(job, ensure_ascii=False)
        r = upload(client, who, "dha-job", v2, accept_schema="true")
        assert r.status_code == 202, r.text
        drain(db.sf, settings=db.settings)
        job = client.get(r.json()["url"], headers=who.headers).json()
        assert job["status"] == "succeeded", job
        ds = client.get("/api/datahub/datasets/dha-job", headers=who.headers).json()
        assert ds["current_version"] == 2 and ds["row_count"] == 400
    with db.sf() as s:
        assert s.scalar(
            select(AuditRecord).where(
                AuditRecord.action == "datahub.version.accept_schema",
                AuditRecord.object_id == "dha-job",
                AuditRecord.actor_id == steward.id,
            )
        )
