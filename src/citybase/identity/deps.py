"""FastAPI dependencies: the database session, the current user, role checks.

Authentication: ``Authorization: Bearer cb_…`` (API tokens) or the ``citybase_session``
cookie (browser). Unsafe methods authenticated by cookie must also carry the session's
CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from citybase.errors import AuthenticationRequired, PermissionDenied
from citybase.identity import service
from citybase.identity.enums import ROLE_LABELS, Role
from citybase.identity.models import User

SESSION_COOKIE = "citybase_session"
T = TypeVar("T")
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
        # Closed here, on the event loop, never by a worker thread: a thread may be waiting
        # for a pooled connection that only this close gives back (with the request threads
        # all waiting, a close queued for a thread would never run). Closing costs at most a
        # ROLLBACK round trip.
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


async def _off_loop(db_session: Session, fn: Callable[..., T], **kwargs: Any) -> T:
    """Run a database call where it cannot stall the event loop.

    A server database (PostgreSQL) is a network round trip, and a checkout waits when the
    pool is busy: in the event loop that would stop every request — including those whose
    finishing returns connections to the pool. SQLite reads are local calls that take no
    lock (``citybase.db``), so they stay on the loop and save a thread hop.
    """
    if db_session.get_bind().dialect.name == "sqlite":
        return fn(db_session=db_session, **kwargs)
    return await run_in_threadpool(functools.partial(fn, db_session=db_session, **kwargs))


async def optional_user(request: Request, db_session: SessionDep) -> User | None:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationRequired(
                "Authorization header must be 'Bearer <token>'.", field="Authorization"
            )
        user = await _off_loop(db_session, service.resolve_token, token=token.strip())
        request.state.user = user
        request.state.auth = "token"
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    ws = await _off_loop(db_session, service.resolve_session, token=cookie)
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
            "Sign in first: send 'Authorization: Bearer <token>' or log in at /login.",
            zh="请先登录：在 /login 登录，或在请求头中发送 'Authorization: Bearer <令牌>'。",
        )
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def role_label(role: str, locale: str) -> str:
    """A role's name as people read it (the code itself for a role without a label)."""
    try:
        zh, en = ROLE_LABELS[Role(role)]
    except (ValueError, KeyError):
        return role
    return en if locale == "en" else zh


def require_roles(*roles: Role) -> Callable[[User], User]:
    """Dependency: the current user must hold one of ``roles`` (platform admins always pass)."""
    allowed = {str(r) for r in roles}

    def check(user: CurrentUser) -> User:
        if user.role == Role.platform_admin or user.role in allowed:
            return user
        names = ", ".join(sorted(allowed))
        names_zh = "、".join(role_label(r, "zh-CN") for r in sorted(allowed))
        raise PermissionDenied(
            f"This needs one of the roles: {names}; you are '{user.role}'.",
            zh=f"此功能仅限{names_zh}使用；您的角色是{role_label(str(user.role), 'zh-CN')}。",
        )

    return check


AdminUser = Annotated[User, Depends(require_roles(Role.platform_admin))]
