"""Background jobs: a durable, table-backed queue for SQLite and PostgreSQL.

Public API: ``job`` (register a function), ``enqueue`` (in the caller's transaction),
``JobContext`` (progress, cancellation), ``PeriodicJob`` and ``JobCancelled``. See
docs/jobs.md.
"""

from citybase.jobs.base import JobCancelled, JobContext, JobFailed, PeriodicJob, enqueue, job

__all__ = ["JobCancelled", "JobContext", "JobFailed", "PeriodicJob", "enqueue", "job"]
