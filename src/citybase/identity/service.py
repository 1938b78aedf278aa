"""Identity service: the only door into departments, users, sessions and tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, or_, select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import Session

from citybase import writebehind
from citybase.audit import service as audit_service
from citybase.db import utcnow
from citybase.errors import (
    AuthenticationRequired,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from citybase.identity import security
from citybase.identity.enums import DEPARTMENT_ROLES, Role
from citybase.identity.models import ApiToken, Department, User, WebSession

# --- departments -------------------------------------------------------------------------


def list_departments(*, db_session: Session, active_only: bool = True) -> list[Department]:
    stmt = select(Department).order_by(Department.code)
    if active_only:
        stmt = stmt.where(Department.active.is_(True))
    return list(db_session.scalars(stmt))


def get_department(*, db_session: Session, code: str) -> Department:
    dept = db_session.scalar(select(Department).where(Department.code == code))
    if dept is None:
        known = ", ".join(d.code for d in list_departments(db_session=db_session)) or "none yet"
        raise NotFound(
            f"Unknown department code '{code}'. Known departments: {known}.",
            field="department_code",
        )
    return dept


def create_department(
    *, db_session: Session, actor: User | None, code: str, name_zh: str, name_en: str = ""
) -> Department:
    if db_session.scalar(select(Department).where(Department.code == code)) is not None:
        raise Conflict(f"Department '{code}' already exists.", field="code")
    dept = Department(code=code, name_zh=name_zh, name_en=name_en)
    db_session.add(dept)
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="department.create",
        object_type="department",
        object_id=code,
        detail={"name_zh": name_zh, "name_en": name_en},
    )
    return dept


def load_departments_file(*, db_session: Session, path: Path, actor: User | None) -> int:
    """Create or update departments from a taxonomy YAML (``departments: [{code, name_zh, …}]``).

    Validates the whole file before writing anything; returns how many were created or changed.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationFailed(f"Department file not found: {path}", field="path") from None
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{path} is not valid YAML: {exc}", field="path") from None
    items = raw.get("departments") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise ValidationFailed(f"{path}: expected a non-empty 'departments' list.", field="path")
    seen: set[str] = set()
    parsed: list[tuple[str, str, str]] = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not item.get("code") or not item.get("name_zh"):
            raise ValidationFailed(
                f"{path}: department #{i} needs 'code' and 'name_zh'.", field=f"departments[{i}]"
            )
        code = str(item["code"])
        if code in seen:
            raise ValidationFailed(
                f"{path}: department code '{code}' appears twice.", field=f"departments[{i}].code"
            )
        seen.add(code)
        parsed.append((code, str(item["name_zh"]), str(item.get("name_en", ""))))
    changed = 0
    for code, name_zh, name_en in parsed:
        dept = db_session.scalar(select(Department).where(Department.code == code))
        if dept is None:
            create_department(
                db_session=db_session, actor=actor, code=code, name_zh=name_zh, name_en=name_en
            )
            changed += 1
        elif (dept.name_zh, dept.name_en) != (name_zh, name_en):
            dept.name_zh, dept.name_en = name_zh, name_en
            audit_service.record(
                db_session,
                actor=actor,
                action="department.update",
                object_type="department",
                object_id=code,
                detail={"name_zh": name_zh, "name_en": name_en},
            )
            changed += 1
    db_session.flush()
    return changed


# --- authorisation helpers ---------------------------------------------------------------


def is_admin(user: User) -> bool:
    return user.role == Role.platform_admin


def ensure_department_access(user: User, department_id: int | None, *, what: str) -> None:
    """Refuse unless the user is a platform admin or belongs to the record's department."""
    if is_admin(user):
        return
    if department_id is None or user.department_id != department_id:
        raise PermissionDenied(
            f"You may not act on {what}: it belongs to another department.",
        )


# --- users -------------------------------------------------------------------------------


def get_user(*, db_session: Session, user_id: int) -> User:
    user = db_session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.", field="user_id")
    return user


def get_user_by_username(*, db_session: Session, username: str) -> User | None:
    return db_session.scalar(select(User).where(User.username == username))


def list_users(*, db_session: Session, viewer: User) -> list[User]:
    stmt = select(User).order_by(User.username)
    if not is_admin(viewer):
        if viewer.role != Role.dept_admin:
            raise PermissionDenied("Only administrators may list users.")
        stmt = stmt.where(User.department_id == viewer.department_id)
    return list(db_session.scalars(stmt))


def create_user(
    *,
    db_session: Session,
    actor: User | None,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    department_code: str | None = None,
) -> User:
    """Create a user. ``actor=None`` means the system (CLI bootstrap, demo)."""
    dept = get_department(db_session=db_session, code=department_code) if department_code else None
    if role in DEPARTMENT_ROLES and dept is None:
        raise ValidationFailed(
            f"Role '{role}' belongs to a department: give department_code.",
            field="department_code",
        )
    if actor is not None and not is_admin(actor):
        if actor.role != Role.dept_admin:
            raise PermissionDenied("Only administrators may create users.")
        if role in (Role.platform_admin, Role.applicant) or dept is None:
            raise PermissionDenied("A department administrator may create only department staff.")
        ensure_department_access(actor, dept.id, what=f"department {dept.code}")
    if get_user_by_username(db_session=db_session, username=username) is not None:
        raise Conflict(f"Username '{username}' is taken.", field="username")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=security.hash_password(password),
        role=str(role),
        department_id=dept.id if dept else None,
    )
    db_session.add(user)
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=username,
        detail={"role": str(role), "department": department_code},
    )
    return user


def update_user(
    *,
    db_session: Session,
    actor: User | None,
    user_id: int,
    display_name: str | None = None,
    password: str | None = None,
    role: Role | None = None,
    active: bool | None = None,
) -> User:
    """Change a user. ``actor=None`` means the system (the CLI)."""
    user = get_user(db_session=db_session, user_id=user_id)
    if actor is not None and not is_admin(actor):
        if actor.role != Role.dept_admin:
            raise PermissionDenied("Only administrators may change users.")
        ensure_department_access(actor, user.department_id, what=f"user {user.username}")
        if role in (Role.platform_admin, Role.applicant):
            raise PermissionDenied("A department administrator may not grant that role.")
    demoted = role is not None and role != Role.platform_admin
    if user.role == Role.platform_admin and user.active and (demoted or active is False):
        _refuse_losing_last_admin(db_session=db_session, user=user)
    changes: dict[str, object] = {}
    if display_name is not None:
        user.display_name = display_name
        changes["display_name"] = display_name
    if password is not None:
        user.password_hash = security.hash_password(password)
        changes["password"] = "changed"  # noqa: S105 - audit note, not a password
    if role is not None:
        user.role = str(role)
        changes["role"] = str(role)
    if active is not None:
        user.active = active
        changes["active"] = active
        if not active:
            _revoke_all(db_session=db_session, user=user)
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="user.update",
        object_type="user",
        object_id=user.username,
        detail=changes,
    )
    return user


def _refuse_losing_last_admin(*, db_session: Session, user: User) -> None:
    """The platform keeps at least one active platform administrator, or nobody can run it."""
    others = db_session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == str(Role.platform_admin), User.active.is_(True), User.id != user.id)
    )
    if not others:
        raise Conflict(
            f"'{user.username}' is the last active platform administrator: make another user "
            "platform_admin first, then change or deactivate this one.",
            field="role",
            code="last_platform_admin",
        )


def authenticate(*, db_session: Session, username: str, password: str) -> User:
    user = get_user_by_username(db_session=db_session, username=username)
    if user is None:
        security.burn_time()
        ok = False
    else:
        ok = security.verify_password(user.password_hash, password) and user.active
    if not ok or user is None:
        audit_service.record(
            db_session,
            actor=None,
            action="auth.login_failed",
            object_type="user",
            object_id=username[:64],
        )
        raise AuthenticationRequired(
            "Wrong username or password (or the account is disabled).",
            field="password",
            code="invalid_credentials",
        )
    user.last_login_at = utcnow()
    audit_service.record(
        db_session, actor=user, action="auth.login", object_type="user", object_id=user.username
    )
    return user


# --- browser sessions --------------------------------------------------------------------


def start_session(*, db_session: Session, user: User, hours: int) -> tuple[str, WebSession]:
    token = security.new_token()
    ws = WebSession(
        user_id=user.id,
        token_hash=security.token_digest(token),
        csrf_token=secrets.token_urlsafe(24),
        expires_at=utcnow() + dt.timedelta(hours=hours),
    )
    db_session.add(ws)
    db_session.flush()
    return token, ws


def resolve_session(*, db_session: Session, token: str) -> WebSession | None:
    ws = db_session.scalar(
        select(WebSession).where(WebSession.token_hash == security.token_digest(token))
    )
    if ws is None or ws.revoked_at is not None or ws.expires_at <= utcnow():
        return None
    if not ws.user.active:
        return None
    return ws


def end_session(*, db_session: Session, token: str) -> None:
    ws = resolve_session(db_session=db_session, token=token)
    if ws is not None:
        ws.revoked_at = utcnow()
        audit_service.record(
            db_session,
            actor=ws.user,
            action="auth.logout",
            object_type="user",
            object_id=ws.user.username,
        )


# --- API tokens --------------------------------------------------------------------------


def issue_token(*, db_session: Session, user: User, name: str, days: int) -> tuple[str, ApiToken]:
    token = security.new_token()
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=security.token_digest(token),
        prefix=token[:10],
        expires_at=utcnow() + dt.timedelta(days=days),
    )
    db_session.add(row)
    db_session.flush()
    audit_service.record(
        db_session,
        actor=user,
        action="token.issue",
        object_type="api_token",
        object_id=str(row.id),
        detail={"name": name, "days": days},
    )
    return token, row


def list_tokens(*, db_session: Session, user: User) -> list[ApiToken]:
    writebehind.flush(db_session, TOKEN_USE_BUFFER)  # show uses up to now
    return list(
        db_session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
        )
    )


def revoke_token(*, db_session: Session, actor: User, token_id: int) -> ApiToken:
    row = db_session.get(ApiToken, token_id)
    if row is None or (row.user_id != actor.id and not is_admin(actor)):
        raise NotFound(f"No token with id {token_id}.", field="token_id")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit_service.record(
            db_session,
            actor=actor,
            action="token.revoke",
            object_type="api_token",
            object_id=str(row.id),
        )
    return row


def resolve_token(*, db_session: Session, token: str) -> User:
    """The user behind a bearer token, or a clear 401 saying why not.

    Every API request comes through here: the token is read as plain columns (no ORM
    object to build) and the user by primary key (the session's identity map)."""
    t = ApiToken
    row = db_session.execute(
        select(t.id, t.user_id, t.revoked_at, t.expires_at, t.last_used_at).where(
            t.token_hash == security.token_digest(token)
        )
    ).first()
    if row is None:
        raise AuthenticationRequired("Unknown API token.", code="invalid_token")
    token_id, user_id, revoked_at, expires_at, last_used_at = row
    if revoked_at is not None:
        raise AuthenticationRequired("This API token has been revoked.", code="token_revoked")
    now = utcnow()
    expires_at = _aware(expires_at)
    if expires_at <= now:
        raise AuthenticationRequired(
            f"This API token expired on {expires_at:%Y-%m-%d}; issue a new one.",
            code="token_expired",
        )
    user = db_session.get(User, user_id)
    if user is None or not user.active:
        raise AuthenticationRequired("The account behind this token is disabled.")
    last_used_at = _aware(last_used_at) if last_used_at is not None else None
    # Recording every use in the request would turn each read into a write: the time is
    # written behind, within seconds, at most once a minute per token.
    if last_used_at is None or now - last_used_at > dt.timedelta(minutes=1):
        writebehind.add(db_session, TOKEN_USE_BUFFER, token_id, now)
    return user


def _aware(value: dt.datetime) -> dt.datetime:
    """A Core column read bypasses UTCDateTime on some paths: make sure it is UTC-aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _write_token_uses(db_session: Session, items: dict[Hashable, Any]) -> None:
    for token_id, at in sorted(items.items(), key=lambda kv: str(kv[0])):
        db_session.execute(
            sa_update(ApiToken)
            .where(ApiToken.id == token_id)
            .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < at))
            .values(last_used_at=at)
        )


TOKEN_USE_BUFFER = writebehind.Buffer(name="identity.token_use", merge=max, write=_write_token_uses)


def _revoke_all(*, db_session: Session, user: User) -> None:
    now = utcnow()
    for t in db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        t.revoked_at = t.revoked_at or now
    for s in db_session.scalars(select(WebSession).where(WebSession.user_id == user.id)):
        s.revoked_at = s.revoked_at or now
