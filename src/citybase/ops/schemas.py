"""Ops API shapes (Pydantic only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from citybase.ops.enums import Channel


class IntakeBody(BaseModel):
    channel: Channel = Channel.web
    text: str = Field(min_length=2, max_length=4000)
    lon: float | None = None
    lat: float | None = None
    address: str = Field(default="", max_length=400)
    category: str | None = None
    reporter_name: str = Field(default="", max_length=64)
    reporter_phone: str = Field(default="", max_length=32)
    anonymous: bool = False
    external_ref: str = Field(default="", max_length=128)
    idempotency_key: str | None = Field(default=None, max_length=128)
    at: dt.datetime | None = None  # when it was reported (imports); default now


class CandidateRead(BaseModel):
    category: str
    confidence: float


class DuplicateRead(BaseModel):
    case_id: int
    distance_m: float
    similarity: float
    status: str


class ReportRead(BaseModel):
    id: int
    channel: str
    text: str
    reporter_name: str
    reporter_phone: str
    anonymous: bool
    address: str
    created_at: dt.datetime


class NoteRead(BaseModel):
    kind: str
    text: str
    author: str
    at: dt.datetime


class CaseRead(BaseModel):
    id: int
    status: str
    status_label: str
    channel: str
    text: str
    category: str | None
    category_name: str | None
    needs_category: bool
    candidates: list[CandidateRead]
    department: str | None
    routed_by: str | None
    lon: float | None
    lat: float | None
    address: str
    district_code: str | None
    street_code: str | None
    grid_code: str | None
    result: str
    satisfaction: str | None
    merged_into: int | None
    rework_count: int
    extension_count: int
    urge_count: int
    supervise_count: int
    created_at: dt.datetime
    dispatched_at: dt.datetime | None
    handled_at: dt.datetime | None
    closed_at: dt.datetime | None
    due_at: dt.datetime | None
    deadline_status: str | None  # on_time / warning / overdue / paused
    on_time: bool | None
    handling_hours: float | None
    allowed_actions: list[str] = []


class IntakeRead(BaseModel):
    case: CaseRead
    created: bool  # False: the idempotency key or a merge returned an existing case
    duplicates: list[DuplicateRead] = []


class CaseDetail(CaseRead):
    reports: list[ReportRead]
    notes: list[NoteRead]
    history: list[MoveRead]
    photos: list[PhotoRead]


class MoveRead(BaseModel):
    action: str
    from_state: str | None
    to_state: str
    actor: str
    at: dt.datetime
    reason: str
    data: dict[str, Any]


class PhotoRead(BaseModel):
    id: int
    stage: str
    content_type: str
    size: int
    uploaded_at: dt.datetime


class MoveBody(BaseModel):
    reason: str | None = None
    department: str | None = None  # dispatch / reassign
    grid_code: str | None = None
    category: str | None = None  # register (when a person chooses)
    result: str | None = None  # handle
    satisfaction: str | None = None  # follow_up
    hours: float | None = None  # request_extension
    version: int | None = None


class MergeBody(BaseModel):
    into: int
    reason: str = "重复上报，合并办理"


class ReplyBody(BaseModel):
    text: str = Field(min_length=2, max_length=2000)


class Page(BaseModel):
    items: list[CaseRead]
    total: int
    page: int
    size: int


class RuleBody(BaseModel):
    name: str = Field(min_length=2, max_length=128)
    position: int = 100
    enabled: bool = True
    categories: list[str] = []
    area_codes: list[str] = []
    keywords: list[str] = []
    hours: str = ""
    department: str
    grid_code: str | None = None


class RuleRead(RuleBody):
    id: int | None
    source: str


class RouteQuery(BaseModel):
    text: str = ""
    category: str
    lon: float | None = None
    lat: float | None = None
    at: dt.datetime | None = None


class RouteRead(BaseModel):
    department: str
    grid_code: str | None
    rule: str
    source: str
    skipped: list[str]
    district_code: str | None
    street_code: str | None


class IndicatorRow(BaseModel):
    key: str | None
    registered: int  # 立案数
    due: int  # 应结案数
    closed: int  # 结案数
    closed_on_time: int  # 按期结案数
    closure_rate: float | None  # 结案率
    on_time_rate: float | None  # 按期结案率
    rework_rate: float | None  # 返工率
    extension_rate: float | None  # 延期率
    satisfaction_rate: float | None  # 满意率
    avg_handling_hours: float | None


class HotSpot(BaseModel):
    grid_code: str
    open_cases: int
    overdue: int


class CategoryRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    department: str
    limit_amount: float
    limit_unit: str


CaseDetail.model_rebuild()
