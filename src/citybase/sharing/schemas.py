"""Sharing's API shapes: requests, decisions, grants, and the data tracker's lines."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from citybase.datahub.types import RowFilter

GrantState = Literal["active", "expired", "revoked", "not_yet_valid"]


class RequestCreate(BaseModel):
    """A sharing request. ``columns`` None asks for every column; ``clear_columns`` maps each
    personal column wanted without de-identification to the reason it is needed."""

    dataset: str = Field(max_length=100)
    purpose: str = Field("", max_length=2000)
    legal_basis: str = Field("", max_length=500)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    columns: list[str] | None = None
    row_filter: list[RowFilter] = Field(default_factory=list)
    clear_columns: dict[str, str] = Field(default_factory=dict)


class ApproveBody(BaseModel):
    """The owner's approval: a reason, and optionally a narrower grant than asked."""

    reason: str = Field("", max_length=2000)
    columns: list[str] | None = Field(None, description="A subset of the requested columns.")
    row_filter: list[RowFilter] = Field(
        default_factory=list, description="Extra filters, ANDed with the requested ones."
    )
    clear_columns: list[str] | None = Field(
        None, description="The clear-value columns approved (a subset of those asked)."
    )
    valid_until: dt.date | None = Field(None, description="An earlier end than asked.")


class ReasonBody(BaseModel):
    reason: str = Field("", max_length=2000)


class RequestRead(BaseModel):
    id: int
    dataset: str
    dataset_title: str
    owner_department: str
    department: str
    department_name: str
    requested_by: str
    purpose: str
    legal_basis: str
    valid_from: dt.date
    valid_until: dt.date
    columns: list[str] | None
    row_filter: list[RowFilter]
    clear_columns: dict[str, str]
    status: str
    status_label: str
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str
    created_at: dt.datetime
    grant_id: int | None = None
    due_at: dt.datetime | None = None  # the owner's decision deadline while pending
    deadline_status: str | None = None  # on_time / warning / overdue / paused
    deadline_label: str | None = None  # 正常 / 预警 / 超期 / 挂起
    due_local: str | None = None  # due_at in the city's timezone, "YYYY-MM-DD HH:MM"


class RequestMove(BaseModel):
    """One step in a request's workflow history (办理记录)."""

    action: str
    label: str
    from_state: str | None
    to_state: str
    actor: str
    at: dt.datetime
    at_local: str  # in the city's timezone, "YYYY-MM-DD HH:MM"
    reason: str


class GrantRead(BaseModel):
    id: int
    request_id: int
    dataset: str
    dataset_title: str
    owner_department: str
    department: str
    department_name: str
    columns: list[str]
    row_filter: list[RowFilter]
    clear_columns: list[str]
    deid_policy: dict[str, list[dict[str, Any]]]
    key_id: str
    valid_from: dt.date
    valid_until: dt.date
    purpose: str
    legal_basis: str
    granted_by: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None
    revoke_reason: str
    state: GrantState
    data_api: str = Field(description="Where to read the rows under this grant.")


class TrackerEntry(BaseModel):
    """One read of records about the subject: who, when, why."""

    at: dt.datetime
    department: str | None
    department_name: str
    dataset: str
    dataset_title: str
    purpose: str
    legal_basis: str
    grant_id: int | None
    channel: str
    rows: int


class TrackerRead(BaseModel):
    entries: list[TrackerEntry]
    departments: list[str] = Field(description="Departments that read, most recent first.")


class LookupBody(BaseModel):
    id_number: str = Field(max_length=40)
    purpose: str = Field("", max_length=500)
