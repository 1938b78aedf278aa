"""The manual path: officers accept (受理), decide, ask for more materials (补正); the
applicant resubmits, withdraws and rates (好差评). Guards — role and the item's department —
are the workflow's (``service_application.yaml``): an officer of another department is
refused with 403 naming the moves they may take."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.db import utcnow
from citybase.errors import Conflict, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.models import User
from citybase.services import applications, flow
from citybase.services.models import ServiceApplication
from citybase.services.ruletests import library
from citybase.settings import Settings


def _reason(reason: str, what: str) -> str:
    text = (reason or "").strip()
    if len(text) < 2:
        raise ValidationFailed(f"reason: {what}", field="reason")
    return text


def _audit(
    db_session: Session, actor: User | None, app: ServiceApplication, action: str, reason: str = ""
) -> None:
    audit_service.record(
        db_session,
        actor=actor,
        action=f"services.application.{action}",
        object_type="service_application",
        object_id=str(app.id),
        detail={"item": app.item_code, "status": app.status, "reason": reason},
        department_code=app.department_code,
    )


def act(
    *,
    db_session: Session,
    settings: Settings,
    actor: User,
    application_id: int,
    action: str,
    reason: str = "",
) -> ServiceApplication:
    """Take one move on an application: accept, refuse, approve, reject,
    request_supplement, resubmit, deliver or withdraw."""
    app = applications.get_application(
        db_session=db_session, viewer=actor, application_id=application_id
    )
    if action in ("resubmit", "withdraw") and app.applicant_id != actor.id:
        raise Conflict(f"Only the applicant may {action} application #{app.id}.", field="action")
    if app.status == "draft":
        raise Conflict(f"Application #{app.id} is a draft: submit it first.", field="status")
    flow.check(db_session, app, action, actor, settings)
    item = library(settings).catalogue.get(app.item_code)
    now = utcnow()
    text = reason.strip()
    if action in ("refuse", "approve", "reject", "request_supplement"):
        text = _reason(reason, "give the reason (审查意见), which the applicant reads.")
    flow.move(db_session, app, action, actor, text, settings, at=now)
    if action == "accept":
        flow.start_limit(app, item.promised_days, settings, now)
    elif action == "request_supplement":
        flow.pause_limit(app, now)
        app.note = text
    elif action == "resubmit":
        flow.resume_limit(app, settings, now)
    elif action in ("approve", "reject", "refuse"):
        app.decision = "approved" if action == "approve" else "rejected"
        app.decided_at = now
        app.decided_by_name = actor.username
        app.note = text
        if action != "approve":
            app.finished_at = now
    if action == "approve":
        values, _ = applications.inputs_of(app, applications.pieces_of(app))
        applications._deliver(db_session, settings, app, item, values, now)
    if action in ("withdraw", "deliver"):
        app.finished_at = now
    _audit(db_session, actor, app, action, text)
    return app


def rate(
    *, db_session: Session, actor: User, application_id: int, rating: int, reason: str
) -> ServiceApplication:
    """好差评: once, after the application is finished, with a reason."""
    app = applications.get_application(
        db_session=db_session, viewer=actor, application_id=application_id
    )
    if app.applicant_id != actor.id:
        raise Conflict("Only the applicant rates an application.", field="rating")
    if app.status not in ("delivered", "rejected"):
        raise Conflict(
            f"Application #{app.id} is {app.status}: rate it once it is finished.",
            field="rating",
        )
    if app.rating is not None:
        raise Conflict(f"Application #{app.id} is already rated.", field="rating")
    if not 1 <= rating <= 5:
        raise ValidationFailed("rating: give 1 (很不满意) to 5 (非常满意).", field="rating")
    app.rating = rating
    app.rating_reason = _reason(reason, "say why (评价理由), so the department can improve.")
    _audit(db_session, actor, app, "rate", f"{rating}: {app.rating_reason}")
    return app


def queue(
    *, db_session: Session, viewer: User, status: str | None = None, limit: int = 200
) -> list[ServiceApplication]:
    """The department's applications (acceptance queue: ``submitted``), most urgent first."""
    stmt = select(ServiceApplication).where(ServiceApplication.status != "draft")
    if not identity_service.is_admin(viewer):
        stmt = stmt.where(ServiceApplication.department_code == (viewer.department_code or ""))
    if status:
        stmt = stmt.where(ServiceApplication.status == status)
    stmt = stmt.order_by(
        ServiceApplication.due_at.is_(None), ServiceApplication.due_at, ServiceApplication.id.desc()
    ).limit(limit)
    return list(db_session.scalars(stmt))


def mine(*, db_session: Session, applicant: User) -> list[ServiceApplication]:
    stmt = select(ServiceApplication).where(ServiceApplication.applicant_id == applicant.id)
    return list(db_session.scalars(stmt.order_by(ServiceApplication.id.desc())))


def uploads_of(app: ServiceApplication) -> list[str]:
    return list(json.loads(app.uploads or "[]"))
