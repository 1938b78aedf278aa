"""Ops API under /api/ops: intake, queue, case detail and moves, merge, replies, photos,
routing rules and their test bench, indicators (JSON/CSV/XLSX), hot spots, categories."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, StreamingResponse

from citybase.identity.deps import CurrentUser, SessionDep
from citybase.ops import exports, indicators, photos, service
from citybase.ops.schemas import (
    CaseDetail,
    CaseRead,
    CategoryRead,
    DuplicateRead,
    HotSpot,
    IndicatorRow,
    IntakeBody,
    IntakeRead,
    MergeBody,
    MoveBody,
    NoteRead,
    Page,
    PhotoRead,
    ReplyBody,
    RouteQuery,
    RouteRead,
    RuleBody,
    RuleRead,
)
from citybase.ops.settings import get_ops_settings
from citybase.settings import Settings
from citybase.web.openapi import IdPath

router = APIRouter(prefix="/api/ops", tags=["ops (一网统管)"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post("/cases", response_model=IntakeRead, status_code=201)
def intake(
    body: IntakeBody, request: Request, response: Response, user: CurrentUser,
    db_session: SessionDep,
) -> IntakeRead:  # fmt: skip
    """受理: a report from any channel. A repeated ``idempotency_key`` returns the first case
    (200, ``created: false``); ``duplicates`` lists similar open cases nearby (suggested merge)."""
    settings = _settings(request)
    result = service.intake(db_session=db_session, settings=settings, actor=user, body=body)
    db_session.commit()
    if not result.created:
        response.status_code = 200
    return IntakeRead(
        case=service.case_read(db_session, result.case, settings, user, with_actions=True),
        created=result.created,
        duplicates=[DuplicateRead(**d.__dict__) for d in result.duplicates],
    )


@router.get("/cases", response_model=Page)
def queue(
    request: Request, user: CurrentUser, db_session: SessionDep,
    status: Annotated[list[str] | None, Query()] = None, department: str | None = None,
    category: str | None = None, grid_code: str | None = None, open_only: bool = False,
    overdue_first: bool = True, page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page:  # fmt: skip
    """The queue: filters; overdue first, then by due instant (案卷列表/派遣工作台)."""
    settings = _settings(request)
    found = service.list_cases(
        db_session=db_session, viewer=user, status=status, department=department,
        category=category, grid_code=grid_code, open_only=open_only,
        overdue_first=overdue_first, page=page, size=size,
    )  # fmt: skip
    return Page(
        items=[service.case_read(db_session, c, settings, user) for c in found.items],
        total=found.total, page=page, size=size,
    )  # fmt: skip


@router.get("/my-reports", response_model=list[CaseRead])
def my_reports(request: Request, user: CurrentUser, db_session: SessionDep) -> list[CaseRead]:
    settings = _settings(request)
    return [
        service.case_read(db_session, c, settings, user)
        for c in service.my_reports(db_session=db_session, viewer=user)
    ]


@router.get("/cases/{case_id}", response_model=CaseDetail)
def case_detail(
    case_id: IdPath, request: Request, user: CurrentUser, db_session: SessionDep
) -> CaseDetail:
    """The case with its reports (reporters masked unless you handle it), replies, photos
    and every move; reading reporters' data in full is audited."""
    case = service.get_case(db_session=db_session, viewer=user, case_id=case_id)
    detail = service.case_detail(db_session, case, _settings(request), user)
    db_session.commit()
    return detail


@router.post("/cases/{case_id}/actions/{action}", response_model=CaseRead)
def take_action(
    case_id: IdPath, action: str, body: MoveBody, request: Request, user: CurrentUser,
    db_session: SessionDep,
) -> CaseRead:  # fmt: skip
    """A move: register, reject, dispatch, reassign, accept, return, handle,
    request_extension, approve_extension, deny_extension, request_suspension,
    approve_suspension, deny_suspension, resume, confirm, send_back, close, follow_up,
    reopen, urge, supervise. Refused moves list the ones allowed."""
    settings = _settings(request)
    data = body.model_dump(exclude={"reason", "version"}, exclude_none=True)
    case = service.move(
        db_session=db_session, settings=settings, actor=user, case_id=case_id, action=action,
        reason=body.reason, data=data, expected_version=body.version,
    )  # fmt: skip
    db_session.commit()
    return service.case_read(db_session, case, settings, user, with_actions=True)


@router.post("/cases/{case_id}/merge", response_model=CaseRead)
def merge(
    case_id: IdPath, body: MergeBody, request: Request, user: CurrentUser, db_session: SessionDep
) -> CaseRead:
    """合并: this case's reports join case ``into``; this case becomes ``merged``."""
    settings = _settings(request)
    target = service.merge(
        db_session=db_session, settings=settings, actor=user, case_id=case_id, into=body.into,
        reason=body.reason,
    )  # fmt: skip
    db_session.commit()
    return service.case_read(db_session, target, settings, user, with_actions=True)


@router.post("/cases/{case_id}/replies", response_model=NoteRead, status_code=201)
def reply(case_id: IdPath, body: ReplyBody, user: CurrentUser, db_session: SessionDep) -> NoteRead:
    """答复: a reply every reporter of the case sees."""
    note = service.reply(db_session=db_session, actor=user, case_id=case_id, text=body.text)
    db_session.commit()
    return NoteRead(kind=note.kind, text=note.text, author=note.author, at=note.at)


@router.post("/cases/{case_id}/photos", response_model=PhotoRead, status_code=201)
def add_photo(
    case_id: IdPath, request: Request, user: CurrentUser, db_session: SessionDep,
    photo: Annotated[UploadFile, File(description="JPEG, PNG or WebP")],
    stage: Annotated[str, Form()] = "report",
) -> PhotoRead:  # fmt: skip
    ops = get_ops_settings()
    case = service.get_case(db_session=db_session, viewer=user, case_id=case_id)
    content = photo.file.read(ops.photo_max_bytes + 1)
    saved = photos.add_photo(
        db_session, case=case, actor=user, content=content, stage=stage,
        data_dir=Path(_settings(request).data_dir), max_bytes=ops.photo_max_bytes,
    )  # fmt: skip
    db_session.commit()
    return PhotoRead(
        id=saved.id, stage=saved.stage, content_type=saved.content_type, size=saved.size,
        uploaded_at=saved.uploaded_at,
    )  # fmt: skip


@router.get("/cases/{case_id}/photos/{photo_id}")
def get_photo(
    case_id: IdPath, photo_id: IdPath, request: Request, user: CurrentUser,
    db_session: SessionDep,
) -> FileResponse:  # fmt: skip
    case = service.get_case(db_session=db_session, viewer=user, case_id=case_id)
    data_dir = Path(_settings(request).data_dir)
    photo = photos.photo_path(db_session, case, photo_id, data_dir)
    return FileResponse(data_dir / photo.path, media_type=photo.content_type)


@router.get("/categories", response_model=list[CategoryRead])
def list_categories(request: Request, user: CurrentUser) -> list[CategoryRead]:
    return [
        CategoryRead(
            code=c.code,
            name_zh=c.name_zh,
            name_en=c.name_en,
            department=c.department,
            limit_amount=c.limit_amount,
            limit_unit=c.limit_unit.value,
        )
        for c in service.category_list(_settings(request))
    ]


@router.get("/hotspots", response_model=list[HotSpot])
def hotspots(user: CurrentUser, db_session: SessionDep) -> list[HotSpot]:
    """Open cases per grid (most first), with how many are overdue."""
    return [
        HotSpot(grid_code=g, open_cases=n, overdue=o)
        for g, n, o in service.hot_spots(db_session=db_session)
    ]


@router.get("/routing-rules", response_model=list[RuleRead])
def list_rules(user: CurrentUser, db_session: SessionDep) -> list[RuleRead]:
    """Database rules (in order), then the file's; the first match wins."""
    return service.list_rules(db_session=db_session)


@router.post("/routing-rules", response_model=RuleRead, status_code=201)
def create_rule(
    body: RuleBody, request: Request, user: CurrentUser, db_session: SessionDep
) -> RuleRead:
    row = service.create_rule(
        db_session=db_session, settings=_settings(request), actor=user, body=body
    )
    db_session.commit()
    return RuleRead(id=row.id, source="db", **body.model_dump())


@router.put("/routing-rules/{rule_id}", response_model=RuleRead)
def update_rule(
    rule_id: IdPath, body: RuleBody, request: Request, user: CurrentUser, db_session: SessionDep
) -> RuleRead:
    row = service.update_rule(
        db_session=db_session, settings=_settings(request), actor=user, rule_id=rule_id,
        body=body,
    )  # fmt: skip
    db_session.commit()
    return RuleRead(id=row.id, source="db", **body.model_dump())


@router.delete("/routing-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: IdPath, user: CurrentUser, db_session: SessionDep) -> Response:
    service.delete_rule(db_session=db_session, actor=user, rule_id=rule_id)
    db_session.commit()
    return Response(status_code=204)


@router.post("/routing-test", response_model=RouteRead)
def routing_test(
    body: RouteQuery, request: Request, user: CurrentUser, db_session: SessionDep
) -> RouteRead:
    """试派: where would this report go, by which rule, and why the earlier rules missed."""
    settings = _settings(request)
    service.get_category(settings, body.category)
    found, district, street = service.test_route(
        db_session=db_session, settings=settings, category=body.category, text=body.text,
        lon=body.lon, lat=body.lat, at=body.at,
    )  # fmt: skip
    return RouteRead(
        department=found.department, grid_code=found.grid_code, rule=found.rule,
        source=found.source, skipped=found.skipped, district_code=district, street_code=street,
    )  # fmt: skip


@router.get("/indicators", response_model=list[IndicatorRow])
def get_indicators(
    user: CurrentUser, db_session: SessionDep,
    date_from: Annotated[dt.date, Query(alias="from", description="First city date.")],
    date_to: Annotated[dt.date, Query(alias="to", description="Last city date (inclusive).")],
    group: Annotated[str, Query(description=", ".join(indicators.GROUPS))] = "none",
    department: str | None = None,
    format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
) -> Any:  # fmt: skip
    """立案数, 应结案数, 结案数, 按期结案数 and the rates (formulas in docs/ops.md) by
    department, district, street, grid, category, month or day; JSON, CSV or XLSX."""
    department = service.indicator_scope(viewer=user, department=department)
    rows = indicators.compute(
        db_session=db_session, date_from=date_from, date_to=date_to, group=group,
        department=department,
    )  # fmt: skip
    if format == "json":
        return rows
    name = f"ops-indicators-{group}-{date_from}-{date_to}.{format}"
    content, media = exports.render(rows, format)
    return StreamingResponse(
        iter([content]), media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip
