"""What a viewer may see of a case: which cases, and reporters' data full or masked.

Reporters' names and phones are personal data (graded 敏感个人信息 for phones): shown in
full to those who must call back — call-takers, dispatchers, platform admins and officers of
the handling department — masked for everyone else; every full read is audited.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.db import utcnow
from citybase.errors import NotFound
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.ops import flow, sla
from citybase.ops.models import OpsCase, OpsNote, OpsPhoto, OpsReport
from citybase.ops.schemas import (
    CandidateRead,
    CaseDetail,
    CaseRead,
    MoveRead,
    NoteRead,
    PhotoRead,
    ReportRead,
)
from citybase.ops.taxonomy import categories
from citybase.settings import Settings
from citybase.workflow import service as workflow_service
from citybase.workflow.registry import get_workflow

CITY_WIDE = frozenset(
    r.value
    for r in (Role.platform_admin, Role.dispatcher, Role.call_taker, Role.grid_worker, Role.analyst)
)
FULL_PERSONAL = frozenset(r.value for r in (Role.platform_admin, Role.dispatcher, Role.call_taker))


def may_see(viewer: User, case: OpsCase, db_session: Session) -> bool:
    if viewer.role in CITY_WIDE:
        return True
    if viewer.role == Role.applicant.value:
        return (
            db_session.scalar(
                select(OpsReport.id).where(
                    OpsReport.case_id == case.id, OpsReport.reporter_user_id == viewer.id
                )
            )
            is not None
        )
    return case.department is not None and viewer.department_code == case.department


def get_case(db_session: Session, viewer: User | None, case_id: int) -> OpsCase:
    case = db_session.get(OpsCase, case_id)
    if case is None or (viewer is not None and not may_see(viewer, case, db_session)):
        raise NotFound(f"case_id: no case {case_id} you may see.", field="case_id")
    return case


def sees_personal(viewer: User, case: OpsCase) -> bool:
    if viewer.role in FULL_PERSONAL:
        return True
    return viewer.role == Role.officer.value and viewer.department_code == case.department


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else ("****" if phone else "")


def status_label(settings: Settings, state: str) -> str:
    st = get_workflow(flow.WORKFLOW, settings).states.get(state)
    return st.label_zh if st else state


def case_read(
    db_session: Session,
    case: OpsCase,
    settings: Settings,
    viewer: User | None = None,
    now: dt.datetime | None = None,
    with_actions: bool = False,
) -> CaseRead:
    cat = categories(settings).get(case.category or "")
    deadline = sla.state(case, settings, now or utcnow()) if case.handled_at is None else None
    return CaseRead(
        id=case.id, status=case.status, status_label=status_label(settings, case.status),
        channel=case.channel, text=case.text, category=case.category,
        category_name=cat.name_zh if cat else None, needs_category=case.needs_category,
        candidates=[CandidateRead(**c) for c in json.loads(case.candidates or "[]")],
        department=case.department, routed_by=case.routed_by, lon=case.lon, lat=case.lat,
        address=case.address, district_code=case.district_code, street_code=case.street_code,
        grid_code=case.grid_code, result=case.result, satisfaction=case.satisfaction,
        merged_into=case.merged_into, rework_count=case.rework_count,
        extension_count=case.extension_count, urge_count=case.urge_count,
        supervise_count=case.supervise_count, created_at=case.created_at,
        dispatched_at=case.dispatched_at, handled_at=case.handled_at,
        closed_at=case.closed_at, due_at=case.due_at,
        deadline_status=deadline.status.value if deadline else None,
        on_time=case.on_time, handling_hours=case.handling_hours,
        allowed_actions=flow.allowed(db_session, case, viewer, settings)
        if with_actions and viewer is not None else [],
    )  # fmt: skip


def case_detail(db_session: Session, case: OpsCase, settings: Settings, viewer: User) -> CaseDetail:
    base = case_read(db_session, case, settings, viewer, with_actions=True)
    full = sees_personal(viewer, case)
    reports = list(
        db_session.scalars(
            select(OpsReport).where(OpsReport.case_id == case.id).order_by(OpsReport.id)
        )
    )
    own = viewer.role == Role.applicant.value
    out = [
        ReportRead(
            id=r.id,
            channel=r.channel,
            text=r.text,
            reporter_name=r.reporter_name
            if full or (own and r.reporter_user_id == viewer.id)
            else mask_name(r.reporter_name),
            reporter_phone=r.reporter_phone
            if full or (own and r.reporter_user_id == viewer.id)
            else mask_phone(r.reporter_phone),
            anonymous=r.anonymous,
            address=r.address,
            created_at=r.created_at,
        )
        for r in reports
    ]
    if full and any(r.reporter_name or r.reporter_phone for r in reports):
        audit_service.record(
            db_session, actor=viewer, action="ops.reporter_read", object_type="ops_case",
            object_id=str(case.id), purpose="办理城市事件（回访、联系上报人）",
            detail={"reports": len(reports)}, department_code=viewer.department_code,
        )  # fmt: skip
    notes = db_session.scalars(
        select(OpsNote).where(OpsNote.case_id == case.id).order_by(OpsNote.id)
    )
    photos = db_session.scalars(
        select(OpsPhoto).where(OpsPhoto.case_id == case.id).order_by(OpsPhoto.id)
    )
    inst = flow.instance_of(db_session, case)
    history = [
        MoveRead(
            action=flow.public_action(h.action),
            from_state=h.from_state,
            to_state=h.to_state,
            actor=h.actor_name
            if not own
            else ("system" if h.actor_name == "system" else "工作人员"),
            at=h.at,
            reason=h.reason,
            data=json.loads(h.data or "{}"),
        )
        for h in workflow_service.history(db_session=db_session, instance=inst)
    ]
    return CaseDetail(
        **base.model_dump(),
        reports=out,
        notes=[NoteRead(kind=n.kind, text=n.text, author=n.author, at=n.at) for n in notes],
        history=history,
        photos=[
            PhotoRead(
                id=p.id,
                stage=p.stage,
                content_type=p.content_type,
                size=p.size,
                uploaded_at=p.uploaded_at,
            )
            for p in photos
        ],
    )
