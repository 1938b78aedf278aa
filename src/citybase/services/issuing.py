"""Issuing, revoking and verifying e-certificates; the printable PDF with its QR code."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import uuid
from typing import Any

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.db import utcnow
from citybase.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.models import User
from citybase.services import certs
from citybase.services.catalogue import Item
from citybase.services.models import Certificate, ServiceApplication
from citybase.services.schemas import CertificateRead, VerificationRead
from citybase.settings import Settings

ISSUER = "示范市人民政府 政务服务"


def issue(
    db_session: Session,
    *,
    settings: Settings,
    app: ServiceApplication,
    item: Item,
    values: dict[str, Any],
    at: dt.datetime,
) -> Certificate:
    spec = item.certificate
    assert spec is not None
    key = certs.signing_key(settings)
    cert_id = "EC" + uuid.uuid4().hex[:20].upper()
    issued = at.date()
    until = (
        issued.replace(year=issued.year + spec.valid_years)
        if not (issued.month == 2 and issued.day == 29)
        else dt.date(issued.year + spec.valid_years, 2, 28)
    )
    claims = {name: _plain(values.get(name)) for name in spec.claims}
    payload = {
        "id": cert_id,
        "item": item.code,
        "title": spec.title.zh,
        "title_en": spec.title.en,
        "department": item.department,
        "issuer": ISSUER,
        "holder": {
            "name": app.applicant_name,
            "id_masked": certs.mask_id(app.id_number),
            "id_digest": certs.holder_digest(app.id_number or "", cert_id),
        },
        "claims": claims,
        "issued_on": issued.isoformat(),
        "valid_until": until.isoformat(),
        "application": app.id,
    }
    cert = Certificate(
        id=cert_id,
        item_code=item.code,
        department_code=item.department,
        application_id=app.id,
        holder_id=app.applicant_id,
        title=spec.title.zh,
        token=certs.sign(payload, key),
        key_id=key.key_id,
        issued_at=at,
        valid_until=until,
    )
    db_session.add(cert)
    db_session.flush()
    audit_service.record(
        db_session,
        actor=None,
        action="services.certificate.issue",
        object_type="certificate",
        object_id=cert_id,
        detail={"item": item.code, "application": app.id, "key_id": key.key_id},
        department_code=item.department,
    )
    return cert


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def to_read(cert: Certificate) -> CertificateRead:
    payload = json.loads(base64.urlsafe_b64decode(cert.token.split(".")[1] + "=="))
    return CertificateRead(
        id=cert.id,
        item=cert.item_code,
        title=cert.title,
        department=cert.department_code,
        application_id=cert.application_id,
        issued_at=cert.issued_at,
        valid_until=cert.valid_until,
        revoked=cert.revoked_at is not None,
        revoke_reason=cert.revoke_reason,
        token=cert.token,
        claims=payload.get("claims", {}),
    )


def list_certificates(*, db_session: Session, holder: User) -> list[Certificate]:
    stmt = select(Certificate).where(Certificate.holder_id == holder.id)
    return list(db_session.scalars(stmt.order_by(Certificate.issued_at.desc())))


def get_certificate(*, db_session: Session, viewer: User, cert_id: str) -> Certificate:
    cert = db_session.get(Certificate, cert_id)
    if cert is not None and (
        cert.holder_id == viewer.id
        or identity_service.is_admin(viewer)
        or viewer.department_code == cert.department_code
    ):
        return cert
    raise NotFound(f"No certificate {cert_id} that you may see.", field="certificate_id")


def revoke(*, db_session: Session, actor: User, cert_id: str, reason: str) -> Certificate:
    cert = get_certificate(db_session=db_session, viewer=actor, cert_id=cert_id)
    if not identity_service.is_admin(actor) and (
        actor.role not in ("officer", "dept_admin") or actor.department_code != cert.department_code
    ):
        raise PermissionDenied(
            f"Only officers of the issuing department ({cert.department_code}) revoke "
            f"certificate {cert.id}."
        )
    if cert.revoked_at is not None:
        raise Conflict(f"Certificate {cert.id} is already revoked.", field="certificate_id")
    text = (reason or "").strip()
    if len(text) < 2:
        raise ValidationFailed("reason: say why the certificate is revoked.", field="reason")
    cert.revoked_at = utcnow()
    cert.revoke_reason = text
    cert.revoked_by_name = actor.username
    audit_service.record(
        db_session,
        actor=actor,
        action="services.certificate.revoke",
        object_type="certificate",
        object_id=cert.id,
        detail={"reason": text},
    )
    return cert


def verify_token(*, db_session: Session | None, settings: Settings, token: str) -> VerificationRead:
    """Offline checks, then — with a database — the register: revoked, unknown."""
    key = certs.signing_key(settings)
    check = certs.verify(certs.parse_token(token), trusted={key.fingerprint})
    revoked: bool | None = None
    valid, reason = check.valid, check.reason
    if db_session is not None and check.payload is not None and check.valid:
        cert = db_session.get(Certificate, str(check.payload.get("id")))
        if cert is None or cert.token != certs.parse_token(token):
            valid, reason = False, "not in the city's certificate register"
        elif cert.revoked_at is not None:
            revoked = True
            valid = False
            reason = f"revoked on {cert.revoked_at.date().isoformat()}: {cert.revoke_reason}"
        else:
            revoked = False
    return VerificationRead(
        valid=valid,
        reason=reason,
        certificate=check.payload,
        fingerprint=check.fingerprint or key.fingerprint,
        revoked=revoked,
    )


def qr_svg(token: str) -> str:
    return segno.make(token, error="m").svg_inline(scale=2)


def certificate_html(cert: Certificate) -> str:
    read = to_read(cert)
    claims = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in read.claims.items()
    )
    state = "已撤销 REVOKED" if read.revoked else ""
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<style>body{{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:2cm}}
h1{{font-size:22pt}} table{{border-collapse:collapse}} th,td{{padding:4px 10px;text-align:left}}
.qr{{float:right;width:6cm}} .revoked{{color:#b00;font-size:18pt}}</style></head><body>
<div class="qr">{qr_svg(cert.token)}</div>
<h1>{html.escape(read.title)}</h1><p class="revoked">{state}</p>
<table><tr><th>证照编号</th><td>{read.id}</td></tr>
<tr><th>发证部门</th><td>{html.escape(read.department)}</td></tr>
<tr><th>签发日期</th><td>{read.issued_at.date().isoformat()}</td></tr>
<tr><th>有效期至</th><td>{read.valid_until.isoformat()}</td></tr>{claims}</table>
<p>扫描二维码或运行 <code>citybase services verify</code> 离线核验本证照签名（Ed25519）。</p>
</body></html>"""


def certificate_pdf(cert: Certificate) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=certificate_html(cert)).write_pdf())
