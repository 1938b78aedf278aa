"""Fixtures for the assessment tests: the shipped framework, loaded and compiled once."""

from __future__ import annotations

import pytest

from citybase.assess.compiled import CompiledFramework, compile_framework
from citybase.assess.framework import Framework, load_framework


@pytest.fixture(scope="session")
def fw() -> Framework:
    return load_framework()


@pytest.fixture(scope="session")
def cf(fw: Framework) -> CompiledFramework:
    return compile_framework(fw)
