"""What a demo step gets: settings, a seed, the data dir, a session factory, progress."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from citybase.db import session_scope
from citybase.settings import Settings


@dataclass
class DemoContext:
    settings: Settings
    seed: int
    data_dir: Path
    engine: Engine
    session_factory: sessionmaker[Session]
    progress: Progress
    console: Console
    shared: dict[str, Any] = field(default_factory=dict)  # results handed between steps

    def rng(self, salt: str) -> np.random.Generator:
        """An independent, reproducible random stream per step (adding a step changes no other)."""
        return np.random.default_rng([self.seed, *salt.encode()])

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.session_factory) as s:
            yield s

    @property
    def registries_dir(self) -> Path:
        path = self.data_dir / "registries"
        path.mkdir(parents=True, exist_ok=True)
        return path
