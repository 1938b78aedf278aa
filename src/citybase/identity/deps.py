"""FastAPI dependencies: the database session, the current user, role checks.

Authentication: ``Authorization: Bearer cb_…`` (API tokens) or the ``citybase_session``
cookie (browser). Unsafe methods authenticated by cookie must also carry the session's
CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from citybase.errors import AuthenticationRequired, PermissionDenied
from citybase.identity import service
from citybase.identity.enums import Role
from citybase.identity.models import User

SESSION_COOKIE = "citybase_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work. On SQLite it reads without a lock and takes the write
    lock at its first write (``citybase.db``), so a slow step before it (a password hash, a
    file parse) holds nobody up.

    A coroutine: making a session does no I/O, so it needs no trip to a worker thread."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        # Closing rolls back what is open: on a server (PostgreSQL) that is a round trip, so
        # off the event loop; SQLite's is a local call (reads hold no transaction there).
        if session.in_transaction() and session.get_bind().dialect.name != "sqlite":
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]


async def _csrf_from_request(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


async def optional_user(request: Request, db_session: SessionDep) -> User | None:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationRequired(
                "Authorization header must be 'Bearer <token>'.", field="Authorization"
            )
        user = service.resolve_token(db_session=db_session, token=token.strip())
        request.state.user = user
        request.state.auth = "token"
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    ws = service.resolve_session(db_session=db_session, token=cookie)
    if ws is None:
        return None
    if request.method not in _SAFE_METHODS:
        sent = await _csrf_from_request(request)
        if sent != ws.csrf_token:
            raise PermissionDenied(
                "Missing or wrong CSRF token: reload the page and try again.",
                field="csrf_token",
                code="csrf_failed",
            )
    request.state.user = ws.user
    request.state.csrf_token = ws.csrf_token
    request.state.auth = "cookie"
    return ws.user


OptionalUser = Annotated[User | None, Depends(optional_user)]


def current_user(user: OptionalUser) -> User:
    if user is None:
        raise AuthenticationRequired(
            "Sign in first: send 'Authorization: Bearer <token>' or log in at /login."
        )
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: Role) -> Callable[[User], User]:
    """Dependency: the current user must hold one of ``roles`` (platform admins always pass)."""
    allowed = {str(r) for r in roles}

    def check(user: CurrentUser) -> User:
        if user.role == Role.platform_admin or user.role in allowed:
            return user
        names = ", ".join(sorted(allowed))
        raise PermissionDenied(f"This needs one of the roles: {names}; you are '{user.role}'.")

    return check


AdminUser = Annotated[User, Depends(require_roles(Role.platform_admin))]
