"""What the people-facing channels (Open311, the pages) need beyond ``ops.service``.

Small reads and one note kind, kept apart from the core service so the channels can grow
without touching it: the caller lookup by phone (audited: it reads personal data), the
"while typing" check (category suggestions, the located area, possible duplicates), the
public request list of Open311, media links and the latest reply of each case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.db import utcnow
from citybase.errors import PermissionDenied, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.models import User
from citybase.ops import classify_adapter, flow, views
from citybase.ops.duplicates import Duplicate, find_duplicates
from citybase.ops.intake import Place, locate
from citybase.ops.models import OpsCase, OpsNote, OpsReport
from citybase.ops.settings import OpsSettings, get_ops_settings
from citybase.settings import Settings
from citybase.workflow.registry import get_workflow

MEDIA_NOTE = "media_url"


@dataclass(frozen=True)
class CallerReport:
    case_id: int
    status: str
    text: str
    reporter_name: str
    created_at: dt.datetime


def reports_by_phone(
    *, db_session: Session, viewer: User, phone: str, limit: int = 10
) -> list[CallerReport]:
    """The caller's earlier reports (来电人历史诉求), newest first; audited as a read of
    personal data, for those who see reporters in full (call-takers, dispatchers, admins)."""
    phone = phone.strip()
    if viewer.role not in views.FULL_PERSONAL:
        raise PermissionDenied("Looking callers up by phone is for call-takers and dispatchers.")
    if len(phone) < 5:
        raise ValidationFailed(
            "phone: give at least 5 digits of the caller's number.", field="phone"
        )
    rows = db_session.execute(
        select(OpsReport.case_id, OpsCase.status, OpsReport.text, OpsReport.reporter_name,
               OpsReport.created_at)
        .join(OpsCase, OpsCase.id == OpsReport.case_id)
        .where(OpsReport.reporter_phone == phone)
        .order_by(OpsReport.id.desc())
        .limit(limit)
    ).all()  # fmt: skip
    audit_service.record(
        db_session, actor=viewer, action="ops.caller_lookup", object_type="ops_report",
        object_id=phone[:3] + "****" + phone[-4:], purpose="12345 受理：查询来电人历史诉求",
        detail={"found": len(rows)}, department_code=viewer.department_code,
    )  # fmt: skip
    return [CallerReport(int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4]) for r in rows]


@dataclass
class Check:
    """What the call-taker sees while typing: nothing is written."""

    suggestions: list[classify_adapter.Suggestion] = field(default_factory=list)
    place: Place | None = None
    outside: bool = False
    duplicates: list[Duplicate] = field(default_factory=list)


def check_report(
    *,
    db_session: Session,
    settings: Settings,
    text: str,
    lon: float | None,
    lat: float | None,
    category: str | None = None,
    ops: OpsSettings | None = None,
) -> Check:
    ops = ops or get_ops_settings()
    out = Check()
    if len(text.strip()) >= 2:
        out.suggestions = classify_adapter.classify([text], settings)[0]
    if lon is not None and lat is not None:
        try:
            out.place = locate(db_session, lon, lat)
        except ValidationFailed:
            out.outside = True
    best = category or (out.suggestions[0].category if out.suggestions else None)
    if out.place is not None and best:
        out.duplicates = find_duplicates(
            db_session, ops, category=best, text=text, lon=lon, lat=lat, at=utcnow()
        )
    return out


def add_media_url(*, db_session: Session, case_id: int, url: str, author: str) -> None:
    """A picture the reporter links to (Open311 ``media_url``), kept as a note of its kind."""
    url = url.strip()
    if not url.startswith(("http://", "https://")) or len(url) > 1000:
        raise ValidationFailed("media_url: give an http(s) address of at most 1000 characters.",
                               field="media_url")  # fmt: skip
    db_session.add(OpsNote(case_id=case_id, kind=MEDIA_NOTE, text=url, author=author))
    db_session.flush()


def notes_by_case(db_session: Session, case_ids: Sequence[int], kind: str) -> dict[int, OpsNote]:
    """The latest note of ``kind`` of each case (replies for status notes, media links)."""
    if not case_ids:
        return {}
    rows = db_session.scalars(
        select(OpsNote)
        .where(OpsNote.case_id.in_(list(case_ids)), OpsNote.kind == kind)
        .order_by(OpsNote.id)
    )
    return {n.case_id: n for n in rows}


def public_requests(
    *,
    db_session: Session,
    ids: Sequence[int] = (),
    categories: Sequence[str] = (),
    states: Sequence[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 1000,
) -> list[OpsCase]:
    """Open311 ``GET requests``: by ids (then nothing else filters), or by category, state
    and the requested time window; newest first."""
    stmt = select(OpsCase)
    if ids:
        stmt = stmt.where(OpsCase.id.in_(list(ids)))
    else:
        if categories:
            stmt = stmt.where(OpsCase.category.in_(list(categories)))
        if states is not None:
            stmt = stmt.where(OpsCase.status.in_(list(states)))
        if start is not None:
            stmt = stmt.where(OpsCase.created_at >= start)
        if end is not None:
            stmt = stmt.where(OpsCase.created_at <= end)
    return list(db_session.scalars(stmt.order_by(OpsCase.id.desc()).limit(limit)))


def department_names(db_session: Session, locale: str = "zh-CN") -> dict[str, str]:
    return {
        d.code: d.name(locale)
        for d in identity_service.list_departments(db_session=db_session, active_only=False)
    }


def state_label(settings: Settings, state: str, locale: str = "zh-CN") -> str:
    st = get_workflow(flow.WORKFLOW, settings).states.get(state)
    if st is None:
        return state
    return st.label_en if locale == "en" else st.label_zh


def move_label(settings: Settings, action: str, locale: str = "zh-CN") -> str:
    move = get_workflow(flow.WORKFLOW, settings).transitions.get(action)
    if move is None:
        return action
    return move.label_en if locale == "en" else move.label_zh


def move_requires(settings: Settings, action: str) -> tuple[str, ...]:
    move = get_workflow(flow.WORKFLOW, settings).transitions.get(action)
    return move.requires if move is not None else ()
