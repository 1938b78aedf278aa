"""The job page: live percentage (through the event stream), then the result's link."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from citybase.events.service import last_id
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.jobs import service
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: int, user: CurrentUser, db_session: SessionDep) -> Response:
    job = service.get(db_session=db_session, job_id=job_id, user=user)
    after = last_id(db_session)  # the page's stream starts here: no update is missed
    return render(request, "jobs/job.html", {"job": service.as_dict(job), "after": after})


@router.post("/jobs/{job_id}/cancel")
def cancel_page(
    request: Request, job_id: int, user: CurrentUser, db_session: SessionDep
) -> Response:
    service.cancel(db_session=db_session, job_id=job_id, user=user)
    db_session.commit()
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)
