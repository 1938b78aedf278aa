"""Identity HTTP API: sign-in, tokens, departments, users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from citybase.identity import service
from citybase.identity.deps import (
    SESSION_COOKIE,
    AdminUser,
    CurrentUser,
    SessionDep,
    require_roles,
)
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.identity.schemas import (
    DepartmentCreate,
    DepartmentRead,
    LoginRequest,
    TokenCreate,
    TokenIssued,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from citybase.web.openapi import IdPath

router = APIRouter(prefix="/api", tags=["identity"])

UserAdmin = Annotated[User, Depends(require_roles(Role.dept_admin))]


@router.post("/auth/login", response_model=UserRead)
def api_login(
    body: LoginRequest, request: Request, response: Response, db_session: SessionDep
) -> User:
    """Sign in with username and password; sets the browser session cookie."""
    settings = request.app.state.settings
    try:
        user = service.authenticate(
            db_session=db_session, username=body.username, password=body.password
        )
    finally:
        db_session.commit()
    token, _ = service.start_session(db_session=db_session, user=user, hours=settings.session_hours)
    db_session.commit()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.effective_cookie_secure,
    )
    return user


@router.post("/auth/token", response_model=TokenIssued, status_code=201)
def api_password_token(body: LoginRequest, request: Request, db_session: SessionDep) -> TokenIssued:
    """Exchange username and password for a new API token (for scripts and integrations)."""
    try:
        user = service.authenticate(
            db_session=db_session, username=body.username, password=body.password
        )
    finally:
        db_session.commit()
    plain, row = service.issue_token(
        db_session=db_session,
        user=user,
        name="password exchange",
        days=request.app.state.settings.token_days,
    )
    db_session.commit()
    return TokenIssued(token=plain, **TokenRead.model_validate(row).model_dump())


@router.get("/me", response_model=UserRead)
def me(user: CurrentUser) -> User:
    return user


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(user: CurrentUser, db_session: SessionDep) -> list[TokenRead]:
    rows = service.list_tokens(db_session=db_session, user=user)
    return [TokenRead.model_validate(r) for r in rows]


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def create_token(
    body: TokenCreate, request: Request, user: CurrentUser, db_session: SessionDep
) -> TokenIssued:
    """Issue an API token. The token is in this response only; only its hash is stored."""
    days = body.days or request.app.state.settings.token_days
    plain, row = service.issue_token(db_session=db_session, user=user, name=body.name, days=days)
    db_session.commit()
    return TokenIssued(token=plain, **TokenRead.model_validate(row).model_dump())


@router.delete("/tokens/{token_id}", response_model=TokenRead)
def revoke_token(token_id: IdPath, user: CurrentUser, db_session: SessionDep) -> TokenRead:
    row = service.revoke_token(db_session=db_session, actor=user, token_id=token_id)
    db_session.commit()
    return TokenRead.model_validate(row)


@router.get("/departments", response_model=list[DepartmentRead])
def list_departments(user: CurrentUser, db_session: SessionDep) -> list[DepartmentRead]:
    return [
        DepartmentRead.model_validate(d) for d in service.list_departments(db_session=db_session)
    ]


@router.get("/departments/{code}", response_model=DepartmentRead)
def get_department(code: str, user: CurrentUser, db_session: SessionDep) -> DepartmentRead:
    return DepartmentRead.model_validate(service.get_department(db_session=db_session, code=code))


@router.post("/departments", response_model=DepartmentRead, status_code=201)
def create_department(
    body: DepartmentCreate, user: AdminUser, db_session: SessionDep
) -> DepartmentRead:
    dept = service.create_department(
        db_session=db_session,
        actor=user,
        code=body.code,
        name_zh=body.name_zh,
        name_en=body.name_en,
    )
    db_session.commit()
    return DepartmentRead.model_validate(dept)


@router.get("/users", response_model=list[UserRead])
def list_users(user: UserAdmin, db_session: SessionDep) -> list[User]:
    """Platform admins see every user; department admins their own department's."""
    return service.list_users(db_session=db_session, viewer=user)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, user: UserAdmin, db_session: SessionDep) -> User:
    created = service.create_user(
        db_session=db_session,
        actor=user,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        role=body.role,
        department_code=body.department_code,
    )
    db_session.commit()
    return created


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(user_id: IdPath, body: UserUpdate, user: UserAdmin, db_session: SessionDep) -> User:
    updated = service.update_user(
        db_session=db_session, actor=user, user_id=user_id, **body.model_dump(exclude_none=True)
    )
    db_session.commit()
    return updated
