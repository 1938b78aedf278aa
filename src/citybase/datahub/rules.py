"""Quality rules: declared per dataset (API or YAML), checked on every load and on demand.

The engine (``citybase.datahub.quality``) checks a file against rules; this module keeps
the declarations, validates them against the dataset's columns, and resolves what only the
catalog knows: the Parquet file of a referenced dataset's current version and the maximum
age a freshness rule allows from the dataset's declared update frequency.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog, checksums
from citybase.datahub.enums import FREQUENCY_MAX_AGE_DAYS, UpdateFrequency
from citybase.datahub.models import Dataset, DatasetVersion, QualityRuleRecord
from citybase.datahub.quality import run_rules
from citybase.datahub.rule_kinds import Declaring, kind_of
from citybase.datahub.score import report_score
from citybase.datahub.types import ColumnSchema, QualityReport, QualityRule, RuleResult
from citybase.db import utcnow
from citybase.errors import ValidationFailed
from citybase.identity.models import User

CHECKSUM_SCHEMES = checksums.SCHEMES


def rules_of(*, db_session: Session, dataset: Dataset) -> list[QualityRule]:
    rows = db_session.scalars(
        select(QualityRuleRecord)
        .where(QualityRuleRecord.dataset_id == dataset.id)
        .order_by(QualityRuleRecord.position)
    )
    return [
        QualityRule(
            name=r.name,
            kind=r.kind,
            column=r.column,
            params=json.loads(r.params),
            blocking=r.blocking,
        )  # type: ignore[arg-type]
        for r in rows
    ]


def parse_rules_yaml(text: str) -> list[QualityRule]:
    """Rules from YAML: ``rules: [{kind, column, params, blocking, name}]`` (or a bare list)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"The rules are not valid YAML: {exc}", field="rules") from None
    items = raw.get("rules") if isinstance(raw, dict) else raw
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationFailed("Expected a list of rules under 'rules:'.", field="rules")
    out: list[QualityRule] = []
    for i, item in enumerate(items, start=1):
        try:
            out.append(QualityRule.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValidationFailed(
                f"Rule #{i}: {where or 'rule'}: {first['msg']}.", field=f"rules[{i}].{where}"
            ) from None
    return out


def _current_columns(db_session: Session, dataset: Dataset) -> list[ColumnSchema] | None:
    if dataset.current_version is None:
        return None
    raw = db_session.scalar(
        select(DatasetVersion.columns).where(
            DatasetVersion.dataset_id == dataset.id,
            DatasetVersion.number == dataset.current_version,
        )
    )
    return [ColumnSchema.model_validate(c) for c in json.loads(raw)] if raw else None


def validate_rules(
    db_session: Session, dataset: Dataset, rules: list[QualityRule]
) -> list[QualityRule]:
    """Check each rule's column and params; give unnamed rules a name. Errors name the rule."""
    columns = _current_columns(db_session, dataset)
    names = {c.name for c in columns} if columns is not None else None
    seen: set[str] = set()
    out: list[QualityRule] = []
    for i, rule in enumerate(rules, start=1):
        where = f"rules[{i}]"
        label = rule.name or f"#{i} ({rule.kind})"
        if kind_of(rule.kind).needs_column and not rule.column:
            raise ValidationFailed(f"Rule {label} needs a column.", field=f"{where}.column")
        if rule.column and names is not None and rule.column not in names:
            raise ValidationFailed(
                f"Rule {label}: the current version has no column '{rule.column}'. "
                f"Columns: {', '.join(sorted(names))}.",
                field=f"{where}.column",
            )
        _check_params(db_session, dataset, rule, label, where)
        name = rule.name or (f"{rule.kind}:{rule.column}" if rule.column else rule.kind)
        if name in seen:
            if rule.name is not None:
                raise ValidationFailed(f"Two rules are named '{name}'.", field=f"{where}.name")
            n = 2
            while f"{name}#{n}" in seen:
                n += 1
            name = f"{name}#{n}"
        seen.add(name)
        out.append(rule.model_copy(update={"name": name}))
    return out


def _check_params(
    db_session: Session, dataset: Dataset, rule: QualityRule, label: str, where: str
) -> None:
    """The rule's kind checks its params (``rule_kinds``); the catalog answers its questions."""

    def columns_of(ref_name: str) -> tuple[bool, set[str]] | None:
        ref = catalog.find_dataset(db_session=db_session, name=ref_name)
        if ref is None:
            return None
        cols = _current_columns(db_session, ref)
        return (cols is not None, {c.name for c in cols or []})

    ctx = Declaring(
        columns_of=columns_of,
        frequency_days=FREQUENCY_MAX_AGE_DAYS[UpdateFrequency(dataset.update_frequency)],
    )
    kind_of(rule.kind).declare(rule, label, where, ctx)


def set_rules(
    *, db_session: Session, actor: User | None, name: str, rules: list[QualityRule]
) -> list[QualityRule]:
    """Replace the dataset's rules with ``rules`` (validated as a whole; nothing on error)."""
    dataset = catalog.get_dataset(
        db_session=db_session, name=name, viewer=actor, check=actor is not None
    )
    access.ensure_can_edit(actor, dataset, what="declare quality rules of")
    checked = validate_rules(db_session, dataset, rules)
    db_session.execute(delete(QualityRuleRecord).where(QualityRuleRecord.dataset_id == dataset.id))
    for pos, rule in enumerate(checked):
        db_session.add(
            QualityRuleRecord(
                dataset_id=dataset.id,
                position=pos,
                name=rule.name or rule.kind,
                kind=rule.kind,
                column=rule.column,
                params=json.dumps(rule.params, ensure_ascii=False, default=str),
                blocking=rule.blocking,
            )
        )
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.rules.set",
        object_type="dataset",
        object_id=dataset.name,
        detail={"rules": [r.model_dump(mode="json") for r in checked]},
    )
    return checked


def check_file(
    *,
    db_session: Session,
    data_dir: Path,
    dataset: Dataset,
    path: Path,
    columns: list[ColumnSchema],
    loaded_at: dt.datetime,
) -> tuple[QualityReport, list[str]]:
    """Run the dataset's rules on ``path``; returns the report and warnings about skipped rules.

    A rule that cannot run on this file (its column is gone, its reference has no data)
    refuses the load if it is blocking, and is skipped with a warning otherwise.
    """
    names = {c.name for c in columns}
    runnable: list[QualityRule] = []
    references: dict[tuple[str, str], Path] = {}
    warnings: list[str] = []
    for rule in rules_of(db_session=db_session, dataset=dataset):
        problem = None
        if rule.column and rule.column not in names:
            problem = f"rule '{rule.name}' checks column '{rule.column}', which this file lacks"
        elif rule.kind == "reference":
            ref_name, ref_col = str(rule.params["dataset"]), str(rule.params["column"])
            ref = catalog.find_dataset(db_session=db_session, name=ref_name)
            version = None
            if ref is not None and ref.current_version is not None:
                version = db_session.scalar(
                    select(DatasetVersion).where(
                        DatasetVersion.dataset_id == ref.id,
                        DatasetVersion.number == ref.current_version,
                    )
                )
            if version is None or not (data_dir / version.file_path).is_file():
                problem = (
                    f"rule '{rule.name}' refers to dataset '{ref_name}', which has no data yet"
                )
            else:
                references[(ref_name, ref_col)] = data_dir / version.file_path
        elif rule.kind == "freshness" and rule.params.get("max_age_days") is None:
            age = FREQUENCY_MAX_AGE_DAYS[UpdateFrequency(dataset.update_frequency)]
            if age is None:
                problem = (
                    f"rule '{rule.name}' has no max_age_days and the dataset is updated irregularly"
                )
            else:
                rule = rule.model_copy(update={"params": {**rule.params, "max_age_days": age}})
        if problem is None:
            runnable.append(rule)
        elif rule.blocking:
            raise ValidationFailed(
                f"Load refused: blocking {problem}. Fix the file or the dataset's rules.",
                field=rule.column or "rules",
            )
        else:
            warnings.append(f"Skipped {problem}.")
    # The engine judges a freshness column at the moment given; freshness without a column
    # is the version's age, which only the catalog knows.
    now = utcnow()
    by_index: dict[int, RuleResult] = {}
    for_engine: list[tuple[int, QualityRule]] = []
    for i, rule in enumerate(runnable):
        if rule.kind == "freshness" and not rule.column:
            by_index[i] = _version_freshness(rule, loaded_at, now)
        else:
            for_engine.append((i, rule))
    engine_report = run_rules(
        path, [r for _, r in for_engine], references=references, loaded_at=now
    )
    for (i, _), result in zip(for_engine, engine_report.results, strict=True):
        by_index[i] = result
    results = [by_index[i] for i in range(len(runnable))]
    return QualityReport(score=report_score(results), results=results), warnings


def _version_freshness(rule: QualityRule, loaded_at: dt.datetime, now: dt.datetime) -> RuleResult:
    """Is the version itself (its load time) older than the promised update interval?"""
    limit = int(rule.params["max_age_days"])
    age = (now - loaded_at).total_seconds() / 86400
    stale = age > limit
    return RuleResult(
        rule=rule,
        checked=1,
        failed=int(stale),
        score=0.0 if stale else 1.0,
        message=f"{'too old' if stale else 'fresh'}: version loaded "
        f"{loaded_at:%Y-%m-%d %H:%M} UTC, {age:.1f} days ago (allowed {limit} days)",
    )


def _sample_text(sample: dict[str, Any]) -> str:
    parts = [f"{k}={v!s}" for k, v in list(sample.items())[:4]]
    return ", ".join(parts)


def rejection_message(dataset: Dataset, failures: list[RuleResult]) -> str:
    """One message naming every failing blocking rule, its column, counts and a sample row."""
    pieces = []
    for r in failures:
        col = f" on column '{r.rule.column}'" if r.rule.column else ""
        sample = f" (e.g. {_sample_text(r.samples[0])})" if r.samples else ""
        pieces.append(
            f"rule '{r.rule.name}'{col} failed for {r.failed} of {r.checked} rows{sample}"
        )
    keep = (
        f"version {dataset.current_version} stays current"
        if dataset.current_version
        else "no version was written"
    )
    return f"Load refused by blocking quality rules: {'; '.join(pieces)}. Nothing changed: {keep}."


def without_samples(report: QualityReport) -> QualityReport:
    return report.model_copy(
        update={"results": [r.model_copy(update={"samples": []}) for r in report.results]}
    )
