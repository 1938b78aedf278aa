"""Services API under /api/services: catalogue, decisions, applications, certificates,
bundles and figures. Thin: authenticate, parse, call the service, commit, return."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response

from citybase.errors import NotFound, ValidationFailed
from citybase.identity.deps import CurrentUser, OptionalUser, SessionDep
from citybase.services import bundles, issuing
from citybase.services import service as svc
from citybase.services.models import BundleApplication
from citybase.services.ruletests import library
from citybase.services.schemas import (
    ApplicationRead,
    ApplyBody,
    BundleBody,
    CertificateRead,
    DecideBody,
    ItemRead,
    RateBody,
    ReasonBody,
    SubmitBody,
    VerificationRead,
    VerifyBody,
)
from citybase.settings import Settings
from citybase.web.openapi import IdPath

router = APIRouter(prefix="/api/services", tags=["services (一网通办)"])
ACTIONS = (
    "accept",
    "refuse",
    "approve",
    "reject",
    "request_supplement",
    "resubmit",
    "deliver",
    "withdraw",
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _data_dir(request: Request) -> Path:
    return Path(_settings(request).data_dir)


@router.get("/items", response_model=list[ItemRead])
def list_items(
    request: Request, db_session: SessionDep, q: str = "", department: str | None = None
) -> list[ItemRead]:
    """The catalogue (public); ``q`` searches in Chinese (jieba), best match first."""
    if q.strip():
        return svc.search_items(q=q, db_session=db_session, settings=_settings(request))
    return svc.list_items(db_session=db_session, settings=_settings(request), department=department)


@router.get("/items/{code}", response_model=ItemRead)
def get_item(code: str, request: Request, db_session: SessionDep) -> ItemRead:
    return svc.get_item(code=code, db_session=db_session, settings=_settings(request))


@router.post("/items/{code}/decide")
def decide(code: str, body: DecideBody, request: Request, user: CurrentUser) -> dict[str, Any]:
    """The rules in force on ``date`` applied to ``input`` (nothing fetched or stored)."""
    del user
    out = svc.decide(item_code=code, on=body.date, values=body.input, settings=_settings(request))
    return out.as_dict()


@router.post("/applications", response_model=ApplicationRead, status_code=201)
def start_application(
    body: ApplyBody, request: Request, user: CurrentUser, db_session: SessionDep
) -> ApplicationRead:
    """A draft with every material the city holds fetched for preview (免于提交)."""
    app = svc.start_application(
        db_session=db_session,
        settings=_settings(request),
        data_dir=_data_dir(request),
        actor=user,
        item_code=body.item,
        form=body.form,
        id_number=body.id_number,
    )
    db_session.commit()
    return svc.application_read(
        db_session=db_session, app=app, viewer=user, settings=_settings(request)
    )


@router.post("/applications/{application_id}/submit", response_model=ApplicationRead)
def submit(
    application_id: IdPath,
    body: SubmitBody,
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
) -> ApplicationRead:
    """Agree or decline each fetched piece, submit, and get the instant decision (秒批)."""
    app = svc.submit_application(
        db_session=db_session,
        settings=_settings(request),
        actor=user,
        application_id=application_id,
        consent=body.consent,
    )
    db_session.commit()
    return svc.application_read(
        db_session=db_session, app=app, viewer=user, settings=_settings(request), with_history=True
    )


@router.get("/applications", response_model=list[ApplicationRead])
def list_applications(
    request: Request, user: CurrentUser, db_session: SessionDep, status: str | None = None
) -> list[ApplicationRead]:
    """An applicant's own applications; staff: their department's queue, most urgent first."""
    if user.role == "applicant":
        apps = svc.mine(db_session=db_session, applicant=user)
    else:
        apps = svc.queue(db_session=db_session, viewer=user, status=status)
    out = [
        svc.application_read(db_session=db_session, app=a, viewer=None, settings=_settings(request))
        for a in apps
    ]
    if user.role != "applicant" and apps:
        from citybase.audit import service as audit_service

        audit_service.record(
            db_session,
            actor=user,
            action="services.application.list",
            object_type="service_application",
            object_id="queue",
            purpose="办件受理 acceptance queue",
            detail={"rows": len(apps)},
        )
        db_session.commit()
    return out


@router.get("/applications/{application_id}", response_model=ApplicationRead)
def get_application(
    application_id: IdPath, request: Request, user: CurrentUser, db_session: SessionDep
) -> ApplicationRead:
    app = svc.get_application(db_session=db_session, viewer=user, application_id=application_id)
    read = svc.application_read(
        db_session=db_session, app=app, viewer=user, settings=_settings(request), with_history=True
    )
    db_session.commit()
    return read


@router.post("/applications/{application_id}/actions/{action}", response_model=ApplicationRead)
def act(
    application_id: IdPath,
    action: str,
    body: ReasonBody,
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
) -> ApplicationRead:
    """A workflow move: accept 受理, refuse, approve, reject, request_supplement 补正,
    resubmit, deliver, withdraw 撤回."""
    if action not in ACTIONS:
        raise ValidationFailed(f"action: one of {', '.join(ACTIONS)}.", field="action")
    app = svc.act(
        db_session=db_session,
        settings=_settings(request),
        actor=user,
        application_id=application_id,
        action=action,
        reason=body.reason,
    )
    db_session.commit()
    return svc.application_read(
        db_session=db_session, app=app, viewer=user, settings=_settings(request), with_history=True
    )


@router.post("/applications/{application_id}/rating", response_model=ApplicationRead)
def rate(
    application_id: IdPath,
    body: RateBody,
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
) -> ApplicationRead:
    app = svc.rate(
        db_session=db_session,
        actor=user,
        application_id=application_id,
        rating=body.rating,
        reason=body.reason,
    )
    db_session.commit()
    return svc.application_read(
        db_session=db_session, app=app, viewer=user, settings=_settings(request)
    )


@router.get("/certificates", response_model=list[CertificateRead])
def my_certificates(user: CurrentUser, db_session: SessionDep) -> list[CertificateRead]:
    return [issuing.to_read(c) for c in svc.list_certificates(db_session=db_session, holder=user)]


@router.get("/certificates/{cert_id}", response_model=CertificateRead)
def get_certificate(cert_id: str, user: CurrentUser, db_session: SessionDep) -> CertificateRead:
    return issuing.to_read(svc.get_certificate(db_session=db_session, viewer=user, cert_id=cert_id))


@router.get("/certificates/{cert_id}/pdf")
def certificate_pdf(cert_id: str, user: CurrentUser, db_session: SessionDep) -> Response:
    """The printable certificate with its QR code (the signed token)."""
    cert = svc.get_certificate(db_session=db_session, viewer=user, cert_id=cert_id)
    return Response(
        issuing.certificate_pdf(cert),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{cert.id}.pdf"'},
    )


@router.post("/certificates/{cert_id}/revoke", response_model=CertificateRead)
def revoke(
    cert_id: str, body: ReasonBody, user: CurrentUser, db_session: SessionDep
) -> CertificateRead:
    cert = svc.revoke_certificate(
        db_session=db_session, actor=user, cert_id=cert_id, reason=body.reason
    )
    db_session.commit()
    return issuing.to_read(cert)


@router.post("/verify", response_model=VerificationRead)
def verify(
    body: VerifyBody, request: Request, db_session: SessionDep, user: OptionalUser
) -> VerificationRead:
    """Anyone may verify a certificate: signature, the city's key, expiry, revocation."""
    del user
    return svc.verify_token(db_session=db_session, settings=_settings(request), token=body.token)


@router.get("/bundles")
def list_bundles(request: Request) -> list[dict[str, Any]]:
    """一件事 bundles with forms / materials / visits / days before and after."""
    settings = _settings(request)
    cat = library(settings).catalogue
    return [
        {
            "code": b.code,
            "name": b.name.zh,
            "name_en": b.name.en,
            "items": b.items,
            "fields": bundles.shared_fields(b, cat),
            "before": b.before.model_dump(),
            "after": bundles.after_figures(b, cat).model_dump(),
        }
        for b in svc.load_bundles(settings)
    ]


@router.post("/bundles", status_code=201)
def apply_bundle(
    body: BundleBody, request: Request, user: CurrentUser, db_session: SessionDep
) -> dict[str, Any]:
    record = svc.apply_bundle(
        db_session=db_session,
        settings=_settings(request),
        data_dir=_data_dir(request),
        actor=user,
        code=body.bundle,
        form=body.form,
        consent=body.consent,
        id_number=body.id_number,
    )
    db_session.commit()
    return svc.bundle_status(db_session, record)


@router.get("/bundles/applications/{bundle_id}")
def bundle_application(
    bundle_id: IdPath, user: CurrentUser, db_session: SessionDep
) -> dict[str, Any]:
    record = db_session.get(BundleApplication, bundle_id)
    if record is None or record.applicant_id != user.id:
        raise NotFound(f"No bundle application #{bundle_id} of yours.", field="bundle_id")
    return svc.bundle_status(db_session, record)


@router.get("/figures/today")
def figures_today(
    user: CurrentUser, db_session: SessionDep, department: str | None = None
) -> dict[str, Any]:
    del user
    return svc.today_figures(db_session, department=department)
