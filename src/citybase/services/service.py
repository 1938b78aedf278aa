"""One-stop services' service module: the one door other domains (assess, the dashboard) use.

Import as ``from citybase.services import service as services_service``. Keyword-only
functions taking the caller's ``db_session``; they never commit; every write and every
staff read of an application is audited.

Catalogue
    ``list_items``, ``get_item``, ``search_items``, ``item_read``.
Decisions
    ``decide`` (rules on given inputs, no application), ``run_rule_tests``.
Applications
    ``start_application`` (draft + evidence preview), ``submit_application``, ``act``
    (accept, refuse, approve, reject, request_supplement, resubmit, deliver, withdraw),
    ``rate``, ``get_application``, ``application_read``, ``queue``, ``mine``.
Certificates
    ``list_certificates``, ``get_certificate``, ``revoke_certificate``, ``verify_token``.
Bundles
    ``load_bundles``, ``apply_bundle``, ``bundle_status``, ``after_figures``.
Figures
    ``today_figures(db_session, department=None)``, ``live_indicators``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.identity import service as identity_service
from citybase.identity.models import User
from citybase.services import rules
from citybase.services.applications import get_application, start_application, submit_application
from citybase.services.bundles import after_figures, apply_bundle, bundle_status, load_bundles
from citybase.services.casework import act, mine, queue, rate
from citybase.services.catalogue import DEPTH_LABELS, TYPE_LABELS, Item, search
from citybase.services.figures import live_indicators, today_figures
from citybase.services.flow import allowed, history, limit_state
from citybase.services.issuing import get_certificate, list_certificates, verify_token
from citybase.services.issuing import revoke as revoke_certificate
from citybase.services.models import Certificate, ServiceApplication
from citybase.services.ruletests import library, run_tests
from citybase.services.schemas import ApplicationRead, DepartmentRef, ItemRead
from citybase.settings import Settings, get_settings

__all__ = [
    "act",
    "after_figures",
    "application_read",
    "apply_bundle",
    "bundle_status",
    "decide",
    "get_application",
    "get_certificate",
    "get_item",
    "item_read",
    "list_certificates",
    "list_items",
    "live_indicators",
    "load_bundles",
    "mine",
    "queue",
    "rate",
    "revoke_certificate",
    "run_rule_tests",
    "search_items",
    "start_application",
    "submit_application",
    "today_figures",
    "verify_token",
]

run_rule_tests = run_tests


def _dept_names(db_session: Session | None) -> dict[str, str]:
    if db_session is None:
        return {}
    return {d.code: d.name_zh for d in identity_service.list_departments(db_session=db_session)}


def item_read(item: Item, names: dict[str, str] | None = None) -> ItemRead:
    names = names or {}
    return ItemRead(
        code=item.code,
        name=item.name.zh,
        name_en=item.name.en,
        department=DepartmentRef(
            code=item.department, name_zh=names.get(item.department, item.department)
        ),
        type=item.type,
        type_label=TYPE_LABELS[item.type][0],
        legal_basis=item.legal_basis,
        conditions=item.conditions,
        materials=[
            {
                "key": m.key,
                "name": m.name.zh,
                "name_en": m.name.en,
                "held": m.held,
                "dataset": m.supply.dataset if m.supply else None,
                "certificate_of": m.certificate.item if m.certificate else None,
                "required": m.required,
            }
            for m in item.materials
        ],
        promised_days=item.promised_days,
        statutory_days=item.statutory_days,
        fee=item.fee,
        online_depth=item.online_depth,
        online_depth_label=DEPTH_LABELS[item.online_depth][0],
        instant=item.instant,
        visits=item.visits,
        form_fields=item.form_fields,
        held_share=round(item.held_share, 4),
        certificate=item.certificate.title.zh if item.certificate else None,
    )


def list_items(
    *,
    db_session: Session | None = None,
    settings: Settings | None = None,
    department: str | None = None,
) -> list[ItemRead]:
    names = _dept_names(db_session)
    items = library(settings).catalogue.items
    return [item_read(i, names) for i in items if department in (None, i.department)]


def get_item(
    *, code: str, db_session: Session | None = None, settings: Settings | None = None
) -> ItemRead:
    return item_read(library(settings).catalogue.get(code), _dept_names(db_session))


def search_items(
    *, q: str, db_session: Session | None = None, settings: Settings | None = None
) -> list[ItemRead]:
    names = _dept_names(db_session)
    return [item_read(i, names) for i, _ in search(library(settings).catalogue, q)]


def decide(
    *,
    item_code: str,
    on: dt.date | None = None,
    values: dict[str, Any],
    settings: Settings | None = None,
) -> rules.Outcome:
    """The rules in force on ``on`` applied to given inputs (CLI ``decide``, the API's
    ``/decide``): no evidence is fetched and nothing is stored."""
    lib = library(settings)
    item = lib.catalogue.get(item_code)
    day = on or dt.date.today()
    rule_set = lib.rulebook.require(item.code, day)
    sources = {n: {"kind": "applicant", "field": f"input.{n}"} for n in values}
    return rules.decide(rule_set, on=day, values=values, sources=sources, item=item)


def application_read(
    *,
    db_session: Session,
    app: ServiceApplication,
    viewer: User | None,
    settings: Settings | None = None,
    with_history: bool = False,
) -> ApplicationRead:
    """The application as its viewer sees it; a staff viewer's read is audited (it holds
    the applicant's personal data)."""
    settings = settings or get_settings()
    lib = library(settings)
    item = lib.catalogue.by_code.get(app.item_code)
    cert = db_session.scalar(select(Certificate.id).where(Certificate.application_id == app.id))
    limit = limit_state(app, settings)
    wf = None
    if app.status != "draft":
        from citybase.workflow.registry import get_workflow

        wf = get_workflow("service_application", settings)
    label = wf.states[app.status].label_zh if wf and app.status in wf.states else "草稿"
    if viewer is not None and viewer.id != app.applicant_id:
        audit_service.record(
            db_session,
            actor=viewer,
            action="services.application.read",
            object_type="service_application",
            object_id=str(app.id),
            purpose="办件审查 application review",
            detail={"item": app.item_code},
        )
    return ApplicationRead(
        id=app.id,
        item=app.item_code,
        item_name=item.name.zh if item else app.item_code,
        department=app.department_code,
        applicant=app.applicant_name,
        status=app.status,
        status_label=label,
        decision=app.decision,
        instant=app.instant,
        rule_version=app.rule_version,
        outcome=json.loads(app.outcome or "{}"),
        form=json.loads(app.form or "{}"),
        evidence=json.loads(app.evidence or "[]"),
        uploads=json.loads(app.uploads or "[]"),
        asked=app.asked,
        needed=app.needed,
        due_local=limit.due_local if limit else None,
        limit_status=limit.status if limit else None,
        limit_label=limit.label_zh if limit else None,
        note=app.note,
        rating=app.rating,
        rating_reason=app.rating_reason,
        created_at=app.created_at,
        submitted_at=app.submitted_at,
        decided_at=app.decided_at,
        finished_at=app.finished_at,
        bundle_id=app.bundle_id,
        certificate_id=cert,
        allowed=allowed(db_session, app, viewer, settings) if viewer is not None else [],
        history=history(db_session, app, settings) if with_history else [],
    )
