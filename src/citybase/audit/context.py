"""Per-request context (request id) that the audit log picks up without threading it through."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("citybase_request_id", default=None)
