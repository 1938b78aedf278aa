"""API shapes of the assess domain (the request itself is ``inputs.AssessmentSpec``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from citybase.assess.models import Assessment


class AssessmentSummary(BaseModel):
    id: int
    city_code: str
    city_name: str
    period: str
    framework_id: str
    framework_version: str
    live: bool
    revision: int
    index: float | None
    axes: dict[str, float | None]
    created_by_name: str
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: Assessment) -> AssessmentSummary:
        return cls(
            id=row.id,
            city_code=row.city_code,
            city_name=row.city_name,
            period=row.period,
            framework_id=row.framework_id,
            framework_version=row.framework_version,
            live=row.live,
            revision=row.revision,
            index=row.bte_index,
            axes={"B": row.axis_b, "T": row.axis_t, "E": row.axis_e},
            created_by_name=row.created_by_name,
            updated_at=row.updated_at,
        )


class AssessmentRead(AssessmentSummary):
    result: dict[str, Any]
    inputs: dict[str, Any]

    @classmethod
    def of(cls, row: Assessment) -> AssessmentRead:
        return cls(**AssessmentSummary.of(row).model_dump(), result=row.result, inputs=row.inputs)


class PeerWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("", max_length=200)
    values: dict[str, Any]
    source: str = Field("", max_length=300)


class PeerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    period: str
    values: dict[str, Any]
    source: str
    updated_at: dt.datetime


class ArchitectureWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sections: dict[str, list[Any]]


class LiveIndicatorRead(BaseModel):
    indicator_id: str
    value: float
    unit: str
    source: str
    measured_at: str
    note: str = ""
