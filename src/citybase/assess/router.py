"""Assessment HTTP API under /api/assess. Planners (analyst) and platform admins only."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from citybase.assess import service
from citybase.assess.inputs import CODE_PATTERN, AssessmentSpec
from citybase.assess.platform import collect_live_indicators, platform_actions, platform_framework
from citybase.assess.schemas import (
    ArchitectureWrite,
    AssessmentRead,
    AssessmentSummary,
    LiveIndicatorRead,
    PeerRead,
    PeerWrite,
)
from citybase.assess.weights import load_profiles
from citybase.identity.deps import SessionDep, require_roles
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.web.i18n import request_locale
from citybase.web.openapi import IdPath, body_types

router = APIRouter(prefix="/api/assess", tags=["assess"])

Planner = Annotated[User, Depends(require_roles(Role.analyst))]
PERIOD_PATTERN = r"^\d{4}([-_/][A-Za-z0-9]{1,3})?$"
Period = Annotated[str, Query(pattern=PERIOD_PATTERN)]
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="e.g. 2025 or 2025-H1.")]
CityCodePath = Annotated[str, Path(pattern=CODE_PATTERN, description="e.g. 320100.")]


def _settings(request: Request) -> Any:
    return request.app.state.settings


@router.get("/framework")
def framework(request: Request, user: Planner) -> dict[str, Any]:
    """The indicator framework in use (the city's own or the default), as JSON."""
    return platform_framework(_settings(request)).model_dump(mode="json")


@router.get("/actions")
def actions(request: Request, user: Planner) -> list[dict[str, Any]]:
    """The roadmap's action library."""
    fw = platform_framework(_settings(request))
    return [a.model_dump(mode="json") for a in platform_actions(fw, _settings(request))]


@router.get("/profiles")
def profiles(user: Planner) -> dict[str, Any]:
    """Named weight profiles (e.g. gbt33356_2016)."""
    return {k: v.model_dump(mode="json") for k, v in load_profiles().items()}


@router.get("/live", response_model=list[LiveIndicatorRead])
def live(user: Planner, db_session: SessionDep) -> list[LiveIndicatorRead]:
    """What the platform measures about itself right now (every domain's live indicators)."""
    return [
        LiveIndicatorRead(**dataclasses.asdict(item))
        for item in collect_live_indicators(db_session=db_session)
    ]


@router.post("/compute")
def compute(
    spec: AssessmentSpec,
    request: Request,
    user: Planner,
    db_session: SessionDep,
    use_stored_peers: bool = True,
) -> dict[str, Any]:
    """Score a request and return the result JSON without storing anything."""
    return service.compute(
        db_session=db_session,
        request=service.request_for_api(spec),
        settings=_settings(request),
        use_stored_peers=use_stored_peers,
    )


@router.get("/assessments", response_model=list[AssessmentSummary])
def list_assessments(
    user: Planner, db_session: SessionDep, city: str | None = None
) -> list[AssessmentSummary]:
    return [
        AssessmentSummary.of(a)
        for a in service.list_assessments(db_session=db_session, city_code=city)
    ]


@router.post("/assessments", response_model=AssessmentRead, status_code=201)
def create_assessment(
    spec: AssessmentSpec,
    request: Request,
    user: Planner,
    db_session: SessionDep,
    replace: bool = False,
    use_stored_peers: bool = True,
) -> AssessmentRead:
    """Compute and store an assessment (one per city and period; replace=true recomputes)."""
    row = service.run_assessment(
        db_session=db_session,
        actor=user,
        request=service.request_for_api(spec),
        settings=_settings(request),
        replace=replace,
        use_stored_peers=use_stored_peers,
    )
    db_session.commit()
    return AssessmentRead.of(row)


@router.get("/assessments/{assessment_id}", response_model=AssessmentRead)
def get_assessment(assessment_id: IdPath, user: Planner, db_session: SessionDep) -> AssessmentRead:
    return AssessmentRead.of(
        service.get_assessment(db_session=db_session, assessment_id=assessment_id)
    )


@router.delete("/assessments/{assessment_id}", status_code=204)
def delete_assessment(assessment_id: IdPath, user: Planner, db_session: SessionDep) -> Response:
    service.delete_assessment(db_session=db_session, actor=user, assessment_id=assessment_id)
    db_session.commit()
    return Response(status_code=204)


@router.get("/assessments/{assessment_id}/report.html", response_class=HTMLResponse)
def report_html(
    assessment_id: IdPath, request: Request, user: Planner, db_session: SessionDep
) -> HTMLResponse:
    html = service.report_html(
        db_session=db_session,
        assessment_id=assessment_id,
        locale=request_locale(request),
        settings=_settings(request),
    )
    return HTMLResponse(html)


@router.get("/assessments/{assessment_id}/report.pdf", responses=body_types("application/pdf"))
def report_pdf(
    assessment_id: IdPath, request: Request, user: Planner, db_session: SessionDep
) -> Response:
    row = service.get_assessment(db_session=db_session, assessment_id=assessment_id)
    pdf = service.report_pdf(
        db_session=db_session,
        assessment_id=assessment_id,
        locale=request_locale(request),
        settings=_settings(request),
    )
    name = f"assessment-{row.city_code}-{row.period}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/cities/{city_code}/history")
def city_history(city_code: str, user: Planner, db_session: SessionDep) -> list[dict[str, Any]]:
    """Headline figures of every stored period, oldest first (for trends)."""
    return [
        {
            "period": r["period"],
            "index": r["index"],
            "triangle_area": r["triangle_area"],
            "axes": r["axes"],
            "balance": r["balance"],
            "elements": r["elements"],
            "phase": r["phase"],
            "sources": r["sources"],
        }
        for r in service.history(db_session=db_session, city_code=city_code)
    ]


@router.get("/cities/{city_code}/compare")
def compare(
    city_code: str, base: Period, target: Period, user: Planner, db_session: SessionDep
) -> dict[str, Any]:
    """What moved between two periods, and why."""
    return service.compare_periods(
        db_session=db_session, city_code=city_code, base_period=base, target_period=target
    )


@router.get("/peers", response_model=list[PeerRead])
def list_peers(user: Planner, db_session: SessionDep, period: Period | None = None) -> list[Any]:
    return list(service.list_peers(db_session=db_session, period=period))


@router.put("/peers/{period}/{code}", response_model=PeerRead)
def save_peer(
    period: PeriodPath,
    code: CityCodePath,
    body: PeerWrite,
    request: Request,
    user: Planner,
    db_session: SessionDep,
) -> Any:
    row = service.save_peer(
        db_session=db_session,
        actor=user,
        code=code,
        name=body.name,
        period=period,
        values=body.values,
        source=body.source,
        settings=_settings(request),
    )
    db_session.commit()
    return row


@router.delete("/peers/{period}/{code}", status_code=204)
def delete_peer(
    period: PeriodPath, code: CityCodePath, user: Planner, db_session: SessionDep
) -> Response:
    service.delete_peer(db_session=db_session, actor=user, code=code, period=period)
    db_session.commit()
    return Response(status_code=204)


@router.get("/architecture/{city_code}/{domain}")
def get_architecture(
    city_code: str,
    domain: str,
    request: Request,
    user: Planner,
    db_session: SessionDep,
    regenerate: bool = False,
) -> dict[str, Any]:
    """The domain's 4A outline: stored edits, or generated from what the platform knows."""
    return service.get_architecture(
        db_session=db_session,
        viewer=user,
        city_code=city_code,
        domain=domain,
        settings=_settings(request),
        locale=request_locale(request),
        regenerate=regenerate,
    )


@router.put("/architecture/{city_code}/{domain}")
def save_architecture(
    city_code: str,
    domain: str,
    body: ArchitectureWrite,
    request: Request,
    user: Planner,
    db_session: SessionDep,
) -> dict[str, Any]:
    content = service.save_architecture(
        db_session=db_session,
        actor=user,
        city_code=city_code,
        domain=domain,
        sections=body.sections,
        settings=_settings(request),
    )
    db_session.commit()
    return content
