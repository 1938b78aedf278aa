"""一件事 bundles: one form, shared fields asked once, fanned out to several items.

``bundles.yaml`` lists each bundle's items in the order they are decided: an item whose
material is an earlier item's certificate (the newborn's 出生医学证明) finds it issued
by the time it is submitted. The bundle's joint status is the summary of its applications.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.db import utcnow
from citybase.errors import ConfigurationError, NotFound
from citybase.identity.models import User
from citybase.services import applications
from citybase.services.catalogue import Catalogue, Text
from citybase.services.loading import data_dir_of, explain, line_of, read_yaml, strip_lines
from citybase.services.models import BundleApplication, ServiceApplication
from citybase.services.ruletests import library
from citybase.settings import Settings


class Figures(BaseModel):
    model_config = ConfigDict(extra="forbid")
    forms: int = Field(ge=0)
    materials: int = Field(ge=0)
    visits: int = Field(ge=0)
    days: int = Field(ge=0)


class Bundle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Z][A-Z0-9-]{2,39}$")
    name: Text
    items: list[str] = Field(min_length=2)
    before: Figures


def parse_bundles(path: Path, catalogue: Catalogue) -> list[Bundle]:
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("bundles"), list):
        raise ConfigurationError(f"{path}: expected a list 'bundles'.")
    out: list[Bundle] = []
    for n, entry in enumerate(raw["bundles"]):
        where = f"{path}:{line_of(entry) or '?'}: bundles[{n}]"
        try:
            bundle = Bundle.model_validate(strip_lines(entry))
        except ValidationError as exc:
            raise ConfigurationError(f"{where}: {explain(exc)}", field="bundles") from exc
        for code in bundle.items:
            if code not in catalogue.by_code:
                raise ConfigurationError(
                    f"{where} ({bundle.code}): items: '{code}' is not in the catalogue.",
                    field="bundles",
                )
        out.append(bundle)
    return out


def load_bundles(settings: Settings | None) -> list[Bundle]:
    lib = library(settings)
    path = data_dir_of(settings) / "bundles.yaml"
    return parse_bundles(path, lib.catalogue) if path.is_file() else []


def get_bundle(settings: Settings | None, code: str) -> Bundle:
    for b in load_bundles(settings):
        if b.code == code:
            return b
    raise NotFound(f"bundle: no 一件事 '{code}'.", field="bundle")


def after_figures(bundle: Bundle, catalogue: Catalogue) -> Figures:
    """What the applicant does with the bundle: one form, the materials nobody holds (each
    once), the most visits of any item, the longest promised limit (items run in parallel)."""
    items = [catalogue.get(c) for c in bundle.items]
    asked: set[str] = set()
    for item in items:
        for m in item.materials:
            if m.required and not m.held:
                asked.add(m.key)
    return Figures(
        forms=1,
        materials=len(asked),
        visits=max(i.visits for i in items),
        days=max(i.promised_days for i in items),
    )


def shared_fields(bundle: Bundle, catalogue: Catalogue) -> list[str]:
    return list(dict.fromkeys(f for c in bundle.items for f in catalogue.get(c).form_fields))


def apply_bundle(
    *,
    db_session: Session,
    settings: Settings,
    data_dir: Path,
    actor: User,
    code: str,
    form: dict[str, Any],
    consent: dict[str, bool],
    id_number: str | None = None,
) -> BundleApplication:
    """Fan the one form out: each item's draft, then its submission, in the bundle's order."""
    lib = library(settings)
    bundle = get_bundle(settings, code)
    record = BundleApplication(
        bundle_code=bundle.code,
        applicant_id=actor.id,
        form=json.dumps(form, ensure_ascii=False),
        created_at=utcnow(),
    )
    db_session.add(record)
    db_session.flush()
    for item_code in bundle.items:
        item = lib.catalogue.get(item_code)
        own = {k: v for k, v in form.items() if k in item.form_fields}
        app = applications.start_application(
            db_session=db_session,
            settings=settings,
            data_dir=data_dir,
            actor=actor,
            item_code=item_code,
            form=own,
            id_number=id_number,
            bundle_id=record.id,
        )
        given = {m.key: consent[m.key] for m in item.materials if m.key in consent}
        applications.submit_application(
            db_session=db_session,
            settings=settings,
            actor=actor,
            application_id=app.id,
            consent=given,
        )
    audit_service.record(
        db_session,
        actor=actor,
        action="services.bundle.apply",
        object_type="service_bundle",
        object_id=str(record.id),
        detail={"bundle": bundle.code, "items": bundle.items},
    )
    return record


def bundle_status(db_session: Session, record: BundleApplication) -> dict[str, Any]:
    apps = list(
        db_session.scalars(
            select(ServiceApplication)
            .where(ServiceApplication.bundle_id == record.id)
            .order_by(ServiceApplication.id)
        )
    )
    states = [a.status for a in apps]
    if all(s == "delivered" for s in states):
        joint = "completed"
    elif any(s in ("rejected", "withdrawn") for s in states):
        joint = "needs_attention"
    else:
        joint = "in_progress"
    return {
        "id": record.id,
        "bundle": record.bundle_code,
        "status": joint,
        "applications": [
            {"id": a.id, "item": a.item_code, "status": a.status, "decision": a.decision}
            for a in apps
        ],
    }
