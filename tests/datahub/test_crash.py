"""A load killed at any moment leaves the previous version readable and the catalog consistent."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from citybase.datahub import service
from citybase.datahub.models import DatasetVersion
from citybase.datahub.schemas import DatasetCreate
from citybase.db import make_engine, make_session_factory, session_scope, upgrade
from citybase.identity import service as identity_service
from tests.conftest import BACKENDS, create_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parents[2]


def _csv(path: Path, rows: int, extra: str = "") -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write("编号,姓名,地址\n")
        for i in range(rows):
            f.write(f"{i},居民{i}{extra},示范市和平路{i}号\n")
    return path


def _killed(url: str, data_dir: Path, source: Path, mode: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.datahub.crash_load", url, str(data_dir), str(source), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == -9, (mode, proc.stdout, proc.stderr)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_killed_loads_leave_previous_version_and_catalog_consistent(
    backend_name: str, tmp_path: Path
) -> None:
    if backend_name == "sqlite":
        url, pg_name = f"sqlite:///{tmp_path / 'crash.db'}", None
    else:
        url, pg_name = create_postgres_database()
    engine = make_engine(url)
    data_dir = tmp_path / "data"
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        with session_scope(factory) as s:
            identity_service.create_department(
                db_session=s, actor=None, code="CRA", name_zh="崩溃测试局"
            )
            created = service.create_dataset(
                db_session=s,
                actor=None,
                data=DatasetCreate(
                    name="crash-test",
                    title="崩溃测试",
                    department_code="CRA",
                    theme="population",
                    licence="gov-internal",
                    sharing_type="not_shared",
                    open_type="not_open",
                ),
            )
            service.load_version(
                db_session=s,
                data_dir=data_dir,
                actor=None,
                name="crash-test",
                source=_csv(tmp_path / "v1.csv", 100),
            )
            dataset_id = created.id
        big = _csv(tmp_path / "v2.csv", 200_000, extra="新")
        big_gbk = tmp_path / "v2-gbk.csv"
        big_gbk.write_bytes(big.read_text(encoding="utf-8").encode("gbk"))
        folder = data_dir / "datahub" / str(dataset_id)
        # killed while the engine is still transcoding and writing: a partial temp file only
        _killed(url, data_dir, big_gbk, "ingest")
        assert not list(folder.glob(".incoming-*.parquet"))
        assert list(folder.glob(".incoming-*"))
        # killed after the new file was renamed into place, before the version row committed
        _killed(url, data_dir, big, "commit")

        with session_scope(factory) as s:
            ds = service.get_dataset(db_session=s, name="crash-test", check=False)
            assert ds.current_version == 1 and ds.row_count == 100
            numbers = s.scalars(
                select(DatasetVersion.number).where(DatasetVersion.dataset_id == ds.id)
            )
            assert list(numbers) == [1]
            v1 = service.get_version(db_session=s, dataset=ds)
            path = service.version_path(data_dir, v1)
            assert hashlib.sha256(path.read_bytes()).hexdigest() == v1.checksum
            assert pq.read_table(path).num_rows == 100
            # the killed commit left its renamed file behind: an orphan the catalog ignores
            orphans = [p for p in path.parent.glob("v2-*.parquet")]
            assert len(orphans) == 1

        with session_scope(factory) as s:
            report = service.load_version(
                db_session=s, data_dir=data_dir, actor=None, name="crash-test", source=big
            )
            assert report.version.number == 2 and report.version.row_count == 200_000
        with session_scope(factory) as s:
            ds = service.get_dataset(db_session=s, name="crash-test", check=False)
            v2 = service.get_version(db_session=s, dataset=ds)
            assert v2.number == 2 and service.version_path(data_dir, v2) not in orphans
    finally:
        engine.dispose()
        if pg_name:
            drop_postgres_database(pg_name)
