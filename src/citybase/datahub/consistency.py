"""Replica consistency (一数一源): each replica of a data element compared with its authority.

The check joins a replica's column to the authority's column on their key columns (values
compared as text with surrounding spaces trimmed) in DuckDB, straight from the two current
Parquet files, and reports counts and a few mismatching samples — the list a steward works
through to correct their copy.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub.elements import (
    authority_of,
    binding_read,
    bindings_of_element,
    get_element,
)
from citybase.datahub.enums import BindingRole
from citybase.datahub.models import Dataset, DatasetVersion, ElementBinding
from citybase.datahub.schemas import ConsistencyReport, MismatchSample, ReplicaConsistency
from citybase.errors import PermissionDenied, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.models import User


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _path_sql(path: Path) -> str:
    return "read_parquet('" + str(path).replace("'", "''") + "')"


def _version_file(db_session: Session, data_dir: Path, dataset: Dataset) -> Path | None:
    if dataset.current_version is None:
        return None
    rel = db_session.scalar(
        select(DatasetVersion.file_path).where(
            DatasetVersion.dataset_id == dataset.id,
            DatasetVersion.number == dataset.current_version,
        )
    )
    path = data_dir / rel if rel else None
    return path if path is not None and path.is_file() else None


def check_consistency(
    *, db_session: Session, data_dir: Path, actor: User | None, code: str, samples: int = 5
) -> ConsistencyReport:
    """Compare each replica of element ``code`` with its authority, joined on the key column.

    Values are compared as text with surrounding spaces trimmed. Platform admins and the
    authority's department see every replica; another department sees its own replicas.
    """
    element = get_element(db_session=db_session, code=code)
    authority = authority_of(db_session=db_session, element=element)
    if authority is None:
        raise ValidationFailed(
            f"Data element {element.name} has no authoritative source yet: bind one first.",
            field="code",
        )
    replicas = [
        b
        for b in bindings_of_element(db_session=db_session, element=element)
        if b.role == BindingRole.replica
    ]
    own_authority = actor is None or actor.department_id == authority.dataset.department_id
    if not own_authority and actor is not None and not identity_service.is_admin(actor):
        replicas = [b for b in replicas if b.dataset.department_id == actor.department_id]
        if not replicas:
            raise PermissionDenied(
                f"Only the departments holding {element.name} (its authority or a replica) "
                "may check its consistency."
            )
    auth_path = _version_file(db_session, data_dir, authority.dataset)
    results = [
        _compare(db_session, data_dir, authority, auth_path, replica, samples)
        for replica in replicas
    ]
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.consistency.check",
        object_type="data_element",
        object_id=element.code,
        purpose="一数一源 consistency check",
        detail={"replicas": [{"dataset": r.dataset, "mismatched": r.mismatched} for r in results]},
    )
    return ConsistencyReport(
        element_code=element.code,
        element_name=element.name,
        authority=binding_read(authority),
        replicas=results,
    )


def _compare(
    db_session: Session,
    data_dir: Path,
    authority: ElementBinding,
    auth_path: Path | None,
    replica: ElementBinding,
    samples: int,
) -> ReplicaConsistency:
    base = ReplicaConsistency(
        dataset=replica.dataset.name,
        dataset_title=replica.dataset.title,
        department_code=replica.dataset.department.code,
        column=replica.column,
        compared=0,
        matching=0,
        mismatched=0,
        missing_in_authority=0,
        match_share=0.0,
        samples=[],
    )
    rep_path = _version_file(db_session, data_dir, replica.dataset)
    if authority.key_column is None or replica.key_column is None:
        missing = authority.dataset.name if authority.key_column is None else replica.dataset.name
        return base.model_copy(
            update={
                "problem": f"No key column bound for '{missing}': "
                "rebind with key_column to compare."
            }
        )
    if auth_path is None or rep_path is None:
        missing = authority.dataset.name if auth_path is None else replica.dataset.name
        return base.model_copy(update={"problem": f"Dataset '{missing}' has no data loaded yet."})
    # Names are quoted by _ident and the paths are our own files escaped by _path_sql; the
    # one value (the sample size) is a bound parameter.
    a = (
        f"SELECT CAST({_ident(authority.key_column)} AS VARCHAR) AS k, "  # noqa: S608
        f"any_value(trim(CAST({_ident(authority.column)} AS VARCHAR))) AS v "
        f"FROM {_path_sql(auth_path)} WHERE {_ident(authority.key_column)} IS NOT NULL GROUP BY 1"
    )
    r = (
        f"SELECT CAST({_ident(replica.key_column)} AS VARCHAR) AS k, "  # noqa: S608
        f"trim(CAST({_ident(replica.column)} AS VARCHAR)) AS v "
        f"FROM {_path_sql(rep_path)} WHERE {_ident(replica.key_column)} IS NOT NULL"
    )
    con = duckdb.connect()
    try:
        counts = con.execute(
            f"WITH a AS ({a}), r AS ({r}) SELECT count(*), "  # noqa: S608
            "count(*) FILTER (WHERE a.k IS NULL), "
            "count(*) FILTER (WHERE a.k IS NOT NULL AND a.v IS NOT DISTINCT FROM r.v), "
            "count(*) FILTER (WHERE a.k IS NOT NULL AND a.v IS DISTINCT FROM r.v) "
            "FROM r LEFT JOIN a ON r.k = a.k"
        ).fetchone()
        rows = con.execute(
            f"WITH a AS ({a}), r AS ({r}) SELECT r.k, a.v, r.v FROM r JOIN a ON r.k = a.k "  # noqa: S608
            "WHERE a.v IS DISTINCT FROM r.v ORDER BY r.k LIMIT ?",
            [samples],
        ).fetchall()
    except duckdb.Error as exc:
        return base.model_copy(update={"problem": f"Could not compare: {exc}"})
    finally:
        con.close()
    assert counts is not None
    _total, missing_n, matching, mismatched = (int(x) for x in counts)
    compared = matching + mismatched
    return base.model_copy(
        update={
            "compared": compared,
            "matching": matching,
            "mismatched": mismatched,
            "missing_in_authority": missing_n,
            "match_share": round(matching / compared, 4) if compared else 0.0,
            "samples": [
                MismatchSample(key=k, authority_value=av, replica_value=rv) for k, av, rv in rows
            ],
        }
    )
