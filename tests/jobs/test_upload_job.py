"""Large uploads become jobs (202 + Location, the page redirects to the job page), the job
API is owner-or-admin only, and leftovers of killed loads are swept."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from citybase.app import create_app
from citybase.datahub.models import Dataset
from citybase.datahub.uploads import sweep
from citybase.events.models import OutboxEvent
from citybase.identity.enums import Role
from citybase.jobs import enqueue
from citybase.jobs.runtime import drain
from tests.datahub.conftest import Actor, create, upload
from tests.events.helpers import LiveDb
from tests.factories import PASSWORD, auth_headers, csrf_of, login_csrf_token, make_user

HEADER = "站点编号,站点名称,PM25,监测日期\n"


def _csv(rows: int) -> bytes:
    lines = [f"S{i:05d},监测站{i},{i % 300},2026-11-{i % 28 + 1:02d}\n" for i in range(rows)]
    return (HEADER + "".join(lines)).encode()


SMALL = _csv(3)
LARGE = _csv(3000)  # ~110 KB


@pytest.fixture
def site(db: LiveDb) -> Iterator[tuple[TestClient, Actor, Actor, Actor]]:
    with db.sf() as s:
        steward = make_user(s, role=Role.data_steward, department_code="DHA")
        other = make_user(s, role=Role.data_steward, department_code="DHB")
        admin = make_user(s, role=Role.platform_admin)
        people = tuple(Actor(u, auth_headers(s, u)) for u in (steward, other, admin))
    settings = db.settings.model_copy(update={"upload_job_mb": 0.05, "inprocess_worker": False})
    with TestClient(create_app(settings)) as client:
        yield (client, *people)  # type: ignore[misc]


def _uploads(db: LiveDb) -> list[str]:
    folder = db.settings.data_dir / "datahub" / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_large_upload_answers_202_and_loads_as_a_job(
    db: LiveDb, site: tuple[TestClient, Actor, Actor, Actor]
) -> None:
    client, steward, other, admin = site
    create(client, steward, "dha-air")
    small = upload(client, steward, "dha-air", SMALL, filename="small.csv")
    assert small.status_code == 201, small.text  # small files still load in the request

    r = upload(client, steward, "dha-air", LARGE, filename="站点.csv")
    assert r.status_code == 202, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/jobs/{body['job_id']}" == body["url"]
    assert [n.startswith("job-") for n in _uploads(db)] == [True]  # kept for the job

    job = client.get(body["url"], headers=steward.headers).json()
    assert (job["name"], job["status"]) == ("datahub.load_upload", "queued")
    assert client.get(body["url"], headers=other.headers).status_code == 404
    assert client.get(body["url"], headers=admin.headers).status_code == 200
    assert client.get(body["url"]).status_code == 401

    assert drain(db.sf, settings=db.settings)["jobs"] == 1
    job = client.get(body["url"], headers=steward.headers).json()
    assert job["status"] == "succeeded", job
    assert job["result"]["version"] == 2 and job["result"]["url"] == "/datahub/datasets/dha-air"
    assert job["progress"]["percent"] == 100
    ds = client.get("/api/datahub/datasets/dha-air", headers=steward.headers).json()
    assert ds["current_version"] == 2 and ds["row_count"] == 3000
    v2 = client.get("/api/datahub/datasets/dha-air/versions/2", headers=steward.headers).json()
    assert v2["source_name"] == "站点.csv"
    assert _uploads(db) == []  # the job removed its file
    with db.sf() as s:  # each load told the other domains, addressed to the owners
        loaded = s.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "datahub.VersionLoaded")
        ).all()
        assert [json.loads(e.payload)["number"] for e in loaded] == [1, 2]
        assert {e.audience_departments for e in loaded} == {'["DHA"]'}


def test_large_upload_on_the_page_redirects_to_the_job_page(
    db: LiveDb, site: tuple[TestClient, Actor, Actor, Actor]
) -> None:
    client, steward, _, _ = site
    create(client, steward, "dha-page")
    r = client.post(
        "/login",
        data={
            "csrf_token": login_csrf_token(client),
            "username": steward.user.username,
            "password": PASSWORD,
            "next": "/",
        },
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    form = client.get("/datahub/datasets/dha-page/upload", headers={"Accept": "text/html"})
    r = client.post(
        "/datahub/datasets/dha-page/upload",
        files={"file": ("big.csv", LARGE)},
        data={"csrf_token": csrf_of(form.text)},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page_url = r.headers["location"]
    assert page_url.startswith("/jobs/")
    page = client.get(page_url, headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'data-status="queued"' in page.text
    assert "/static/citybase-events.js" in page.text
    drain(db.sf, settings=db.settings)
    page = client.get(page_url, headers={"Accept": "text/html"})
    assert 'data-status="succeeded"' in page.text
    assert 'href="/datahub/datasets/dha-page"' in page.text
    assert 'value="100"' in page.text


def test_cancel_a_queued_upload_job(
    db: LiveDb, site: tuple[TestClient, Actor, Actor, Actor]
) -> None:
    client, steward, other, _ = site
    create(client, steward, "dha-cancel")
    url = upload(client, steward, "dha-cancel", LARGE).json()["url"]
    assert client.post(url + "/cancel", headers=other.headers).status_code == 404
    r = client.post(url + "/cancel", headers=steward.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.post(url + "/cancel", headers=steward.headers).status_code == 409
    drain(db.sf, settings=db.settings)
    with db.sf() as s:
        ds = s.scalars(select(Dataset).where(Dataset.name == "dha-cancel")).one()
        assert ds.current_version in (None, 0)


def test_sweep_removes_old_leftovers_but_not_a_load_in_progress(db: LiveDb) -> None:
    data = db.settings.data_dir
    uploads = data / "datahub" / "uploads"
    uploads.mkdir(parents=True)
    (data / "datahub" / "7").mkdir()
    old = time.time() - 3 * 3600

    def file(path: Path, *, aged: bool) -> Path:
        path.write_bytes(b"x")
        if aged:
            os.utime(path, (old, old))
        return path

    dead_tmp = file(uploads / "tmpab12cd.csv", aged=True)
    fresh_tmp = file(uploads / "tmpfresh.csv", aged=False)  # an upload still arriving
    held = file(uploads / "job-0123.csv", aged=True)  # queued load: its job needs it
    dead_incoming = file(data / "datahub" / "7" / ".incoming-0a1b.parquet", aged=True)
    fresh_incoming = file(data / "datahub" / "7" / ".incoming-ffff.parquet", aged=False)
    version = file(data / "datahub" / "7" / "v1-0a1b.parquet", aged=True)
    with db.sf() as s:
        enqueue(
            s,
            "datahub.load_upload",
            {
                "dataset_id": 1,
                "path": str(held),
                "source_name": "a.csv",
                "options": {},
                "actor_id": 1,
                "data_dir": str(data),
            },
        )
        s.commit()
    removed = sweep(session_factory=db.sf, settings=db.settings)
    assert sorted(removed) == sorted([dead_tmp, dead_incoming])
    for kept in (fresh_tmp, held, fresh_incoming, version):
        assert kept.exists()
