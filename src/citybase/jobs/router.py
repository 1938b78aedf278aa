"""Job status and cancellation (owner or platform admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from citybase.identity.deps import CurrentUser, SessionDep
from citybase.jobs import service

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
JobId = Annotated[int, Path(ge=1, le=2**62, description="Job id")]


@router.get("/{job_id}", summary="A job's status, progress and result")
def get_job(job_id: JobId, user: CurrentUser, db_session: SessionDep) -> dict[str, Any]:
    return service.as_dict(service.get(db_session=db_session, job_id=job_id, user=user))


@router.post("/{job_id}/cancel", summary="Cancel a queued job or stop a running one")
def cancel_job(job_id: JobId, user: CurrentUser, db_session: SessionDep) -> dict[str, Any]:
    job = service.cancel(db_session=db_session, job_id=job_id, user=user)
    db_session.commit()
    return service.as_dict(job)
