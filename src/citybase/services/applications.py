"""Applications (办件): draft with evidence preview → submit → instant or manual decision.

1. ``start_application``: the applicant names an item and fills its form; every material
   the government holds is fetched (``evidence.py``) for the applicant to preview. Nothing
   is decided yet; the draft holds what was fetched.
2. ``submit_application``: the applicant agrees to or declines each piece (declined and
   unavailable pieces become uploads); the application starts on the workflow; the rules in
   force on the date decide. An instant item (秒批) whose rules all pass is accepted,
   approved, issued its e-certificate and delivered in the same transaction; one whose
   rules reject is rejected with the trace; anything else waits for an officer with the
   trace as a recommendation.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.db import mark_write, utcnow
from citybase.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from citybase.identifiers.idcard import normalise_id_number, validate_id_number
from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.services import evidence, flow, issuing, rules
from citybase.services.catalogue import Item
from citybase.services.models import ApplicantProfile, Certificate, ServiceApplication
from citybase.services.ruletests import library
from citybase.settings import Settings

OPEN = ("submitted", "review", "supplement", "approved")
STAFF_ROLES = frozenset({Role.officer.value, Role.dept_admin.value})


def purpose_of(item: Item) -> str:
    return f"一网通办免于提交：{item.name.zh}（{item.code}）申请材料核验"


def _profile(
    db_session: Session, settings: Settings, actor: User, item: Item, id_number: str | None
) -> str:
    """The applicant's verified ID number (实名): fixed at the first application."""
    if actor.role != Role.applicant:
        raise PermissionDenied(
            f"Only citizen and business accounts apply for services; you are '{actor.role}'."
        )
    profile = db_session.scalar(
        select(ApplicantProfile).where(ApplicantProfile.user_id == actor.id)
    )
    if profile is not None and profile.id_number:
        if id_number and normalise_id_number(id_number) != profile.id_number:
            raise PermissionDenied(
                "id_number: this account is verified for another ID number; apply from the "
                "account of the person concerned.",
                field="id_number",
            )
        return profile.id_number
    if not id_number:
        raise ValidationFailed(
            "id_number: give your ID number once to verify your account (实名认证).",
            field="id_number",
        )
    validate_id_number(id_number, field="id_number")
    number = normalise_id_number(id_number)
    db_session.add(ApplicantProfile(user_id=actor.id, id_number=number))
    from citybase.sharing import service as sharing_service

    sharing_service.link_citizen(
        db_session=db_session,
        settings=settings,
        actor=None,
        username=actor.username,
        id_number=number,
    )
    audit_service.record(
        db_session,
        actor=actor,
        action="services.applicant.verify",
        object_type="user",
        object_id=actor.username,
        detail={"id_number": number[:6] + "…"},
    )
    return number


def _form(item: Item, form: dict[str, Any]) -> dict[str, Any]:
    unknown = [k for k in form if k not in item.form_fields]
    if unknown:
        raise ValidationFailed(
            f"form.{unknown[0]}: {item.code} does not ask for it; its fields: "
            f"{', '.join(item.form_fields) or '(none)'}.",
            field=f"form.{unknown[0]}",
        )
    for name in item.form_fields:
        value = form.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValidationFailed(f"form.{name}: required by {item.code}.", field=f"form.{name}")
    return {k: v.strip() if isinstance(v, str) else v for k, v in form.items()}


def _open_duplicate(db_session: Session, actor: User, item: Item) -> ServiceApplication | None:
    return db_session.scalar(
        select(ServiceApplication).where(
            ServiceApplication.applicant_id == actor.id,
            ServiceApplication.item_code == item.code,
            ServiceApplication.status.in_(OPEN),
        )
    )


def _refuse_twice(db_session: Session, actor: User, item: Item) -> None:
    dup = _open_duplicate(db_session, actor, item)
    if dup is not None:
        raise Conflict(
            f"item: you already have application #{dup.id} for {item.name.zh} ({dup.status}); "
            "follow it up or withdraw it before applying again.",
            field="item",
        )
    if item.certificate is not None:
        held = db_session.scalar(
            select(Certificate.id).where(
                Certificate.holder_id == actor.id,
                Certificate.item_code == item.code,
                Certificate.revoked_at.is_(None),
                Certificate.valid_until >= dt.date.today(),
            )
        )
        if held is not None:
            raise Conflict(
                f"item: you already hold a valid {item.certificate.title.zh} ({held}) for "
                f"{item.name.zh}; apply again once it expires or is revoked.",
                field="item",
            )


def start_application(
    *,
    db_session: Session,
    settings: Settings,
    data_dir: Path,
    actor: User,
    item_code: str,
    form: dict[str, Any],
    id_number: str | None = None,
    bundle_id: int | None = None,
) -> ServiceApplication:
    lib = library(settings)
    item = lib.catalogue.get(item_code)
    if item.applicant == "enterprise":
        raise ValidationFailed(
            f"item: {item.code} is applied for by an enterprise account with its USCC; "
            "enterprise applications are not online yet — apply at the counter.",
            field="item",
        )
    mark_write(db_session)
    number = _profile(db_session, settings, actor, item, id_number)
    clean = _form(item, form)
    _refuse_twice(db_session, actor, item)
    pieces: list[evidence.Piece] = []
    reader = evidence.service_account(db_session, item.department)
    for m in item.materials:
        if m.supply is not None:
            pieces.append(
                evidence.fetch_dataset(
                    db_session,
                    data_dir=data_dir,
                    settings=settings,
                    reader=reader,
                    item=item,
                    material=m,
                    key=number,
                    purpose=purpose_of(item),
                )
            )
        elif m.certificate is not None:
            pieces.append(
                evidence.fetch_certificate(db_session, settings=settings, holder=actor, material=m)
            )
    app = ServiceApplication(
        item_code=item.code,
        department_code=item.department,
        applicant_id=actor.id,
        applicant_name=actor.display_name,
        id_number=number,
        status="draft",
        form=json.dumps(clean, ensure_ascii=False),
        evidence=json.dumps([p.as_dict() for p in pieces], ensure_ascii=False),
        needed=sum(1 for m in item.materials if m.required),
        bundle_id=bundle_id,
        created_at=utcnow(),
    )
    db_session.add(app)
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="services.application.draft",
        object_type="service_application",
        object_id=str(app.id),
        purpose=purpose_of(item),
        detail={"item": item.code, "evidence": {p.material: p.status for p in pieces}},
    )
    return app


def pieces_of(app: ServiceApplication) -> list[evidence.Piece]:
    return [evidence.Piece(**p) for p in json.loads(app.evidence or "[]")]


def _own(app: ServiceApplication, actor: User) -> None:
    if app.applicant_id != actor.id:
        raise NotFound(f"No application #{app.id} of yours.", field="application_id")


def get_application(
    *, db_session: Session, viewer: User, application_id: int
) -> ServiceApplication:
    """For its applicant, staff of the item's department and platform admins."""
    app = db_session.get(ServiceApplication, application_id)
    if app is not None and (
        app.applicant_id == viewer.id
        or identity_service.is_admin(viewer)
        or (viewer.role in STAFF_ROLES and viewer.department_code == app.department_code)
    ):
        return app
    raise NotFound(f"No application #{application_id} that you may see.", field="application_id")


def submit_application(
    *,
    db_session: Session,
    settings: Settings,
    actor: User,
    application_id: int,
    consent: dict[str, bool],
) -> ServiceApplication:
    mark_write(db_session)
    app = get_application(db_session=db_session, viewer=actor, application_id=application_id)
    _own(app, actor)
    if app.status != "draft":
        raise Conflict(
            f"Application #{app.id} is already submitted ({app.status}).", field="status"
        )
    lib = library(settings)
    item = lib.catalogue.get(app.item_code)
    _refuse_twice(db_session, actor, item)
    pieces = pieces_of(app)
    for i, p in enumerate(pieces):  # a certificate issued since the draft (一件事) counts
        material = next(m for m in item.materials if m.key == p.material)
        if p.kind == "certificate" and p.status != "fetched":
            pieces[i] = p = evidence.fetch_certificate(
                db_session, settings=settings, holder=actor, material=material
            )
    for p in pieces:
        if p.status != "fetched":
            p.consent = "declined"
            continue
        if p.material not in consent:
            raise ValidationFailed(
                f"consent.{p.material}: agree (true) to use {p.name_zh} as fetched, or "
                "decline (false) and upload it instead.",
                field=f"consent.{p.material}",
            )
        p.consent = "agreed" if consent[p.material] else "declined"
    used = {p.material for p in pieces if p.consent == "agreed"}
    asked = [m.key for m in item.materials if m.required and m.key not in used]
    uploads = [k for k in asked if k not in item.form_fields]  # typed ones are in the form
    app.evidence = json.dumps([p.as_dict() for p in pieces], ensure_ascii=False)
    app.uploads = json.dumps(uploads)
    app.asked = len(asked)
    now = utcnow()
    app.submitted_at = now
    flow.start(db_session, app, actor, settings)
    audit_service.record(
        db_session,
        actor=actor,
        action="services.application.submit",
        object_type="service_application",
        object_id=str(app.id),
        purpose=purpose_of(item),
        detail={
            "item": item.code,
            "consent": {p.material: p.consent for p in pieces},
            "uploads": uploads,
        },
    )
    _decide_by_rules(db_session, settings, app, item, pieces, now)
    return app


def inputs_of(
    app: ServiceApplication, pieces: list[evidence.Piece]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    form = json.loads(app.form or "{}")
    values = {**form, **evidence.values_of(pieces)}
    sources = {k: {"kind": "applicant", "field": f"form.{k}"} for k in form}
    sources.update(evidence.sources_of(pieces))
    return values, sources


def _decide_by_rules(
    db_session: Session,
    settings: Settings,
    app: ServiceApplication,
    item: Item,
    pieces: list[evidence.Piece],
    now: dt.datetime,
) -> None:
    lib = library(settings)
    on = now.date()
    rule_set = lib.rulebook.in_force(item.code, on)
    if rule_set is None:
        app.outcome = json.dumps(
            {
                "decision": "manual_review",
                "trace": [],
                "legal_basis": item.legal_basis,
                "rule_version": None,
            }
        )
        return
    values, sources = inputs_of(app, pieces)
    out = rules.decide(rule_set, on=on, values=values, sources=sources, item=item)
    app.rule_version = out.rule_version
    app.outcome = json.dumps(out.as_dict(), ensure_ascii=False)
    if out.decision == "approved" and json.loads(app.uploads or "[]"):
        # an upload is a paper only an officer reads: never approve on it unseen
        out.decision = "manual_review"
        app.outcome = json.dumps(
            {
                **out.as_dict(),
                "note": "materials to upload: an officer checks them (须人工核验上传材料)",
            },
            ensure_ascii=False,
        )
    if not item.instant or out.decision == "manual_review":
        return
    flow.move(db_session, app, "accept_at_once", None, "秒报：规则受理", settings, at=now)
    flow.start_limit(app, item.promised_days, settings, now)
    app.instant = True
    app.decided_at = now
    app.decided_by_name = "system (秒批)"
    app.decision = out.decision
    if out.decision == "rejected":
        failed = [s.message_zh for s in out.trace if s.outcome == "reject"]
        flow.move(db_session, app, "reject_by_rules", None, "；".join(failed), settings, at=now)
        app.finished_at = now
        return
    flow.move(db_session, app, "approve_by_rules", None, "秒批：规则全部满足", settings, at=now)
    _deliver(db_session, settings, app, item, values, now)


def _deliver(
    db_session: Session,
    settings: Settings,
    app: ServiceApplication,
    item: Item,
    values: dict[str, Any],
    now: dt.datetime,
) -> None:
    if item.certificate is not None:
        issuing.issue(db_session, settings=settings, app=app, item=item, values=values, at=now)
    flow.move(db_session, app, "deliver_at_once", None, "电子送达", settings, at=now)
    app.finished_at = now
