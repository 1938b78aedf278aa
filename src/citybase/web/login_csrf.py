"""Login CSRF: a signed pre-session token, double-submitted as a cookie and a form field.

Before sign-in there is no session to hang a CSRF token on, so ``GET /login`` sets a short-lived
cookie holding ``<random>.<hmac>`` and puts the same value in the form. ``POST /login`` accepts
the form only when both are present, equal and correctly signed with the city's secret key: a
third-party page can neither read the cookie nor forge the signature, so it cannot sign a victim
in to the attacker's account (login CSRF).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from citybase.settings import Settings

LOGIN_CSRF_COOKIE = "citybase_login_csrf"
LOGIN_CSRF_FIELD = "csrf_token"
MAX_AGE_SECONDS = 2 * 3600


def _signature(secret: str, nonce: str) -> str:
    mac = hmac.new(secret.encode(), b"citybase-login-csrf:" + nonce.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def _well_signed(secret: str, token: str) -> bool:
    nonce, _, sig = token.partition(".")
    return bool(nonce and sig) and hmac.compare_digest(sig, _signature(secret, nonce))


def token_for(request: Request, settings: Settings) -> str:
    """The browser's current login token if it is still good, otherwise a new one."""
    secret = settings.secret_key.get_secret_value()
    current = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if current and _well_signed(secret, current):
        return current
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_signature(secret, nonce)}"


def set_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=MAX_AGE_SECONDS,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=settings.effective_cookie_secure,
    )


def is_valid(request: Request, settings: Settings, sent: str | None) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        return False
    return _well_signed(settings.secret_key.get_secret_value(), cookie)
