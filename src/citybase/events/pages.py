"""The admin page of failed event deliveries, with a retry button each."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from citybase.events import service
from citybase.identity.deps import AdminUser, SessionDep
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/events")
def failures_page(request: Request, user: AdminUser, db_session: SessionDep) -> Response:
    return render(request, "events/failures.html", {"failures": service.failures(db_session)})


@router.post("/admin/events/{delivery_id}/retry")
def retry_page(
    request: Request, delivery_id: int, user: AdminUser, db_session: SessionDep
) -> Response:
    service.retry_delivery(db_session, delivery_id=delivery_id, actor=user)
    db_session.commit()
    return RedirectResponse("/admin/events", status_code=303)
