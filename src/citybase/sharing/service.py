"""Governed sharing's service: the one door into the domain.

Import as ``from citybase.sharing import service as sharing_service``. Keyword-only
functions taking the caller's ``db_session``; they never commit (except the audited refusal
of a read under a dead grant, see ``grants.read_scope``); every change is audited.

Flow: a department files a request (``file_request``) for a dataset with purpose, legal
basis and period, optionally a column subset, row filters and clear-value columns with
reasons. By the dataset's sharing type: 无条件共享 → granted at once (unless clear values
are asked: those always need the owner); 有条件共享 → pending until the owning department's
data steward approves (``approve_request``, may narrow) or rejects (``reject_request``),
each with a reason; 不予共享 → recorded as refused at once. The requester may withdraw a
pending request; the owner may revoke a grant. Tracker functions live in ``tracker.py`` and
are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import service as datahub_service
from citybase.datahub.enums import SharingType
from citybase.datahub.models import Dataset
from citybase.datahub.scope import check_filters
from citybase.datahub.types import RowFilter
from citybase.db import utcnow
from citybase.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.identity.models import Department, User
from citybase.settings import Settings, get_settings
from citybase.sharing import flow
from citybase.sharing.deid import personal_columns
from citybase.sharing.enums import MAX_GRANT_DAYS, STATUS_LABELS, RequestStatus
from citybase.sharing.flow import allowed_moves, request_history
from citybase.sharing.grants import column_classes, make_grant, state_of, today
from citybase.sharing.grants import to_read as grant_read
from citybase.sharing.models import SharingGrant, SharingRequest
from citybase.sharing.schemas import ApproveBody, RequestCreate, RequestRead
from citybase.sharing.tracker import (
    link_citizen,
    lookup_for_citizen,
    lookup_on_behalf,
    record_read,
    token_of,
)

__all__ = [
    "allowed_moves",
    "approve_request",
    "extend_request",
    "file_request",
    "get_grant",
    "get_request",
    "grant_read",
    "link_citizen",
    "list_grants",
    "list_requests",
    "lookup_for_citizen",
    "lookup_on_behalf",
    "record_read",
    "reject_request",
    "request_history",
    "request_read",
    "revoke_grant",
    "token_of",
    "withdraw_request",
]

REQUEST_ROLES = frozenset(
    {Role.officer.value, Role.data_steward.value, Role.dept_admin.value, Role.analyst.value}
)
DECIDER_ROLES = frozenset({Role.data_steward.value, Role.platform_admin.value})
AUTO_GRANTOR = "system (无条件共享)"


# --- reading ------------------------------------------------------------------------------


def request_read(db_session: Session, req: SharingRequest) -> RequestRead:
    grant_id = db_session.scalar(select(SharingGrant.id).where(SharingGrant.request_id == req.id))
    status = RequestStatus(req.status)
    due = flow.deadline(db_session, req)
    return RequestRead(
        id=req.id,
        dataset=req.dataset.name,
        dataset_title=req.dataset.title,
        owner_department=req.dataset.department.code,
        department=req.department.code,
        department_name=req.department.name_zh,
        requested_by=req.requested_by_name,
        purpose=req.purpose,
        legal_basis=req.legal_basis,
        valid_from=req.valid_from,
        valid_until=req.valid_until,
        columns=json.loads(req.columns),
        row_filter=[RowFilter.model_validate(f) for f in json.loads(req.row_filter)],
        clear_columns=json.loads(req.clear_columns),
        status=status.value,
        status_label=STATUS_LABELS[status][0],
        decided_by=req.decided_by_name,
        decided_at=req.decided_at,
        decision_reason=req.decision_reason,
        created_at=req.created_at,
        grant_id=grant_id,
        due_at=due.due_at if due else None,
        deadline_status=due.status if due else None,
        deadline_label=due.label_zh if due else None,
        due_local=due.due_local if due else None,
    )


def _sees(viewer: User, department_ids: set[int]) -> bool:
    return identity_service.is_admin(viewer) or viewer.department_id in department_ids


def get_request(*, db_session: Session, viewer: User, request_id: int) -> SharingRequest:
    """A request, for its requesting department, the owning department and admins."""
    req = db_session.get(SharingRequest, request_id)
    if req is None or not _sees(viewer, {req.department_id, req.dataset.department_id}):
        raise NotFound(
            f"No sharing request #{request_id} that you may see. List yours at "
            "GET /api/sharing/requests.",
            field="request_id",
        )
    return req


def get_grant(*, db_session: Session, viewer: User, grant_id: int) -> SharingGrant:
    grant = db_session.get(SharingGrant, grant_id)
    if grant is None or not _sees(viewer, {grant.department_id, grant.dataset.department_id}):
        raise NotFound(
            f"No sharing grant #{grant_id} that you may see. List yours at "
            "GET /api/sharing/grants.",
            field="grant_id",
        )
    return grant


def list_requests(
    *,
    db_session: Session,
    viewer: User | None,
    box: Literal["mine", "incoming"] = "mine",
    status: str | None = None,
) -> list[SharingRequest]:
    """``mine``: the viewer's department's requests; ``incoming``: requests for its datasets
    (admins, and the system — ``viewer`` None — see every request in both)."""
    stmt = select(SharingRequest).order_by(SharingRequest.id.desc())
    if viewer is not None and not identity_service.is_admin(viewer):
        if viewer.department_id is None:
            return []
        if box == "mine":
            stmt = stmt.where(SharingRequest.department_id == viewer.department_id)
        else:
            owned = select(Dataset.id).where(Dataset.department_id == viewer.department_id)
            stmt = stmt.where(SharingRequest.dataset_id.in_(owned))
    if status:
        stmt = stmt.where(SharingRequest.status == status)
    return list(db_session.scalars(stmt))


def list_grants(
    *, db_session: Session, viewer: User, box: Literal["mine", "incoming"] = "mine"
) -> list[SharingGrant]:
    """Grants held by the viewer's department (``mine``) or given on its datasets."""
    stmt = select(SharingGrant).order_by(SharingGrant.id.desc())
    if not identity_service.is_admin(viewer):
        if viewer.department_id is None:
            return []
        owned = select(Dataset.id).where(Dataset.department_id == viewer.department_id)
        stmt = stmt.where(
            SharingGrant.department_id == viewer.department_id
            if box == "mine"
            else SharingGrant.dataset_id.in_(owned)
        )
    return list(db_session.scalars(stmt))


# --- filing -------------------------------------------------------------------------------


def _text(value: str, field: str, what: str) -> str:
    text = (value or "").strip()
    if len(text) < 2:
        raise ValidationFailed(f"{field}: {what}", field=field)
    return text


def _period(data: RequestCreate, on: dt.date) -> tuple[dt.date, dt.date]:
    start = data.valid_from or on
    if start < on:
        raise ValidationFailed(
            f"valid_from: {start.isoformat()} is in the past; start today ({on.isoformat()}) "
            "or later.",
            field="valid_from",
        )
    if data.valid_until is None:
        raise ValidationFailed(
            "valid_until: say until when the data is needed (at most three years).",
            field="valid_until",
        )
    if data.valid_until < start:
        raise ValidationFailed(
            f"valid_until: {data.valid_until.isoformat()} is before valid_from "
            f"{start.isoformat()}.",
            field="valid_until",
        )
    if (data.valid_until - start).days > MAX_GRANT_DAYS:
        latest = start + dt.timedelta(days=MAX_GRANT_DAYS)
        raise ValidationFailed(
            f"valid_until: a grant may run at most three years; choose {latest.isoformat()} "
            "or earlier and request again when it ends.",
            field="valid_until",
        )
    return start, data.valid_until


def _columns(
    wanted: list[str] | None, names: list[str], field: str = "columns"
) -> list[str] | None:
    if wanted is None or not wanted:
        return None
    for name in wanted:
        if name not in names:
            raise ValidationFailed(
                f"{field}: unknown column '{name}'. Columns: {', '.join(names)}.", field=field
            )
    return list(dict.fromkeys(wanted))


def file_request(
    *,
    db_session: Session,
    data_dir: Path,
    settings: Settings,
    actor: User,
    data: RequestCreate,
) -> SharingRequest:
    """File a request and decide what its dataset's sharing type decides at once."""
    if actor.role not in REQUEST_ROLES or actor.department_id is None:
        raise PermissionDenied(
            "Only staff of a department (officers, data stewards, department admins, "
            f"analysts) may request shared data; you are '{actor.role}'"
            + ("" if actor.department_id else " without a department")
            + ".",
        )
    ds = datahub_service.get_dataset(db_session=db_session, name=data.dataset, viewer=actor)
    if ds.department_id == actor.department_id:
        raise Conflict(
            f"dataset: '{ds.name}' belongs to your own department, which already reads it "
            "in full; no sharing request is needed.",
            field="dataset",
        )
    purpose = _text(data.purpose, "purpose", "state what the data is for (用途).")
    legal_basis = _text(
        data.legal_basis, "legal_basis", "name the law, regulation or duty that allows it."
    )
    start, until = _period(data, today())
    names = [c.name for c in column_classes(db_session, ds)]
    columns = _columns(data.columns, names)
    filters = list(data.row_filter)
    if filters:
        check_filters(db_session=db_session, data_dir=data_dir, dataset=ds, filters=filters)
    clear = _clear(
        data.clear_columns, columns or names, personal_columns(column_classes(db_session, ds))
    )
    req = SharingRequest(
        dataset_id=ds.id,
        department_id=actor.department_id,
        requested_by_name=actor.username,
        purpose=purpose,
        legal_basis=legal_basis,
        valid_from=start,
        valid_until=until,
        columns=json.dumps(columns, ensure_ascii=False),
        row_filter=json.dumps([f.model_dump(mode="json") for f in filters], ensure_ascii=False),
        clear_columns=json.dumps(clear, ensure_ascii=False),
        status=RequestStatus.pending.value,
        created_at=utcnow(),
    )
    db_session.add(req)
    db_session.flush()
    db_session.refresh(req)
    flow.start(db_session, req, actor, settings)
    audit_service.record(
        db_session,
        actor=actor,
        action="sharing.request.file",
        object_type="sharing_request",
        object_id=str(req.id),
        purpose=purpose,
        detail={"dataset": ds.name, "sharing_type": ds.sharing_type, "columns": columns},
    )
    if ds.sharing_type == SharingType.not_shared:
        _decide(
            db_session,
            req,
            RequestStatus.refused,
            None,
            f"'{ds.title}' ({ds.name}) is 不予共享 (not shareable between departments) by "
            f"{ds.department.name_zh}: it cannot be requested. Ask {ds.department.name_zh} "
            "whether a de-identified or aggregated dataset can serve the purpose.",
            settings=settings,
        )
    elif ds.sharing_type == SharingType.unconditional and not clear:
        _decide(
            db_session,
            req,
            RequestStatus.granted,
            None,
            "无条件共享: granted at once; personal columns are de-identified.",
            settings=settings,
        )
        make_grant(
            db_session,
            request=req,
            columns=columns or names,
            filters=filters,
            clear=[],
            valid_until=until,
            granted_by=AUTO_GRANTOR,
            settings=settings,
            actor=None,
        )
    return req


def _clear(asked: dict[str, str], allowed: list[str], personal: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, reason in asked.items():
        field = f"clear_columns.{name}"
        if name not in allowed:
            raise ValidationFailed(
                f"{field}: '{name}' is not among the requested columns ({', '.join(allowed)}).",
                field=field,
            )
        if name not in personal:
            raise ValidationFailed(
                f"{field}: '{name}' holds no personal data and is shared as is; drop it from "
                "clear_columns.",
                field=field,
            )
        out[name] = _text(reason, field, f"say why '{name}' is needed in clear.")
    return out


# --- deciding -----------------------------------------------------------------------------


def _ensure_owner(actor: User, dataset: Dataset, what: str) -> None:
    owner = f"{dataset.department.name_zh} ({dataset.department.code})"
    if actor.role not in DECIDER_ROLES:
        raise PermissionDenied(f"Only data stewards of {owner} may {what}; you are '{actor.role}'.")
    if not identity_service.is_admin(actor) and actor.department_id != dataset.department_id:
        raise PermissionDenied(
            f"Only the owning department {owner} may {what} for '{dataset.name}'."
        )


def _decide(
    db_session: Session,
    req: SharingRequest,
    status: RequestStatus,
    actor: User | None,
    reason: str,
    *,
    settings: Settings | None,
) -> None:
    """Move the request on its workflow (guards, time limit, history, event) and record the
    decision on the request."""
    settings = settings or get_settings()
    flow.move(db_session, req, MOVES[status, actor is None], actor, reason, settings)
    req.status = status.value
    req.decided_by_name = actor.username if actor is not None else "system"
    req.decided_at = utcnow()
    req.decision_reason = reason
    audit_service.record(
        db_session,
        actor=actor,
        action=f"sharing.request.{status.value}",
        object_type="sharing_request",
        object_id=str(req.id),
        purpose=req.purpose,
        detail={"dataset": req.dataset.name, "department": req.department.code, "reason": reason},
        department_code=actor.department_code if actor is not None else None,
    )


MOVES: dict[tuple[RequestStatus, bool], str] = {  # (status, by the system) -> workflow move
    (RequestStatus.granted, False): "approve",
    (RequestStatus.granted, True): "grant_at_once",
    (RequestStatus.refused, True): "refuse",
    (RequestStatus.rejected, False): "reject",
    (RequestStatus.withdrawn, False): "withdraw",
}


def _pending(db_session: Session, viewer: User, request_id: int) -> SharingRequest:
    req = get_request(db_session=db_session, viewer=viewer, request_id=request_id)
    if req.status != RequestStatus.pending:
        raise Conflict(
            f"Sharing request #{req.id} is {req.status}, not pending: it cannot be decided "
            "or withdrawn again.",
            field="status",
        )
    return req


def approve_request(
    *,
    db_session: Session,
    settings: Settings,
    data_dir: Path,
    actor: User,
    request_id: int,
    decision: ApproveBody,
) -> SharingGrant:
    """The owner approves, possibly narrowing columns, filters, clear values and period."""
    req = _pending(db_session, actor, request_id)
    flow.check(db_session, req, "approve", actor, settings)
    reason = _text(decision.reason, "reason", "give the reason for approving (审核意见).")
    asked = json.loads(req.columns) or [c.name for c in column_classes(db_session, req.dataset)]
    columns = _columns(decision.columns, asked, "columns") or asked
    filters = [RowFilter.model_validate(f) for f in json.loads(req.row_filter)]
    if decision.row_filter:
        check_filters(
            db_session=db_session,
            data_dir=data_dir,
            dataset=req.dataset,
            filters=decision.row_filter,
        )
        filters += decision.row_filter
    asked_clear = list(json.loads(req.clear_columns))
    clear = asked_clear if decision.clear_columns is None else decision.clear_columns
    for name in clear:
        if name not in asked_clear:
            raise ValidationFailed(
                f"clear_columns: '{name}' was not asked in clear; approve a subset of "
                f"{', '.join(asked_clear) or '(none)'}.",
                field="clear_columns",
            )
    clear = [c for c in clear if c in columns]
    until = decision.valid_until or req.valid_until
    if until > req.valid_until or until < req.valid_from:
        raise ValidationFailed(
            f"valid_until: approve a period within the one asked ({req.valid_from.isoformat()} "
            f"– {req.valid_until.isoformat()}).",
            field="valid_until",
        )
    _decide(db_session, req, RequestStatus.granted, actor, reason, settings=settings)
    return make_grant(
        db_session,
        request=req,
        columns=columns,
        filters=filters,
        clear=clear,
        valid_until=until,
        granted_by=actor.username,
        settings=settings,
        actor=actor,
    )


def reject_request(
    *,
    db_session: Session,
    actor: User,
    request_id: int,
    reason: str,
    settings: Settings | None = None,
) -> SharingRequest:
    settings = settings or get_settings()
    req = _pending(db_session, actor, request_id)
    flow.check(db_session, req, "reject", actor, settings)
    text = _text(reason, "reason", "give the reason for rejecting, so the requester can act on it.")
    _decide(db_session, req, RequestStatus.rejected, actor, text, settings=settings)
    return req


def extend_request(
    *,
    db_session: Session,
    actor: User,
    request_id: int,
    reason: str,
    settings: Settings | None = None,
) -> SharingRequest:
    """The owner extends its decision time limit (延期) by the workflow's extension."""
    settings = settings or get_settings()
    req = _pending(db_session, actor, request_id)
    flow.check(db_session, req, "extend", actor, settings)
    text = _text(reason, "reason", "give the reason for extending the time limit (延期理由).")
    flow.move(db_session, req, "extend", actor, text, settings)
    return req


def withdraw_request(
    *, db_session: Session, actor: User, request_id: int, settings: Settings | None = None
) -> SharingRequest:
    settings = settings or get_settings()
    req = _pending(db_session, actor, request_id)
    flow.check(db_session, req, "withdraw", actor, settings)
    _decide(
        db_session,
        req,
        RequestStatus.withdrawn,
        actor,
        "withdrawn by the requester",
        settings=settings,
    )
    return req


def revoke_grant(*, db_session: Session, actor: User, grant_id: int, reason: str) -> SharingGrant:
    """The owner ends a grant now: reads under it are refused from this moment."""
    grant = get_grant(db_session=db_session, viewer=actor, grant_id=grant_id)
    _ensure_owner(actor, grant.dataset, "revoke sharing grants")
    if grant.revoked_at is not None:
        raise Conflict(f"Sharing grant #{grant.id} is already revoked.", field="grant_id")
    text = _text(reason, "reason", "give the reason for revoking.")
    grant.revoked_at = utcnow()
    grant.revoked_by_name = actor.username
    grant.revoke_reason = text
    audit_service.record(
        db_session,
        actor=actor,
        action="sharing.grant.revoke",
        object_type="sharing_grant",
        object_id=str(grant.id),
        purpose=grant.purpose,
        detail={"dataset": grant.dataset.name, "department": grant.department.code, "reason": text},
    )
    return grant


def active_state(grant: SharingGrant) -> str:
    return state_of(grant)


def pending_count(*, db_session: Session, viewer: User) -> int:
    return len(
        list_requests(db_session=db_session, viewer=viewer, box="incoming", status="pending")
    )


def grants_since(*, db_session: Session, since: dt.datetime, department_code: str | None) -> int:
    """Grants made at or after ``since`` (the dashboard's "shares granted today"):
    city-wide, or those a department holds or gave on its own datasets."""
    stmt = select(func.count(SharingGrant.id)).where(SharingGrant.created_at >= since)
    if department_code is not None:
        dept = select(Department.id).where(Department.code == department_code).scalar_subquery()
        owned = select(Dataset.id).where(Dataset.department_id == dept)
        stmt = stmt.where(
            or_(SharingGrant.department_id == dept, SharingGrant.dataset_id.in_(owned))
        )
    return int(db_session.scalar(stmt) or 0)
