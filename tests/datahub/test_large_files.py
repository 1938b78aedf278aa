"""Files too large for an upload, or for the disk: refused clearly, nothing kept or changed."""

from __future__ import annotations

import shutil
from collections import namedtuple
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from citybase.datahub import versions
from tests.datahub.conftest import RESIDENTS_CSV, Actor, create, upload


def _uploads(data_dir: Path) -> list[Path]:
    folder = data_dir / "datahub" / "uploads"
    return list(folder.iterdir()) if folder.exists() else []


def test_upload_over_the_limit_is_refused_and_nothing_kept(
    client: TestClient, steward: Actor, data_dir: Path
) -> None:
    client.app.state.settings.max_upload_mb = 1  # type: ignore[attr-defined]
    create(client, steward, "big-one")
    assert upload(client, steward, "big-one", RESIDENTS_CSV).status_code == 201
    big = RESIDENTS_CSV + "320102198001010016,王五,示范市西山区人民路8号,44\n".encode() * 40_000
    assert len(big) > 1024 * 1024
    r = upload(client, steward, "big-one", big)
    assert r.status_code == 413
    err = r.json()["error"]
    assert err["field"] == "file" and "1 MiB" in err["message"]
    assert "citybase datahub ingest" in err["message"]
    assert _uploads(data_dir) == []
    ds = client.get("/api/datahub/datasets/big-one", headers=steward.headers).json()
    assert ds["current_version"] == 1


def test_load_the_disk_cannot_hold_is_refused_before_writing(
    client: TestClient, steward: Actor, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(client, steward, "no-room")
    assert upload(client, steward, "no-room", RESIDENTS_CSV).status_code == 201
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage(10**9, 10**9 - 100, 100))
    r = upload(client, steward, "no-room", RESIDENTS_CSV)
    assert r.status_code == 422
    assert "Not enough disk space" in r.json()["error"]["message"]
    monkeypatch.undo()
    folder = versions.dataset_dir(data_dir, _dataset(client, steward, "no-room"))
    assert not [p for p in folder.iterdir() if p.name.startswith(".incoming")]
    ds = client.get("/api/datahub/datasets/no-room", headers=steward.headers).json()
    assert ds["current_version"] == 1


def _dataset(client: TestClient, who: Actor, name: str):  # type: ignore[no-untyped-def]
    from citybase.datahub.models import Dataset

    session = client.app.state.session_factory()  # type: ignore[attr-defined]
    try:
        return session.query(Dataset).filter_by(name=name).one()
    finally:
        session.close()
