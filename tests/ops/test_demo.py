"""The demo step on the small test city: closed history with rhythms and late departments,
open cases on the live workflow, the trickle job gated to demo data directories."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from citybase.demo.context import DemoContext
from citybase.ops import demo
from citybase.ops.models import OpsCase
from citybase.ops.settings import get_ops_settings
from citybase.settings import Settings
from tests.ops.conftest import OpsWorld


@pytest.fixture
def small_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYBASE_OPS_DEMO_CASES", "600")
    monkeypatch.setenv("CITYBASE_OPS_DEMO_DAYS", "60")
    get_ops_settings.cache_clear()
    yield
    get_ops_settings.cache_clear()


def test_demo_history_and_open_cases(
    client: TestClient, session: Session, session_factory: sessionmaker[Session],
    engine: Engine, settings: Settings, world: OpsWorld, small_demo: None, data_dir: Path,
) -> None:  # fmt: skip
    ctx = DemoContext(
        settings=settings, seed=7, data_dir=data_dir, engine=engine,
        session_factory=session_factory, progress=Progress(disable=True),
        console=Console(quiet=True),
    )  # fmt: skip
    demo.build_ops(ctx)
    session.expire_all()
    closed = session.scalar(select(func.count()).where(OpsCase.status == "closed")) or 0
    assert 500 <= closed <= 600
    opened = session.scalar(select(func.count()).where(OpsCase.status != "closed")) or 0
    assert opened >= 12
    everything = {"from": "2000-01-01", "to": "2100-01-01", "group": "department"}
    res = client.get("/api/ops/indicators", params=everything, headers=world.analyst.headers)
    rows = res.json()
    rates = sorted(r["on_time_rate"] for r in rows if r["due"] >= 20)
    assert rates[0] < 0.6 < rates[-1]  # some departments run late, others do not
    texts = session.scalars(select(OpsCase.text).limit(200)).all()
    assert len(set(texts)) > 120  # varied wording
    assert (data_dir / demo.MARKER).exists()
