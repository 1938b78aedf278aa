from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from citybase.identity.enums import Role


class DepartmentCreate(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)


class DepartmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name_zh: str
    name_en: str
    active: bool


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=256)
    role: Role
    department_code: str | None = None


class UserUpdate(BaseModel):
    display_name: str | None = Field(None, min_length=1, max_length=200)
    password: str | None = Field(None, min_length=8, max_length=256)
    role: Role | None = None
    active: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: Role
    department_code: str | None
    active: bool
    last_login_at: dt.datetime | None


class LoginRequest(BaseModel):
    username: str
    password: str


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    days: int | None = Field(None, ge=1, le=3650)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenIssued(TokenRead):
    token: str = Field(description="Shown once; store it now. Only a hash is kept.")
