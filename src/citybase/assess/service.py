"""Assessment service: the only door into the assess domain.

Every write is audited. Framework and action library are the city's own when
``assess_framework.yaml`` / ``assess_actions.yaml`` sit in CITYBASE_TAXONOMY_DIR.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from citybase.assess import architecture as arch
from citybase.assess import report
from citybase.assess.assessment import assess
from citybase.assess.compare import compare_results
from citybase.assess.inputs import (
    AssessmentRequest,
    AssessmentSpec,
    Problems,
    parse_city,
    request_from_spec,
)
from citybase.assess.models import Architecture, Assessment, PeerCity
from citybase.assess.platform import (
    collect_live_indicators,
    platform_actions,
    platform_framework,
    platform_knowledge,
)
from citybase.assess.tables import RawCity
from citybase.audit import service as audit_service
from citybase.db import utcnow
from citybase.errors import Conflict, NotFound, ValidationFailed
from citybase.identity.models import User
from citybase.settings import Settings

# --- assessments -----------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _stored_peers(db_session: Session, period: str, exclude: str) -> list[RawCity]:
    return [
        RawCity(
            p.code, p.name, {k: (v, f"peer {p.code} ({period}): {k}") for k, v in p.values.items()}
        )
        for p in list_peers(db_session=db_session, period=period)
        if p.code != exclude
    ]


def compute(
    *,
    db_session: Session,
    request: AssessmentRequest,
    settings: Settings | None = None,
    use_stored_peers: bool = True,
) -> dict[str, Any]:
    """Score a request without storing it (live indicators and stored peers included)."""
    spec = request.spec
    fw = platform_framework(settings)
    if not request.peers and use_stored_peers:
        request.peers = _stored_peers(db_session, spec.period, spec.city.code)
    live = collect_live_indicators(db_session=db_session) if spec.live else None
    return assess(request, framework=fw, actions=platform_actions(fw, settings), live=live)


def request_for_api(spec: AssessmentSpec) -> AssessmentRequest:
    """A request from an API/page body: files and server-side paths are not accepted."""
    for attr in ("framework", "actions", "values_file", "peers_file"):
        if getattr(spec, attr):
            raise ValidationFailed(
                f"'{attr}' names a file on the server and is accepted from the command line "
                "only; send the values themselves (values, peers).",
                field=attr,
            )
    return request_from_spec(spec, base_dir=None, origin="request")


def run_assessment(
    *,
    db_session: Session,
    actor: User | None,
    request: AssessmentRequest,
    settings: Settings | None = None,
    replace: bool = False,
    use_stored_peers: bool = True,
) -> Assessment:
    """Compute and store one city's assessment for one period (replace=True recomputes)."""
    spec = request.spec
    existing = find_assessment(db_session=db_session, city_code=spec.city.code, period=spec.period)
    if existing is not None and not replace:
        raise Conflict(
            f"An assessment of '{spec.city.code}' for {spec.period} already exists "
            f"(id {existing.id}); send replace=true to recompute it.",
            field="period",
        )
    result = compute(
        db_session=db_session, request=request, settings=settings, use_stored_peers=use_stored_peers
    )
    inputs = {
        "spec": spec.model_dump(mode="json", exclude={"values", "peers"}),
        "values": {k: raw for k, (raw, _) in request.city.values.items()},
        "peers": [p.code for p in request.peers],
        "origin": request.origin,
    }
    row = existing or Assessment(city_code=spec.city.code, period=spec.period, revision=0)
    row.city_name = spec.city.name or row.city_name or ""
    row.framework_id = result["framework"]["id"]
    row.framework_version = result["framework"]["version"]
    row.live = spec.live
    row.revision = (row.revision or 0) + 1
    row.bte_index = result["index"]
    row.axis_b, row.axis_t, row.axis_e = (result["axes"][a] for a in "BTE")
    row.inputs = _json_safe(inputs)
    row.result = _json_safe(result)
    row.created_by_name = actor.username if actor else "system"
    row.updated_at = utcnow()
    if existing is None:
        db_session.add(row)
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="assess.assessment.replace" if existing else "assess.assessment.create",
        object_type="assess_assessment",
        object_id=f"{row.city_code}/{row.period}",
        purpose="digital transformation assessment",
        detail={
            "id": row.id,
            "revision": row.revision,
            "index": row.bte_index,
            "live": row.live,
            "sources": result["sources"],
            "peers": len(request.peers),
        },
    )
    return row


def find_assessment(*, db_session: Session, city_code: str, period: str) -> Assessment | None:
    return db_session.scalar(
        select(Assessment).where(Assessment.city_code == city_code, Assessment.period == period)
    )


def get_assessment(*, db_session: Session, assessment_id: int) -> Assessment:
    row = db_session.get(Assessment, assessment_id)
    if row is None:
        raise NotFound(f"No assessment with id {assessment_id}.", field="assessment_id")
    return row


def list_assessments(*, db_session: Session, city_code: str | None = None) -> list[Assessment]:
    stmt = select(Assessment).order_by(Assessment.city_code, Assessment.period)
    if city_code:
        stmt = stmt.where(Assessment.city_code == city_code)
    return list(db_session.scalars(stmt))


def latest_assessment(*, db_session: Session, city_code: str | None = None) -> Assessment | None:
    """The newest period's assessment (of ``city_code``, or of any city: the platform's own,
    measured live, wins a tie) — the dashboard's BTE triangle."""
    stmt = (
        select(Assessment)
        .options(defer(Assessment.result), defer(Assessment.inputs))  # the headline only
        .where(Assessment.bte_index.is_not(None))
    )
    if city_code:
        stmt = stmt.where(Assessment.city_code == city_code)
    stmt = stmt.order_by(
        Assessment.period.desc(), Assessment.live.desc(), Assessment.updated_at.desc()
    )
    return db_session.scalars(stmt.limit(1)).first()


def delete_assessment(*, db_session: Session, actor: User | None, assessment_id: int) -> None:
    row = get_assessment(db_session=db_session, assessment_id=assessment_id)
    audit_service.record(
        db_session,
        actor=actor,
        action="assess.assessment.delete",
        object_type="assess_assessment",
        object_id=f"{row.city_code}/{row.period}",
        detail={"id": row.id, "index": row.bte_index},
    )
    db_session.delete(row)
    db_session.flush()


def history(*, db_session: Session, city_code: str) -> list[dict[str, Any]]:
    """The city's stored results, oldest period first."""
    return [a.result for a in list_assessments(db_session=db_session, city_code=city_code)]


def compare_periods(
    *, db_session: Session, city_code: str, base_period: str, target_period: str
) -> dict[str, Any]:
    rows = {}
    for period in (base_period, target_period):
        row = find_assessment(db_session=db_session, city_code=city_code, period=period)
        if row is None:
            raise NotFound(f"No assessment of '{city_code}' for {period}.", field="period")
        rows[period] = row
    return compare_results(rows[base_period].result, rows[target_period].result)


# --- peers -------------------------------------------------------------------------------------


def list_peers(*, db_session: Session, period: str | None = None) -> list[PeerCity]:
    stmt = select(PeerCity).order_by(PeerCity.period, PeerCity.code)
    if period:
        stmt = stmt.where(PeerCity.period == period)
    return list(db_session.scalars(stmt))


def save_peer(
    *,
    db_session: Session,
    actor: User | None,
    code: str,
    name: str,
    period: str,
    values: dict[str, Any],
    source: str = "",
    settings: Settings | None = None,
) -> PeerCity:
    """Create or update a peer city's values for a period; values are validated first."""
    spec = AssessmentSpec.model_validate({"city": {"code": code, "name": name}, "period": period})
    problems = Problems(f"peer {code} ({period})")
    raw = RawCity(code, name, {k: (v, f"values.{k}") for k, v in values.items()})
    parse_city(platform_framework(settings), raw, problems)
    problems.raise_if_any()
    row = db_session.scalar(
        select(PeerCity).where(PeerCity.code == spec.city.code, PeerCity.period == spec.period)
    )
    created = row is None
    if row is None:
        row = PeerCity(code=spec.city.code, period=spec.period)
        db_session.add(row)
    row.name = name
    row.values = _json_safe(values)
    row.source = source[:300]
    row.updated_at = utcnow()
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="assess.peer.create" if created else "assess.peer.update",
        object_type="assess_peer",
        object_id=f"{code}/{period}",
        detail={"values": len(values), "source": source[:100]},
    )
    return row


def delete_peer(*, db_session: Session, actor: User | None, code: str, period: str) -> None:
    row = db_session.scalar(
        select(PeerCity).where(PeerCity.code == code, PeerCity.period == period)
    )
    if row is None:
        raise NotFound(f"No peer city '{code}' for {period}.", field="code")
    audit_service.record(
        db_session,
        actor=actor,
        action="assess.peer.delete",
        object_type="assess_peer",
        object_id=f"{code}/{period}",
    )
    db_session.delete(row)
    db_session.flush()


# --- 4A architecture ---------------------------------------------------------------------------


def get_architecture(
    *,
    db_session: Session,
    viewer: User | None,
    city_code: str,
    domain: str,
    settings: Settings | None = None,
    locale: str = "zh-CN",
    regenerate: bool = False,
) -> dict[str, Any]:
    """The stored (edited) outline, or one generated from what the platform knows."""
    fw = platform_framework(settings)
    if domain not in fw.domains:
        raise NotFound(
            f"Unknown domain '{domain}'; the framework's domains are {', '.join(fw.domains)}.",
            field="domain",
        )
    stored = _architecture_row(db_session, city_code, domain)
    if stored is not None and not regenerate:
        return dict(stored.content)
    knowledge = platform_knowledge(db_session=db_session, viewer=viewer)
    return arch.outline(
        fw, domain, knowledge, platform_actions(fw, settings), city_code=city_code, locale=locale
    )


def _architecture_row(db_session: Session, city_code: str, domain: str) -> Architecture | None:
    return db_session.scalar(
        select(Architecture).where(
            Architecture.city_code == city_code, Architecture.domain == domain
        )
    )


def save_architecture(
    *,
    db_session: Session,
    actor: User | None,
    city_code: str,
    domain: str,
    sections: dict[str, Any],
    settings: Settings | None = None,
) -> dict[str, Any]:
    fw = platform_framework(settings)
    if domain not in fw.domains:
        raise NotFound(f"Unknown domain '{domain}'.", field="domain")
    clean = arch.validate_content(sections)
    row = _architecture_row(db_session, city_code, domain)
    if row is None:
        row = Architecture(city_code=city_code, domain=domain)
        db_session.add(row)
    content = {
        "city": city_code,
        "domain": domain,
        "domain_name": fw.domains[domain].name.zh,
        "sections": clean,
        "sources": {"edited": actor.username if actor else "system"},
        "generated_at": utcnow().isoformat(timespec="seconds"),
        "edited": True,
    }
    row.content = content
    row.edited_by_name = actor.username if actor else "system"
    row.updated_at = utcnow()
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="assess.architecture.save",
        object_type="assess_architecture",
        object_id=f"{city_code}/{domain}",
        detail={s: len(items) for s, items in clean.items()},
    )
    return content


# --- reports -----------------------------------------------------------------------------------


def report_html(
    *,
    db_session: Session,
    assessment_id: int,
    locale: str = "zh-CN",
    settings: Settings | None = None,
) -> str:
    row = get_assessment(db_session=db_session, assessment_id=assessment_id)
    return report.render_html(
        row.result,
        platform_framework(settings),
        history=history(db_session=db_session, city_code=row.city_code),
        locale=locale,
    )


def report_pdf(
    *,
    db_session: Session,
    assessment_id: int,
    locale: str = "zh-CN",
    settings: Settings | None = None,
) -> bytes:
    html = report_html(
        db_session=db_session, assessment_id=assessment_id, locale=locale, settings=settings
    )
    return report.render_pdf(html)
