"""Domain events as a plug-in: the outbox models, the live stream and the admin page,
the CLI, and the event types of its own (none yet: jobs publishes ``jobs.JobProgress``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from citybase.hookspecs import hookimpl

if TYPE_CHECKING:
    pass

HERE = Path(__file__).parent


@hookimpl
def citybase_load_models() -> None:
    from citybase.events import models  # noqa: F401
