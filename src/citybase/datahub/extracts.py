"""De-identified extracts: a policy applied to a dataset's current version, loaded as the
next version of a derived dataset (created on first use in the same department, never open
on creation), with its lineage and policy text kept. The release gate (``release``) then
decides whether such an extract may be open.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog, versions
from citybase.datahub.enums import OpenType
from citybase.datahub.loading import load_version
from citybase.datahub.models import LineageLink
from citybase.datahub.opengate import refresh_held_back
from citybase.datahub.schemas import DatasetCreate
from citybase.datahub.types import LoadConsent
from citybase.errors import ValidationFailed
from citybase.privacy.deid import DeidPolicy, apply_policy, settings_key

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from citybase.datahub.schemas import LoadReport
    from citybase.identity.models import User
    from citybase.settings import Settings

BATCH_ROWS = 262_144


# --- de-identified extracts --------------------------------------------------------------------


def deidentify(
    *,
    db_session: Session,
    data_dir: Path,
    settings: Settings,
    actor: User | None,
    source: str,
    into: str,
    policy: DeidPolicy,
    title: str | None = None,
    k: int | None = None,
    quasi_identifiers: list[str] | None = None,
    max_suppression: float = 0.01,
) -> LoadReport:
    """Apply ``policy`` to ``source``'s current version and load it as ``into``'s next one.

    With ``k`` and ``quasi_identifiers``, records whose class over those columns (after the
    policy) is smaller than ``k`` are suppressed — refused if that is more than
    ``max_suppression`` of the rows (ARX's record suppression limit).
    """
    src = catalog.get_dataset(
        db_session=db_session, name=source, viewer=actor, check=actor is not None
    )
    access.ensure_can_edit(actor, src, what="make de-identified extracts of")
    src_version = versions.current_version(db_session=db_session, dataset=src)
    if src_version is None:
        raise ValidationFailed(f"'{source}' has no data yet: load a version first.", field="source")
    if into == source:
        raise ValidationFailed("into: an extract needs a name of its own", field="into")
    target = catalog.find_dataset(db_session=db_session, name=into)
    if target is None:
        target = catalog.create_dataset(
            db_session=db_session,
            actor=actor,
            data=DatasetCreate(
                name=into,
                department_code=src.department.code,
                title=title or f"{src.title}（脱敏）",
                description=f"De-identified extract of {src.name} ({src.title}).",
                theme=src.theme,
                keywords=catalog.keywords_of(src),
                update_frequency=src.update_frequency,  # type: ignore[arg-type]
                licence=src.licence,
                sharing_type=src.sharing_type,  # type: ignore[arg-type]
                sharing_condition=src.sharing_condition,
                open_type=OpenType.not_open,
                spatial=src.spatial,
                contact_name=src.contact_name,
                contact_email=src.contact_email,
            ),
        )
    elif target.department_id != src.department_id:
        raise ValidationFailed(
            f"into: '{into}' belongs to another department; an extract stays with the "
            "department that owns its source",
            field="into",
        )
    key_id = settings.pseudonym_key_id
    key = settings_key(settings, key_id)
    src_path = versions.version_path(data_dir, src_version)
    folder = versions.dataset_dir(data_dir, target)
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / f".deid-{secrets.token_hex(6)}.parquet"
    try:
        _write_deidentified(src_path, staged, policy, key=key, key_id=key_id)
        suppressed = 0
        if k is not None and quasi_identifiers:
            suppressed = _suppress_small_classes(staged, quasi_identifiers, k, max_suppression)
        report = load_version(
            db_session=db_session,
            data_dir=data_dir,
            actor=actor,
            name=target.name,
            source=staged,
            source_name=f"{src.name} v{src_version.number}, de-identified",
            # the extract's schema and size follow from the policy the steward chose
            consent=LoadConsent(accept_schema=True, confirm_shrink=True),
        )
    finally:
        staged.unlink(missing_ok=True)
    policy_yaml = policy_text(policy)
    db_session.add(
        LineageLink(
            dataset_id=target.id,
            source_id=src.id,
            source_version=src_version.number,
            transformation=(
                f"de-identification policy {policy.fingerprint()} (key id {key_id}):\n{policy_yaml}"
            ),
            recorded_by_name=actor.username if actor else "system",
        )
    )
    db_session.flush()
    refresh_held_back(db_session=db_session, dataset=target)
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.deidentify",
        object_type="dataset",
        object_id=target.name,
        detail={
            "source": src.name,
            "source_version": src_version.number,
            "version": report.version.number,
            "policy": policy.fingerprint(),
            "key_id": key_id,
            "columns": {n: [o.op for o in ops] for n, ops in policy.columns.items()},
            "k": k,
            "quasi_identifiers": quasi_identifiers,
            "suppressed_records": suppressed,
        },
    )
    if suppressed:
        report.warnings.append(
            f"{suppressed:,} records in classes smaller than k = {k} were suppressed."
        )
    return report


def policy_text(policy: DeidPolicy) -> str:
    import yaml

    dumped = yaml.safe_dump(
        policy.model_dump(mode="json", exclude_defaults=True), allow_unicode=True, sort_keys=False
    )
    return str(dumped)


def _write_deidentified(
    source: Path, dest: Path, policy: DeidPolicy, *, key: bytes, key_id: str
) -> None:
    """Stream the source in batches through the policy into one Parquet file.

    A column whose only operator is ``suppress`` without a replacement is left out of the
    extract altogether (an all-empty column helps nobody); its lineage still names it.
    """
    reader = pq.ParquetFile(source)
    missing = [c for c in policy.columns if c not in reader.schema_arrow.names]
    if missing:
        raise ValidationFailed(
            f"policy names column {missing[0]!r}, which the dataset does not have; its "
            f"columns are: {', '.join(reader.schema_arrow.names)}",
            field=f"columns.{missing[0]}",
        )
    writer: pq.ParquetWriter | None = None
    try:
        dropped = [
            name
            for name, ops in policy.columns.items()
            if len(ops) == 1
            and ops[0].op == "suppress"
            and getattr(ops[0], "replacement", 1) is None
        ]
        for batch in reader.iter_batches(batch_size=BATCH_ROWS):
            out = apply_policy(pa.Table.from_batches([batch]), policy, key=key, key_id=key_id)
            if dropped:
                out = out.drop_columns(dropped)
            if writer is None:
                writer = pq.ParquetWriter(dest, out.schema, compression="zstd")
            writer.write_table(out.cast(writer.schema))
        if writer is None:
            raise ValidationFailed("source: the dataset version has no rows", field="source")
    except BaseException:
        if writer is not None:
            writer.close()
        dest.unlink(missing_ok=True)
        raise
    writer.close()


def _suppress_small_classes(path: Path, qis: list[str], k: int, max_share: float) -> int:
    """Drop records whose quasi-identifier class is smaller than ``k``, in place."""
    import duckdb

    from citybase.datahub.duck import quote_ident

    names = pq.read_schema(path).names
    unknown = [q for q in qis if q not in names]
    if unknown:
        raise ValidationFailed(
            f"quasi_identifiers: '{unknown[0]}' is not a column of the extract; columns: "
            f"{', '.join(names)}",
            field="quasi_identifiers",
        )
    if k < 2:
        raise ValidationFailed("k: must be 2 or more", field="k")
    cols = ", ".join(quote_ident(q) for q in qis)
    con = duckdb.connect()
    try:
        scan = f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"
        total, small = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE n < {int(k)}) FROM "  # noqa: S608
            f"(SELECT count(*) OVER (PARTITION BY {cols}) AS n FROM {scan})"
        ).fetchone() or (0, 0)
        if total and small / total > max_share:
            raise ValidationFailed(
                f"k: reaching k = {k} over {', '.join(qis)} would suppress {small:,} of "
                f"{total:,} records ({small / total:.1%}), more than the limit "
                f"{max_share:.1%}: generalise those columns further",
                field="k",
            )
        if small:
            out = path.with_suffix(".k.parquet")
            con.execute(
                f"COPY (SELECT * EXCLUDE (__n) FROM (SELECT *, count(*) OVER "  # noqa: S608
                f"(PARTITION BY {cols}) AS __n FROM {scan}) WHERE __n >= {int(k)}) "
                f"TO '{str(out).replace(chr(39), chr(39) * 2)}' (FORMAT parquet, COMPRESSION zstd)"
            )
            os.replace(out, path)
        return int(small)
    finally:
        con.close()
