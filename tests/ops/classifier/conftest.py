"""Fixtures for the ops classifier: a trained model of the shipped history, trained once.

The model directory lives in pytest's cache: the model file is keyed by a hash of its training
data, so a later run reuses it only if the history, the taxonomy and the model version are the
same (which is what the classifier does in production too).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from citybase.ops import classifier
from citybase.settings import Settings

HELDOUT = Path(__file__).parent / "data" / "heldout.jsonl"


@pytest.fixture(scope="session")
def shipped_settings(request: pytest.FixtureRequest) -> Settings:
    data_dir = Path(request.config.cache.mkdir("ops-classifier-shipped"))
    current = data_dir / "ops-classifier" / classifier.CURRENT
    if current.exists():
        current.unlink()  # always the shipped history's model, never a test's retrained one
    return Settings(data_dir=data_dir)


@pytest.fixture(scope="session")
def shipped(shipped_settings: Settings) -> classifier.Classifier:
    classifier.clear_cache()
    return classifier.get_classifier(shipped_settings)


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    classifier.clear_cache()
    yield
    classifier.clear_cache()


def heldout_rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines()]
