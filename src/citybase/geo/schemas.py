from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from citybase.geo.enums import Level


class AreaRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    level: Level


class AreaRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    level: Level
    parent_code: str | None
    bbox: tuple[float, float, float, float] = Field(
        description="min lon, min lat, max lon, max lat"
    )
    area_m2: float
    updated_at: dt.datetime


class AreaDetail(AreaRead):
    parents: list[AreaRef] = Field(description="From the district down to the direct parent.")
    children: list[AreaRef]
    geometry: dict[str, Any] = Field(description="GeoJSON geometry (WGS84 lon/lat).")


class LocationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    lon: float
    lat: float
    district: AreaRef | None
    street: AreaRef | None
    grid: AreaRef | None


class ImportReportRead(BaseModel):
    created: int
    updated: int
    unchanged: int
    levels: dict[str, int]
    created_codes: list[str]
    updated_codes: list[str]


class GridWorkerCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    mobile: str = Field(min_length=1, max_length=20, description="Mainland mobile, 11 digits.")
    username: str | None = Field(None, description="Link to a platform account (optional).")


class GridWorkerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    grid_code: str
    name: str
    mobile: str = Field(description="Masked (138****5678) unless you are a dispatcher or admin.")
    username: str | None
