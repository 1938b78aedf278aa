from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.events.helpers import LiveDb, live_db, recorder  # noqa: F401


@pytest.fixture
def db(backend: str, tmp_path: Path) -> Iterator[LiveDb]:
    """A migrated database of this test's own, where commits really happen."""
    yield from live_db(backend, tmp_path)
