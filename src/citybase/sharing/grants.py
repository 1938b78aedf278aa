"""Grants: made from an approved (or unconditional) request, active within their period
until revoked, and turned into the data hub's ``ReadScope`` when a consumer reads."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import service as datahub_service
from citybase.datahub.models import Dataset
from citybase.datahub.scope import ReadRefusal, ReadScope
from citybase.datahub.types import RowFilter
from citybase.db import utcnow
from citybase.identity.models import User
from citybase.privacy.deid import DeidPolicy, settings_key
from citybase.settings import Settings
from citybase.sharing.deid import ColumnClass, grant_policy
from citybase.sharing.models import SharingGrant, SharingRequest
from citybase.sharing.schemas import GrantRead, GrantState


def today() -> dt.date:
    """The date grants are judged by (UTC, like every timestamp citybase stores)."""
    return utcnow().date()


def column_classes(db_session: Session, dataset: Dataset) -> list[ColumnClass]:
    return [
        ColumnClass(name=c.name, type=c.type, pii_type=c.pii_type, grade=c.grade)
        for c in datahub_service.dataset_columns(db_session=db_session, dataset=dataset)
    ]


def make_grant(
    db_session: Session,
    *,
    request: SharingRequest,
    columns: list[str],
    filters: list[RowFilter],
    clear: list[str],
    valid_until: dt.date,
    granted_by: str,
    settings: Settings,
    actor: User | None,
) -> SharingGrant:
    """Store the grant with its de-identification, decided now from the columns' classes."""
    classes = [c for c in column_classes(db_session, request.dataset) if c.name in set(columns)]
    policy = grant_policy(classes, clear=clear)
    DeidPolicy.parse(policy)  # refuse now, not at the first read, if it were malformed
    grant = SharingGrant(
        request_id=request.id,
        dataset_id=request.dataset_id,
        department_id=request.department_id,
        columns=json.dumps(columns, ensure_ascii=False),
        row_filter=json.dumps([f.model_dump(mode="json") for f in filters], ensure_ascii=False),
        clear_columns=json.dumps(clear, ensure_ascii=False),
        deid_policy=json.dumps(policy, ensure_ascii=False),
        key_id=settings.pseudonym_key_id,
        valid_from=request.valid_from,
        valid_until=valid_until,
        purpose=request.purpose,
        legal_basis=request.legal_basis,
        granted_by_name=granted_by,
        created_at=utcnow(),
    )
    db_session.add(grant)
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="sharing.grant.create",
        object_type="sharing_grant",
        object_id=str(grant.id),
        purpose=request.purpose,
        detail={
            "request": request.id,
            "dataset": request.dataset.name,
            "department": request.department.code,
            "columns": columns,
            "clear_columns": clear,
            "deidentified": sorted(policy["columns"]),
            "valid_until": valid_until.isoformat(),
        },
        department_code=actor.department_code if actor is not None else None,
    )
    return grant


def state_of(grant: SharingGrant, on: dt.date | None = None) -> GrantState:
    on = on or today()
    if grant.revoked_at is not None:
        return "revoked"
    if on < grant.valid_from:
        return "not_yet_valid"
    if on > grant.valid_until:
        return "expired"
    return "active"


def filters_of(grant: SharingGrant) -> list[RowFilter]:
    return [RowFilter.model_validate(f) for f in json.loads(grant.row_filter)]


def policy_of(grant: SharingGrant) -> dict[str, list[dict[str, Any]]]:
    return dict(json.loads(grant.deid_policy).get("columns", {}))


def to_read(grant: SharingGrant) -> GrantRead:
    return GrantRead(
        id=grant.id,
        request_id=grant.request_id,
        dataset=grant.dataset.name,
        dataset_title=grant.dataset.title,
        owner_department=grant.dataset.department.code,
        department=grant.department.code,
        department_name=grant.department.name_zh,
        columns=json.loads(grant.columns),
        row_filter=filters_of(grant),
        clear_columns=json.loads(grant.clear_columns),
        deid_policy=policy_of(grant),
        key_id=grant.key_id,
        valid_from=grant.valid_from,
        valid_until=grant.valid_until,
        purpose=grant.purpose,
        legal_basis=grant.legal_basis,
        granted_by=grant.granted_by_name,
        created_at=grant.created_at,
        revoked_at=grant.revoked_at,
        revoked_by=grant.revoked_by_name,
        revoke_reason=grant.revoke_reason,
        state=state_of(grant),
        data_api=f"/api/datahub/datasets/{grant.dataset.name}/rows",
    )


def grants_of(db_session: Session, *, department_id: int, dataset_id: int) -> list[SharingGrant]:
    stmt = (
        select(SharingGrant)
        .where(SharingGrant.department_id == department_id, SharingGrant.dataset_id == dataset_id)
        .order_by(SharingGrant.id.desc())
    )
    return list(db_session.scalars(stmt))


def read_scope(
    db_session: Session, *, user: User, dataset: Dataset, settings: Settings
) -> ReadScope | ReadRefusal | None:
    """The data hub's question: may ``user`` read part of ``dataset``? The newest active
    grant of the user's department answers yes; an expired, revoked or future grant answers
    no with its dates (the refusal is audited and committed: the read itself will fail)."""
    if user.department_id is None:
        return None
    grants = grants_of(db_session, department_id=user.department_id, dataset_id=dataset.id)
    for grant in grants:
        if state_of(grant) == "active":
            policy = policy_of(grant)
            return ReadScope(
                grant_id=grant.id,
                columns=tuple(json.loads(grant.columns)),
                filters=tuple(filters_of(grant)),
                policy=DeidPolicy.parse({"columns": policy}) if policy else None,
                key_id=grant.key_id,
                key=settings_key(settings, grant.key_id),
                purpose=grant.purpose,
                legal_basis=grant.legal_basis,
            )
    if not grants:
        return None
    latest = grants[0]
    state = state_of(latest)
    reason = {
        "revoked": f"was revoked by {latest.revoked_by_name} ({latest.revoke_reason})",
        "expired": f"expired on {latest.valid_until.isoformat()}",
        "not_yet_valid": f"starts on {latest.valid_from.isoformat()}",
    }[state]
    audit_service.record(
        db_session,
        actor=user,
        action="sharing.read.refused",
        object_type="dataset",
        object_id=dataset.name,
        purpose=latest.purpose,
        detail={"grant": latest.id, "state": state},
    )
    db_session.commit()
    return ReadRefusal(
        f"Your department's sharing grant #{latest.id} for '{dataset.name}' {reason}: no rows "
        "may be read under it. File a new sharing request at "
        f"/sharing/requests/new?dataset={dataset.name}."
    )
