"""HTML form plumbing for the dataset create/edit pages (the API takes JSON instead)."""

from __future__ import annotations

import re
from typing import Any

import yaml
from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from citybase.datahub import service
from citybase.datahub.enums import (
    FREQUENCY_LABELS,
    OPEN_LABELS,
    SHARING_LABELS,
)
from citybase.datahub.models import Dataset
from citybase.datahub.types import QualityRule
from citybase.errors import CitybaseError
from citybase.identity import service as identity_service
from citybase.identity.models import User
from citybase.web.i18n import request_locale

FIELDS = (
    "name",
    "department_code",
    "title",
    "description",
    "contact_name",
    "contact_email",
    "contact_phone",
    "theme",
    "keywords",
    "update_frequency",
    "temporal_start",
    "temporal_end",
    "spatial",
    "licence",
    "sharing_type",
    "sharing_condition",
    "open_type",
    "open_condition",
)


async def read_form(request: Request) -> dict[str, Any]:
    """The submitted fields, with keywords split on commas/whitespace and empty dates dropped."""
    form = await request.form()
    values: dict[str, Any] = {}
    for key in FIELDS:
        raw = form.get(key)
        if raw is None or not isinstance(raw, str):
            continue
        raw = raw.strip()
        if key == "keywords":
            values[key] = [k for k in re.split(r"[,，;；\s]+", raw) if k]
        elif key in ("temporal_start", "temporal_end"):
            values[key] = raw or None
        elif key == "department_code" and not raw:
            continue
        else:
            values[key] = raw
    return values


def message(exc: ValidationError | CitybaseError) -> CitybaseError:
    if isinstance(exc, CitybaseError):
        return exc
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    return CitybaseError(
        f"{field}: {first['msg']}" if field else str(first["msg"]), field=field, status=422
    )


def status(exc: ValidationError | CitybaseError) -> int:
    return exc.status if isinstance(exc, CitybaseError) else 422


def form_context(
    request: Request,
    db_session: Session,
    user: User,
    *,
    dataset: Dataset | None,
    values: dict[str, Any] | None = None,
    error: CitybaseError | None = None,
) -> dict[str, Any]:
    locale = request_locale(request)
    i = 1 if locale == "en" else 0
    if values is None and dataset is not None:
        read = service.to_read(db_session, dataset, locale=locale)
        values = read.model_dump(mode="json")
    values = dict(values or {})
    if isinstance(values.get("keywords"), list):
        values["keywords"] = ", ".join(values["keywords"])
    if dataset is None and not values.get("department_code"):
        values["department_code"] = user.department_code or ""
    departments = identity_service.list_departments(db_session=db_session)
    return {
        "dataset": dataset,
        "values": values,
        "error": error,
        "choices": {
            "theme": [(t.code, t.name(locale)) for t in service.themes()],
            "licence": [(x.id, x.title(locale)) for x in service.licences()],
            "update_frequency": [(k.value, v[i]) for k, v in FREQUENCY_LABELS.items()],
            "sharing_type": [(k.value, v[i]) for k, v in SHARING_LABELS.items()],
            "open_type": [(k.value, v[i]) for k, v in OPEN_LABELS.items()],
            "department_code": [(d.code, d.name(locale)) for d in departments],
        },
    }


def rules_yaml(rules: list[QualityRule]) -> str:
    """The rules as the YAML a steward edits on the dataset page."""
    if not rules:
        return ""
    items = []
    for r in rules:
        item: dict[str, Any] = {"name": r.name, "kind": r.kind}
        if r.column:
            item["column"] = r.column
        if r.params:
            item["params"] = r.params
        if r.blocking:
            item["blocking"] = True
        items.append(item)
    return yaml.safe_dump({"rules": items}, allow_unicode=True, sort_keys=False)
