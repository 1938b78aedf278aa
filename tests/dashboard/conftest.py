from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from citybase.app import create_app
from citybase.settings import Settings
from tests.dashboard.helpers import (
    HUB_LAYOUT,
    PARKING_LAYOUT,
    ParkingPlugin,
    parking,
    write_layouts,
)

__all__ = ["parking"]


@pytest.fixture
def dash_settings(settings: Settings, tmp_path: Path, parking: ParkingPlugin) -> Settings:
    """The test settings with a city layout directory holding the parking screen."""
    folder = write_layouts(tmp_path / "layouts", parking=PARKING_LAYOUT, hub=HUB_LAYOUT)
    return settings.model_copy(update={"dashboard_layout_dir": folder})


@pytest.fixture
def dash_client(
    dash_settings: Settings, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    with TestClient(create_app(dash_settings, session_factory=session_factory)) as c:
        yield c
