"""Request and response bodies of the services API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class DepartmentRef(BaseModel):
    code: str
    name_zh: str


class ItemRead(BaseModel):
    code: str
    name: str
    name_en: str
    department: DepartmentRef
    type: str
    type_label: str
    legal_basis: list[str]
    conditions: list[str]
    materials: list[dict[str, Any]]
    promised_days: int
    statutory_days: int
    fee: str
    online_depth: str
    online_depth_label: str
    instant: bool
    visits: int
    form_fields: list[str]
    held_share: float = Field(description="免提交率: share of materials the city supplies")
    certificate: str | None = None


class ApplyBody(BaseModel):
    item: str = Field(max_length=40)
    form: dict[str, Any] = Field(default_factory=dict)
    id_number: str | None = Field(None, max_length=32)
    uscc: str | None = Field(None, max_length=32)


class SubmitBody(BaseModel):
    consent: dict[str, bool] = Field(
        default_factory=dict, description="Per fetched material: true to use it, false to upload"
    )


class ReasonBody(BaseModel):
    reason: str = Field("", max_length=2000)


class RateBody(BaseModel):
    rating: int = Field(ge=1, le=5)
    reason: str = Field("", max_length=2000)


class VerifyBody(BaseModel):
    token: str = Field(max_length=20_000)


class DecideBody(BaseModel):
    date: dt.date | None = None
    input: dict[str, Any] = Field(default_factory=dict)


class BundleBody(BaseModel):
    bundle: str = Field(max_length=40)
    form: dict[str, Any] = Field(default_factory=dict)
    consent: dict[str, bool] = Field(default_factory=dict)
    id_number: str | None = Field(None, max_length=32)


class ApplicationRead(BaseModel):
    id: int
    item: str
    item_name: str
    department: str
    applicant: str
    status: str
    status_label: str
    decision: str | None
    instant: bool
    rule_version: str | None
    outcome: dict[str, Any]
    form: dict[str, Any]
    evidence: list[dict[str, Any]]
    uploads: list[str]
    asked: int
    needed: int
    due_local: str | None
    limit_status: str | None
    limit_label: str | None
    note: str
    rating: int | None
    rating_reason: str | None
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    finished_at: dt.datetime | None
    bundle_id: int | None
    certificate_id: str | None
    allowed: list[str] = Field(default_factory=list)
    history: list[dict[str, Any]] = Field(default_factory=list)


class CertificateRead(BaseModel):
    id: str
    item: str
    title: str
    department: str
    application_id: int
    issued_at: dt.datetime
    valid_until: dt.date
    revoked: bool
    revoke_reason: str | None
    token: str
    claims: dict[str, Any]


class VerificationRead(BaseModel):
    valid: bool
    reason: str
    certificate: dict[str, Any] | None
    fingerprint: str | None
    revoked: bool | None = Field(None, description="None: checked offline (no register)")
