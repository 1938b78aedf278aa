"""Identity pages: departments, users, API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from citybase.identity import service
from citybase.identity.deps import CurrentUser, SessionDep, require_roles
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/departments")
def departments_page(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    counts = dict(
        db_session.execute(
            select(User.department_id, func.count()).group_by(User.department_id)
        ).all()
    )
    depts = service.list_departments(db_session=db_session)
    return render(request, "identity/departments.html", {"departments": depts, "counts": counts})


@router.get("/users")
def users_page(
    request: Request,
    db_session: SessionDep,
    user: Annotated[User, Depends(require_roles(Role.dept_admin))],
) -> Response:
    users = service.list_users(db_session=db_session, viewer=user)
    return render(request, "identity/users.html", {"users": users})


@router.get("/tokens")
def tokens_page(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    tokens = service.list_tokens(db_session=db_session, user=user)
    return render(request, "identity/tokens.html", {"tokens": tokens, "issued": None})


@router.post("/tokens")
def tokens_create(
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    days: Annotated[int, Form(ge=1, le=3650)] = 90,
) -> Response:
    plain, _ = service.issue_token(db_session=db_session, user=user, name=name, days=days)
    db_session.commit()
    tokens = service.list_tokens(db_session=db_session, user=user)
    return render(request, "identity/tokens.html", {"tokens": tokens, "issued": plain})


@router.post("/tokens/{token_id}/revoke")
def tokens_revoke(
    request: Request, token_id: int, user: CurrentUser, db_session: SessionDep
) -> Response:
    service.revoke_token(db_session=db_session, actor=user, token_id=token_id)
    db_session.commit()
    tokens = service.list_tokens(db_session=db_session, user=user)
    return render(request, "identity/tokens.html", {"tokens": tokens, "issued": None})
