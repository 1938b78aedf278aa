"""The one error hierarchy. Services raise these; one handler renders them.

Every error carries an HTTP status, a stable machine code, a human message that says
what is wrong and what to do, and optionally the field (or row/column) it concerns.
"""

from __future__ import annotations


class CitybaseError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class ValidationFailed(CitybaseError):
    status = 422
    code = "validation_error"


class NotFound(CitybaseError):
    status = 404
    code = "not_found"


class Conflict(CitybaseError):
    status = 409
    code = "conflict"


class AuthenticationRequired(CitybaseError):
    status = 401
    code = "authentication_required"


class PermissionDenied(CitybaseError):
    status = 403
    code = "forbidden"


class ConfigurationError(CitybaseError):
    """Raised at start-up when settings are unusable (e.g. default secret in production)."""

    status = 500
    code = "configuration_error"


class ServiceUnavailable(CitybaseError):
    status = 503
    code = "service_unavailable"
