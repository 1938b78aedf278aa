"""Background jobs: a durable, table-backed queue for SQLite and PostgreSQL.

Public API: ``job`` (register a function), ``enqueue`` (in the caller's transaction),
``JobContext`` (progress, cancellation), ``PeriodicJob`` and ``JobCancelled``. See
docs/jobs.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citybase.jobs.base import JobCancelled, JobContext, JobFailed, PeriodicJob, enqueue, job

# Imported on first use (PEP 562): loading the plug-in (``<pkg>.plugin``) must not pull in
# SQLAlchemy or pydantic, which the CLI's start-up would pay for on every command.
_WHERE = {
    "JobCancelled": "citybase.jobs.base",
    "JobContext": "citybase.jobs.base",
    "JobFailed": "citybase.jobs.base",
    "PeriodicJob": "citybase.jobs.base",
    "enqueue": "citybase.jobs.base",
    "job": "citybase.jobs.base",
}

__all__ = ["JobCancelled", "JobContext", "JobFailed", "PeriodicJob", "enqueue", "job"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
