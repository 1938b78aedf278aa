"""The open-data release gate (安全开放); de-identified extracts are ``extracts``.

Two steps, both by the owning department's data steward, both audited:

1. ``extracts.deidentify`` applies a de-identification policy (``privacy.deid``) to the current
   version of a dataset and loads the result as the next version of a *derived* dataset (an
   extract, created on first use in the same department, never open on creation). The link
   to its source version and the policy text are kept as lineage.
2. ``release`` runs the risk gate on a dataset's current version and, when it passes, opens
   it with the requested open type. The gate blocks (and records why) when:
   - the requested open type is not an open one;
   - a direct identifier is left (a rescan of the released rows finds ID numbers, mobiles,
     names… — masked or generalised values no longer validate, so they are not found);
   - a column's values are pseudonyms (or encryption tokens): they link a person across
     datasets, which sharing between departments needs and open data must not allow;
   - over the declared quasi-identifiers, some record is in a class smaller than k
     (``CITYBASE_RELEASE_MIN_K``, default 5);
   - no quasi-identifier is declared although the dataset is personal.

A dataset that holds personal data, or derives from one that does, is *held back* (the open
catalog treats it as not open) whenever its current version is not the released one; a new
load of a released dataset is re-checked with the last release's settings automatically.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog, classify, versions
from citybase.datahub.enums import OpenType
from citybase.datahub.models import Dataset, LineageLink, Release
from citybase.datahub.opengate import (
    OPEN_TYPES,
    is_personal,
    open_licence,
    refresh_held_back,
)
from citybase.datahub.themes import licences
from citybase.errors import ValidationFailed
from citybase.privacy.detect_columns import scan_table
from citybase.privacy.policy import GradingPolicy
from citybase.privacy.risk import risk_report

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from citybase.identity.models import User
    from citybase.settings import Settings

DIRECT_IDENTIFIERS = frozenset(
    {
        "CN_ID_CARD",
        "CN_MOBILE",
        "CN_LANDLINE",
        "EMAIL",
        "BANK_CARD",
        "PERSON_NAME",
        "PASSPORT",
        "CN_PLATE",
    }
)


# --- the release gate -------------------------------------------------------------------------


def evaluate(
    *,
    path: Path,
    quasi_identifiers: list[str],
    min_k: int,
    policy_for_scan: GradingPolicy | None = None,
    personal: bool = True,
) -> tuple[list[str], dict[str, Any]]:
    """The gate's reasons to block (empty: passes) and the risk report of ``path``."""
    table = pq.read_table(path)
    reasons: list[str] = []
    unknown = [q for q in quasi_identifiers if q not in table.column_names]
    if unknown:
        raise ValidationFailed(
            f"quasi_identifiers: '{unknown[0]}' is not a column; columns: "
            f"{', '.join(table.column_names)}",
            field="quasi_identifiers",
        )
    sample = classify.SCAN_SAMPLE if table.num_rows > classify.SCAN_SAMPLE else None
    scan = scan_table(table, sample=sample, policy=policy_for_scan)
    direct = [c for c in scan.columns if c.pii_type in DIRECT_IDENTIFIERS]
    for col in direct:
        reasons.append(
            f"column '{col.name}' still holds direct identifiers ({col.pii_type}, "
            f"{col.hit_ratio:.0%} of values): suppress, mask or generalise it"
        )
    for name in token_columns(table):
        reasons.append(
            f"column '{name}' holds pseudonyms or encrypted tokens, which link a person across "
            "datasets: suppress it for open data (tokens are for sharing between departments)"
        )
    report: dict[str, Any] = {
        "rows": table.num_rows,
        "columns": [c.as_dict() for c in scan.columns],
    }
    if quasi_identifiers:
        risk = risk_report(table, quasi_identifiers)
        report["risk"] = asdict(risk)
        if risk.smallest_class < min_k:
            small = sum(
                n for label, n in risk.class_size_distribution.items() if _bucket_low(label) < min_k
            )
            reasons.append(
                f"k = {risk.smallest_class} over {', '.join(quasi_identifiers)} is below the "
                f"required {min_k}: {small:,} equivalence classes are smaller than {min_k} "
                f"(largest re-identification risk {risk.prosecutor_risk_max:.0%}); "
                "generalise those columns further"
            )
    elif personal:
        reasons.append(
            "no quasi-identifiers declared: name the columns an attacker could know "
            "(birth date, sex, district…) so that k can be checked"
        )
    return reasons, report


# What the pseudonymise and encrypt operators write: "<key id>:<hex>" and "enc:<key id>:…".
# Looked for in the values, because a loaded version no longer carries the operators'
# Parquet metadata (ingestion rewrites the file) — and values are what would be published.
LINKABLE_VALUE = (
    r"^(?:[A-Za-z0-9_-]{1,16}:[0-9a-f]{8,64}"  # pseudonymise
    r"|enc:[A-Za-z0-9_-]{1,16}:[A-Za-z0-9_=-]+)$"  # encrypt
)


def token_columns(table: pa.Table, share: float = 0.9) -> list[str]:
    """Text columns whose non-empty values are (almost) all pseudonym or encryption tokens."""
    import pyarrow.compute as pc

    found = []
    for name in table.column_names:
        column = table.column(name)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        values = column.drop_null()
        if len(values) == 0:
            continue
        hits = pc.sum(pc.match_substring_regex(values, LINKABLE_VALUE)).as_py() or 0
        if hits / len(values) >= share:
            found.append(name)
    return found


def _bucket_low(label: str) -> int:
    return int(label.rstrip("+").split("-")[0])


def _open_licence_for(dataset: Dataset, settings: Settings) -> str:
    """Licences must add up: a dataset released to the public keeps its licence if that is an
    open one, else takes the city's open licence (an extract inherits its source's internal
    licence)."""
    known = {x.id: x for x in licences(settings)}
    current = known.get(dataset.licence)
    if current is None or current.open:
        return dataset.licence
    chosen = open_licence(settings)
    return chosen.id if chosen is not None else dataset.licence


def release(
    *,
    db_session: Session,
    data_dir: Path,
    settings: Settings,
    actor: User | None,
    name: str,
    quasi_identifiers: list[str],
    open_type: str = OpenType.unconditional.value,
) -> Release:
    """Run the gate on ``name``'s current version; open it if it passes. Always recorded."""
    ds = catalog.get_dataset(
        db_session=db_session, name=name, viewer=actor, check=actor is not None
    )
    access.ensure_can_edit(actor, ds, what="release")
    if open_type not in OPEN_TYPES:
        raise ValidationFailed(
            f"open_type: release to {open_type!r}? Use unconditional (无条件开放) or "
            "conditional (有条件开放).",
            field="open_type",
        )
    ver = versions.current_version(db_session=db_session, dataset=ds)
    if ver is None:
        raise ValidationFailed(f"'{name}' has no data yet: load a version first.", field="name")
    qis = [q.strip() for q in quasi_identifiers if q.strip()]
    personal = is_personal(db_session=db_session, dataset=ds)
    reasons, report = evaluate(
        path=versions.version_path(data_dir, ver),
        quasi_identifiers=qis,
        min_k=settings.release_min_k,
        policy_for_scan=classify.grading_policy(settings),
        personal=personal,
    )
    link = db_session.scalar(
        select(LineageLink)
        .where(LineageLink.dataset_id == ds.id)
        .order_by(LineageLink.id.desc())
        .limit(1)
    )
    rec = _attempt(
        db_session,
        dataset=ds,
        version=ver.number,
        provenance=(
            (link.source_id, link.source_version, link.transformation) if link else (None, None, "")
        ),
        quasi_identifiers=qis,
        min_k=settings.release_min_k,
        reasons=reasons,
        report=report,
        by=actor.username if actor else "system",
    )
    before = ds.open_type
    licence_before = ds.licence
    if not reasons:
        ds.released_version = ver.number
        ds.open_type = open_type
        ds.licence = _open_licence_for(ds, settings)
    db_session.flush()
    refresh_held_back(db_session=db_session, dataset=ds)
    catalog.reindex(db_session=db_session, dataset=ds)
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.release" if not reasons else "datahub.release.blocked",
        object_type="dataset",
        object_id=ds.name,
        detail={
            "version": ver.number,
            "open_type": {"from": before, "to": ds.open_type},
            "licence": {"from": licence_before, "to": ds.licence},
            "quasi_identifiers": qis,
            "reasons": reasons,
            "k": (report.get("risk") or {}).get("smallest_class"),
        },
    )
    return rec


def recheck_after_load(
    *, db_session: Session, data_dir: Path, settings: Settings | None, dataset: Dataset
) -> str | None:
    """A new version of a released dataset: rerun the last passing release automatically.

    Returns a warning for the load report when the new version is held back.
    """
    if dataset.released_version is None:
        if refresh_held_back(db_session=db_session, dataset=dataset):
            return (
                f"'{dataset.name}' is declared open but this version holds personal data: it "
                "is held back from the open catalog until it passes the release gate."
            )
        return None
    last = db_session.scalar(
        select(Release)
        .where(Release.dataset_id == dataset.id, Release.passed.is_(True))
        .order_by(Release.id.desc())
        .limit(1)
    )
    ver = versions.current_version(db_session=db_session, dataset=dataset)
    if last is None or ver is None:
        refresh_held_back(db_session=db_session, dataset=dataset)
        return None
    qis = list(json.loads(last.quasi_identifiers))
    min_k = settings.release_min_k if settings else last.min_k
    try:
        reasons, report = evaluate(
            path=versions.version_path(data_dir, ver),
            quasi_identifiers=qis,
            min_k=min_k,
            policy_for_scan=classify.grading_policy(settings),
        )
    except ValidationFailed as exc:
        reasons, report = [exc.message], {}
    _attempt(
        db_session,
        dataset=dataset,
        version=ver.number,
        provenance=(last.source_id, last.source_version, last.policy),
        quasi_identifiers=qis,
        min_k=min_k,
        reasons=reasons,
        report=report,
        by="system",
    )
    if not reasons:
        dataset.released_version = ver.number
    db_session.flush()
    held = refresh_held_back(db_session=db_session, dataset=dataset)
    if held:
        return (
            f"Version {ver.number} did not pass the open-release gate ({reasons[0]}); the "
            "dataset is held back from the open catalog until it is released again."
        )
    return None


def _attempt(
    db_session: Session,
    *,
    dataset: Dataset,
    version: int,
    provenance: tuple[int | None, int | None, str],
    quasi_identifiers: list[str],
    min_k: int,
    reasons: list[str],
    report: dict[str, Any],
    by: str,
) -> Release:
    """Record one gate evaluation; ``provenance`` is (source id, source version, policy text)."""
    source_id, source_version, policy = provenance
    rec = Release(
        dataset_id=dataset.id,
        version=version,
        source_id=source_id,
        source_version=source_version,
        policy=policy,
        policy_fingerprint=_fingerprint(policy),
        quasi_identifiers=json.dumps(quasi_identifiers, ensure_ascii=False),
        min_k=min_k,
        passed=not reasons,
        reasons=json.dumps(reasons, ensure_ascii=False),
        report=json.dumps(report, ensure_ascii=False, default=str),
        requested_by_name=by,
    )
    db_session.add(rec)
    return rec


def _fingerprint(transformation: str) -> str:
    """The policy fingerprint ``deidentify`` wrote at the start of its lineage text."""
    head = transformation.split(" ", 4)
    return head[2] if len(head) > 2 and transformation.startswith("de-identification") else ""


def releases_of(*, db_session: Session, dataset: Dataset) -> list[Release]:
    return list(
        db_session.scalars(
            select(Release).where(Release.dataset_id == dataset.id).order_by(Release.id.desc())
        )
    )


def release_read(rec: Release) -> dict[str, Any]:
    return {
        "id": rec.id,
        "dataset": rec.dataset.name,
        "version": rec.version,
        "passed": rec.passed,
        "reasons": json.loads(rec.reasons),
        "quasi_identifiers": json.loads(rec.quasi_identifiers),
        "min_k": rec.min_k,
        "source": rec.source.name if rec.source else None,
        "source_version": rec.source_version,
        "policy_fingerprint": rec.policy_fingerprint,
        "policy": rec.policy,
        "report": json.loads(rec.report),
        "requested_by": rec.requested_by_name,
        "created_at": rec.created_at.isoformat(),
    }
