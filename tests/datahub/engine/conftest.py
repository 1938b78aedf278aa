"""Fixtures for the file engine tests (no database: the engine works on files only)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A directory holding sources (``src/``) and loaded files (``out/``)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "out").mkdir()
    return tmp_path
