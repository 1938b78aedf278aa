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
        zh: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        # The same message in Chinese, for the people who read it on a page (zh-CN first);
        # without one, pages show a Chinese headline for the error's kind above ``message``.
        self.message_zh = zh
        self.field = field
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message, "field": self.field}
        if self.message_zh:
            body["message_zh"] = self.message_zh
        return {"error": body}

    def message_for(self, locale: str) -> str:
        """The message in ``locale`` where one was written, else the English one."""
        return self.message_zh if locale != "en" and self.message_zh else self.message


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
