"""Classification, grading, de-identified extracts, open releases and decryption (/api/datahub).

Stewards of the owning department (and platform admins) change things here; every change and
every decryption is audited. Reading a classification is open to staff who see the dataset.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog, classify, extracts, release
from citybase.datahub.models import DatasetColumn
from citybase.datahub.router import data_dir_of
from citybase.datahub.schemas import LoadReport
from citybase.errors import PermissionDenied, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.identity.enums import Role
from citybase.privacy.deid import DeidPolicy, decrypt_column, settings_key

router = APIRouter(prefix="/api/datahub", tags=["datahub: classification and release"])


class ColumnClassification(BaseModel):
    name: str
    type: str
    present: bool
    pii_type: str | None
    grade: str | None
    grade_label: str | None
    sensitive: bool
    confidence: float | None
    hit_ratio: float | None
    source: str | None = Field(description="detected, steward, or null (no PII)")
    detected_type: str | None = Field(
        None, description="What the last scan found, even where not acted on (a place)"
    )
    reason: str = ""


class Classification(BaseModel):
    dataset: str
    grade: str | None
    grade_label: str | None
    steward_grade: str | None
    steward_grade_label: str | None = None
    grade_reason: str
    held_back: bool
    released_version: int | None
    columns: list[ColumnClassification]


class ColumnOverride(BaseModel):
    pii_type: str | None = Field(
        description="A PII type (CN_ID_CARD…), null for 'no personal data', or 'auto'."
    )
    reason: str = Field(min_length=1, max_length=1000)


class GradeDesignation(BaseModel):
    grade: str | None = Field(description="core, important, general-1 … general-4, or null")
    reason: str = Field(min_length=1, max_length=1000)


class DeidentifyRequest(BaseModel):
    into: str = Field(min_length=1, max_length=100)
    policy: dict[str, Any] = Field(description="{'columns': {name: [operators…]}}")
    title: str | None = Field(None, max_length=200)
    k: int | None = Field(None, ge=2, description="Suppress records in classes below k")
    quasi_identifiers: list[str] = Field(default_factory=list)
    max_suppression: float = Field(0.01, ge=0, le=0.2)


class ReleaseRequest(BaseModel):
    quasi_identifiers: list[str] = Field(default_factory=list)
    open_type: Literal["unconditional", "conditional"] = "unconditional"


class DecryptRequest(BaseModel):
    column: str
    values: list[str] = Field(min_length=1, max_length=1000)
    purpose: str = Field(min_length=4, max_length=500)


def _label(grade: str | None) -> str | None:
    from citybase.privacy.policy import Grade

    return Grade.parse(grade).label if grade else None


def classification_of(db_session: Any, dataset: Any) -> Classification:
    cols = db_session.scalars(
        select(DatasetColumn)
        .where(DatasetColumn.dataset_id == dataset.id)
        .order_by(DatasetColumn.position)
    )
    return Classification(
        dataset=dataset.name,
        grade=dataset.grade,
        grade_label=_label(dataset.grade),
        steward_grade=dataset.steward_grade,
        steward_grade_label=_label(dataset.steward_grade),
        grade_reason=dataset.grade_reason,
        held_back=dataset.held_back,
        released_version=dataset.released_version,
        columns=[
            ColumnClassification(
                name=c.name,
                type=c.type,
                present=c.present,
                pii_type=c.pii_type,
                grade=c.grade,
                grade_label=_label(c.grade),
                sensitive=c.sensitive,
                confidence=c.pii_confidence,
                hit_ratio=c.pii_hit_ratio,
                source=c.pii_source,
                detected_type=c.detected_type,
                reason=c.override_reason,
            )
            for c in cols
        ],
    )


@router.get("/datasets/{name}/classification", response_model=Classification)
def get_classification(name: str, user: CurrentUser, db_session: SessionDep) -> Classification:
    """Each column's detected PII type, grade and sensitivity, and the dataset's grade."""
    ds = catalog.get_dataset(db_session=db_session, name=name, viewer=user)
    if not access.is_staff(user):
        raise PermissionDenied("Only staff see a dataset's classification.")
    return classification_of(db_session, ds)


@router.put("/datasets/{name}/columns/{column}/classification", response_model=Classification)
def override_column(
    name: str,
    column: str,
    body: ColumnOverride,
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
) -> Classification:
    """A steward corrects a column's PII type (or says it holds none), with a reason."""
    ds = catalog.get_dataset(db_session=db_session, name=name, viewer=user)
    classify.override_column(
        db_session=db_session,
        actor=user,
        dataset=ds,
        column=column,
        pii_type=body.pii_type,
        reason=body.reason,
        policy=classify.grading_policy(request.app.state.settings),
    )
    db_session.commit()
    return classification_of(db_session, ds)


@router.put("/datasets/{name}/grade", response_model=Classification)
def designate_grade(
    name: str, body: GradeDesignation, request: Request, user: CurrentUser, db_session: SessionDep
) -> Classification:
    """A steward designates core/important (or a general level), with a written reason."""
    ds = catalog.get_dataset(db_session=db_session, name=name, viewer=user)
    classify.designate_grade(
        db_session=db_session,
        actor=user,
        dataset=ds,
        grade=body.grade,
        reason=body.reason,
        policy=classify.grading_policy(request.app.state.settings),
    )
    db_session.commit()
    return classification_of(db_session, ds)


@router.post("/datasets/{name}/deidentify", response_model=LoadReport, status_code=201)
def deidentify(
    name: str, body: DeidentifyRequest, request: Request, user: CurrentUser, db_session: SessionDep
) -> LoadReport:
    """Apply a de-identification policy to the current version, into an extract dataset."""
    report = extracts.deidentify(
        db_session=db_session,
        data_dir=data_dir_of(request),
        settings=request.app.state.settings,
        actor=user,
        source=name,
        into=body.into,
        policy=DeidPolicy.parse(body.policy),
        title=body.title,
        k=body.k,
        quasi_identifiers=body.quasi_identifiers or None,
        max_suppression=body.max_suppression,
    )
    db_session.commit()
    return report


@router.post("/datasets/{name}/releases", status_code=201)
def create_release(
    name: str, body: ReleaseRequest, request: Request, user: CurrentUser, db_session: SessionDep
) -> dict[str, Any]:
    """Run the open-release risk gate; ``passed`` says whether the dataset is now open."""
    rec = release.release(
        db_session=db_session,
        data_dir=data_dir_of(request),
        settings=request.app.state.settings,
        actor=user,
        name=name,
        quasi_identifiers=body.quasi_identifiers,
        open_type=body.open_type,
    )
    db_session.commit()
    return release.release_read(rec)


@router.get("/datasets/{name}/releases")
def list_releases(name: str, user: CurrentUser, db_session: SessionDep) -> list[dict[str, Any]]:
    ds = catalog.get_dataset(db_session=db_session, name=name, viewer=user)
    if not access.is_staff(user):
        raise PermissionDenied("Only staff see release reports.")
    return [release.release_read(r) for r in release.releases_of(db_session=db_session, dataset=ds)]


@router.post("/datasets/{name}/decrypt")
def decrypt(
    name: str, body: DecryptRequest, request: Request, user: CurrentUser, db_session: SessionDep
) -> dict[str, Any]:
    """Plain values of AES-GCM tokens: stewards of the owning department and platform admins
    only, with a stated purpose; refusals are audited too."""
    ds = catalog.get_dataset(db_session=db_session, name=name, viewer=user)
    allowed = user.role in (Role.data_steward, Role.platform_admin) and (
        identity_service.is_admin(user) or user.department_id == ds.department_id
    )
    audit_service.record(
        db_session,
        actor=user,
        action="datahub.decrypt" if allowed else "datahub.decrypt.refused",
        object_type="dataset",
        object_id=ds.name,
        purpose=body.purpose,
        detail={"column": body.column, "values": len(body.values)},
    )
    if not allowed:
        db_session.commit()
        raise PermissionDenied(
            f"Only data stewards of {ds.department.name_zh} (or platform admins) may decrypt "
            f"values of '{ds.name}'; you are '{user.role}'. The attempt was recorded."
        )
    settings = request.app.state.settings
    import pyarrow as pa

    key_ids = {
        v.split(":", 2)[1] for v in body.values if v.startswith("enc:") and v.count(":") >= 2
    }
    if not key_ids:
        raise ValidationFailed(
            "values: these are not encryption tokens (enc:<key id>:…)", field="values"
        )
    keys = {k: settings_key(settings, k) for k in key_ids}
    plain = decrypt_column(pa.array(body.values, pa.string()), keys=keys).to_pylist()
    db_session.commit()
    return {"column": body.column, "values": plain}
