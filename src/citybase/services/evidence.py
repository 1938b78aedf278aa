"""Once-only evidence (免于提交): materials the government holds, fetched for the applicant.

A material with ``supply`` is read from its data hub dataset through
``citybase.datahub.service.read_rows`` — the same door every staff read uses — as the
service department's system account (``svc-<dept>``), so the read runs under that
department's standing sharing grant (or in full when the department owns the dataset), is
audited with its purpose and lands in the citizen's data tracker. A material with
``certificate`` is a valid e-certificate of the applicant. Nothing here decides: a piece
that cannot be fetched is reported with the reason, and its inputs stay missing — the rules
then send the application to an officer instead of approving it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.datahub import service as datahub_service
from citybase.datahub.types import RowFilter, RowQuery
from citybase.errors import CitybaseError
from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.services import certs
from citybase.services.catalogue import Item, Material
from citybase.services.models import Certificate
from citybase.settings import Settings

ACCOUNT_PREFIX = "svc-"


@dataclass
class Piece:
    """One material the government holds, as fetched for the applicant's preview."""

    material: str
    name_zh: str
    name_en: str
    kind: str  # dataset | certificate
    status: str  # fetched | not_found | unavailable
    values: dict[str, Any] = field(default_factory=dict)
    dataset: str | None = None
    version: int | None = None
    certificate: str | None = None
    reason: str = ""
    consent: str = "pending"  # pending | agreed | declined

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def service_account(db_session: Session, department_code: str) -> User:
    """The department's 一网通办 system account: reads evidence under the department's
    grants. It has a random password nobody knows, so no one signs in as it."""
    username = ACCOUNT_PREFIX + department_code.lower()
    user = identity_service.get_user_by_username(db_session=db_session, username=username)
    if user is not None:
        return user
    dept = identity_service.get_department(db_session=db_session, code=department_code)
    return identity_service.create_user(
        db_session=db_session,
        actor=None,
        username=username,
        display_name=f"{dept.name_zh}一网通办系统",
        password=secrets.token_urlsafe(32),
        role=Role.officer,
        department_code=department_code,
    )


def _deidentified(value: Any) -> bool:
    return isinstance(value, str) and (value.startswith("k1:") or "*" in value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def fetch_dataset(
    db_session: Session,
    *,
    data_dir: Path,
    settings: Settings,
    reader: User,
    item: Item,
    material: Material,
    key: str,
    purpose: str,
) -> Piece:
    supply = material.supply
    assert supply is not None
    piece = Piece(
        material.key,
        material.name.zh,
        material.name.en,
        "dataset",
        "fetched",
        dataset=supply.dataset,
    )
    columns = list(dict.fromkeys([supply.key_column, *supply.fields.values()]))
    query = RowQuery(
        columns=columns,
        filters=[RowFilter(column=supply.key_column, op="eq", value=key)],
        limit=50,
    )
    try:
        result = datahub_service.read_rows(
            db_session=db_session,
            data_dir=data_dir,
            viewer=reader,
            name=supply.dataset,
            query=query,
            purpose=purpose,
            settings=settings,
        )
    except CitybaseError as exc:
        piece.status = "unavailable"
        piece.reason = exc.message
        return piece
    piece.version = result.version.number
    rows = result.page.rows
    if supply.count:
        piece.values[supply.count] = len(rows)
    if not rows:
        if not supply.count:
            piece.status = "not_found"
            piece.reason = f"no record in {supply.dataset} for the applicant"
        return piece
    row = rows[0]
    hidden: list[str] = []
    for name, column in supply.fields.items():
        value = row.get(column)
        if _deidentified(value):
            hidden.append(column)
            continue
        piece.values[name] = _jsonable(value)
    if hidden:
        piece.status = "unavailable" if len(hidden) == len(supply.fields) else "fetched"
        piece.reason = (
            f"{', '.join(hidden)} came back de-identified under {item.department}'s grant; "
            "the grant must give these columns in clear for 免于提交"
        )
    return piece


def fetch_certificate(
    db_session: Session, *, settings: Settings, holder: User, material: Material
) -> Piece:
    spec = material.certificate
    assert spec is not None
    piece = Piece(material.key, material.name.zh, material.name.en, "certificate", "not_found")
    today = dt.date.today()
    stmt = (
        select(Certificate)
        .where(
            Certificate.holder_id == holder.id,
            Certificate.item_code == spec.item,
            Certificate.revoked_at.is_(None),
            Certificate.valid_until >= today,
        )
        .order_by(Certificate.issued_at.desc())
    )
    trusted = {certs.signing_key(settings).fingerprint}
    for cert in db_session.scalars(stmt):
        check = certs.verify(cert.token, trusted=trusted, today=today)
        if not check.valid or check.payload is None:
            piece.reason = f"certificate {cert.id}: {check.reason}"
            continue
        claims = check.payload.get("claims", {})
        piece.status = "fetched"
        piece.certificate = cert.id
        piece.reason = ""
        piece.values = {name: claims.get(claim) for name, claim in spec.fields.items()}
        return piece
    if not piece.reason:
        piece.reason = f"no valid e-certificate of {spec.item} held by the applicant"
    return piece


def sources_of(pieces: list[Piece]) -> dict[str, dict[str, Any]]:
    """Where each input came from, for the trace."""
    out: dict[str, dict[str, Any]] = {}
    for p in pieces:
        if p.consent != "agreed" or p.status != "fetched":
            continue
        for name in p.values:
            if p.kind == "dataset":
                out[name] = {
                    "kind": "dataset",
                    "dataset": p.dataset,
                    "version": p.version,
                    "material": p.material,
                }
            else:
                out[name] = {
                    "kind": "certificate",
                    "certificate": p.certificate,
                    "material": p.material,
                }
    return out


def values_of(pieces: list[Piece]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in pieces:
        if p.consent == "agreed" and p.status == "fetched":
            out.update({k: v for k, v in p.values.items() if v is not None})
    return out
