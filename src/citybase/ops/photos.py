"""Photos of a case (上报、处置、核查照片): type checked by content, size limited, stored in
the data directory under ``ops/photos/<case>/<sha256>.<ext>``."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.errors import CitybaseError, NotFound, ValidationFailed
from citybase.identity.models import User
from citybase.ops.models import OpsCase, OpsPhoto

STAGES = ("report", "handled", "verify")
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


class PhotoTooLarge(CitybaseError):
    status = 413
    code = "photo_too_large"


def sniff(content: bytes) -> tuple[str, str] | None:
    for magic, ctype, ext in SIGNATURES:
        if content.startswith(magic):
            return ctype, ext
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def add_photo(
    db_session: Session,
    *,
    case: OpsCase,
    actor: User,
    content: bytes,
    stage: str,
    data_dir: Path,
    max_bytes: int,
) -> OpsPhoto:
    if stage not in STAGES:
        raise ValidationFailed(f"stage: give one of {', '.join(STAGES)}.", field="stage")
    if len(content) > max_bytes:
        raise PhotoTooLarge(
            f"photo: {len(content)} bytes is over the limit of {max_bytes} bytes; send a "
            "smaller photo.",
            field="photo",
        )
    kind = sniff(content)
    if kind is None:
        raise ValidationFailed("photo: not a JPEG, PNG or WebP image.", field="photo")
    ctype, ext = kind
    digest = hashlib.sha256(content).hexdigest()
    relative = Path("ops") / "photos" / str(case.id) / f"{digest}.{ext}"
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(".part")
        tmp.write_bytes(content)
        tmp.replace(target)
    photo = OpsPhoto(
        case_id=case.id, stage=stage, content_type=ctype, size=len(content), sha256=digest,
        path=relative.as_posix(), uploaded_by=actor.username,
    )  # fmt: skip
    db_session.add(photo)
    db_session.flush()
    audit_service.record(
        db_session, actor=actor, action="ops.photo", object_type="ops_case",
        object_id=str(case.id), detail={"photo": photo.id, "stage": stage, "size": len(content)},
    )  # fmt: skip
    return photo


def photo_path(db_session: Session, case: OpsCase, photo_id: int, data_dir: Path) -> OpsPhoto:
    photo = db_session.get(OpsPhoto, photo_id)
    if photo is None or photo.case_id != case.id:
        raise NotFound(f"photo_id: no photo {photo_id} on case {case.id}.", field="photo_id")
    return photo
