"""Shared pages: sign in, sign out, home."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from citybase.errors import AuthenticationRequired
from citybase.identity import service as identity_service
from citybase.identity.deps import SESSION_COOKIE, CurrentUser, OptionalUser, SessionDep
from citybase.web import login_csrf
from citybase.web.i18n import request_locale, translate
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never redirect a signed-in user off the platform."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, {"next": _safe_next(next)})


def _login_page(request: Request, context: dict[str, object], status_code: int = 200) -> Response:
    """The sign-in form, carrying (and setting the cookie of) the login CSRF token."""
    settings = request.app.state.settings
    token = login_csrf.token_for(request, settings)
    response = render(
        request, "login.html", {**context, "csrf_token": token}, status_code=status_code
    )
    login_csrf.set_cookie(response, token, settings)
    return response


@router.post("/login")
def login(
    request: Request,
    db_session: SessionDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    settings = request.app.state.settings
    if not login_csrf.is_valid(request, settings, csrf_token):
        message = translate(request_locale(request), "auth.login_csrf")
        return _login_page(
            request,
            {"message": message, "next": _safe_next(next), "username": username},
            status_code=403,
        )
    try:
        user = identity_service.authenticate(
            db_session=db_session, username=username, password=password
        )
    except AuthenticationRequired:
        db_session.commit()  # keep the failed-login audit record
        message = translate(request_locale(request), "auth.bad_credentials")
        return _login_page(
            request,
            {"message": message, "next": _safe_next(next), "username": username},
            status_code=401,
        )
    token, _ = identity_service.start_session(
        db_session=db_session, user=user, hours=settings.session_hours
    )
    db_session.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.delete_cookie(login_csrf.LOGIN_CSRF_COOKIE, path="/login")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.effective_cookie_secure,
    )
    return response


@router.post("/logout")
def logout(request: Request, db_session: SessionDep, user: CurrentUser) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        identity_service.end_session(db_session=db_session, token=cookie)
        db_session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(request: Request, user: OptionalUser) -> Response:
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "home.html")


@router.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico on pages that name no icon (a JSON error, the API docs)."""
    return RedirectResponse("/static/favicon.svg", status_code=301)
