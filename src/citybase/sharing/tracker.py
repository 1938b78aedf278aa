"""The data tracker (数据使用记录): which departments read records about a person, when, why.

Every staff read of rows from a dataset with ID-number columns arrives here (hook
``citybase_rows_read``) with the distinct ID numbers read. Each is turned into a keyed
token — HMAC-SHA256 under a key derived from ``CITYBASE_SECRET_KEY`` with the tracker's own
key id, never the pseudonym key grants use, so a consumer holding pseudonymised IDs cannot
look anyone up here — and the ID numbers are dropped.

Storage scales with the read: up to ``DB_SUBJECTS`` subjects go to the table
``sharing_access_subject`` inside the reader's transaction; a larger read (a download of a
million rows) writes one zstd Parquet file of its sorted, distinct tokens under
``data_dir/sharing/ledger/YYYY/MM/<ref>.parquet``, found again with DuckDB, whose row-group
statistics on the sorted tokens skip all but one group per file. A file whose read was
rolled back matches no ``sharing_access`` row and is ignored (like the data hub's orphans).

A citizen's account is linked to the token of their ID number only (``link_citizen``); a
citizen sees their own reads; an officer may look up a number for a citizen at a counter,
with a purpose, and that lookup is audited.
"""

# ruff: noqa: S608 - the only SQL text assembled here is the ledger's own directory glob,
# quoted with sql_string; the token is a bound parameter.

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub.duck import sql_string, thread_connection
from citybase.datahub.scope import RowsReadEvent
from citybase.errors import NotFound, PermissionDenied, ValidationFailed
from citybase.identifiers.idcard import normalise_id_number, validate_id_number
from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.privacy.deid import settings_key
from citybase.privacy.operators import Keys, Pseudonymise
from citybase.settings import Settings
from citybase.sharing.models import CitizenLink, SubjectAccess, SubjectToken
from citybase.sharing.schemas import TrackerEntry, TrackerRead

#: The tracker's key id: a key of its own, derived from the secret, rotated by a new id.
TRACKER_KEY_ID = "tracker1"
#: Reads with more distinct subjects than this go to a Parquet ledger file.
DB_SUBJECTS = 2_000
TOKEN_HEX = 32  # 128 bits: no collision among the country's 1.4 billion numbers
LEDGER_DIR = Path("sharing") / "ledger"
#: Small row groups: a look-up reads one group per file (~150 kB), found by its min/max.
LEDGER_ROW_GROUP = 8_192
LOOKUP_ROLES = frozenset({Role.officer.value, Role.platform_admin.value})


def _keys(settings: Settings) -> Keys:
    return Keys.derive(settings_key(settings, TRACKER_KEY_ID), TRACKER_KEY_ID)


def tokens(values: pa.Array, settings: Settings) -> pa.Array:
    """Distinct keyed tokens of ID numbers (trimmed, final x upper-cased), nulls dropped."""
    text = pc.utf8_upper(pc.utf8_trim_whitespace(pc.cast(values, pa.string())))
    text = pc.unique(text.drop_null())
    if len(text) == 0:
        return pa.array([], pa.string())
    return Pseudonymise(op="pseudonymise", length=TOKEN_HEX).apply(text, _keys(settings))


def token_of(id_number: str, settings: Settings) -> str:
    """The token of one ID number, after checking it is a valid number."""
    validate_id_number(id_number, field="id_number")
    return subject_token(normalise_id_number(id_number), settings)


def subject_token(number: str, settings: Settings) -> str:
    """The token of a number as stored in a dataset (no validity check: data is as it is)."""
    return str(tokens(pa.array([number]), settings)[0].as_py())


def record_read(db_session: Session, event: RowsReadEvent) -> SubjectAccess | None:
    """Store one read and the tokens of its subjects (the hook's implementation)."""
    found = tokens(event.subjects, event.settings)
    if len(found) == 0:
        return None
    user, scope = event.user, event.scope
    access = SubjectAccess(
        ref=uuid.uuid4().hex,
        at=event.at,
        department_code=user.department_code,
        department_name=user.department.name_zh if user.department else "平台 platform",
        user_name=user.username,
        dataset_name=event.dataset.name,
        dataset_title=event.dataset.title,
        version=event.version,
        channel=event.channel,
        rows=event.rows,
        subjects=len(found),
        purpose=event.purpose or (scope.purpose if scope else "") or "",
        legal_basis=scope.legal_basis if scope else "",
        grant_id=scope.grant_id if scope else None,
        key_id=TRACKER_KEY_ID,
    )
    if len(found) > DB_SUBJECTS:
        access.ledger_file = _write_ledger(event, access.ref, found)
    db_session.add(access)
    db_session.flush()
    if access.ledger_file is None:
        db_session.execute(
            insert(SubjectToken),
            [{"access_id": access.id, "token": t} for t in found.to_pylist()],
        )
    return access


def _write_ledger(event: RowsReadEvent, ref: str, found: pa.Array) -> str:
    relative = LEDGER_DIR / f"{event.at:%Y}" / f"{event.at:%m}" / f"{ref}.parquet"
    path = event.data_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = found.take(pc.sort_indices(found))
    refs = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(len(ordered), np.int32)), pa.array([ref], pa.string())
    )
    table = pa.table({"token": ordered, "ref": refs})
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=LEDGER_ROW_GROUP)
    tmp.replace(path)
    return relative.as_posix()


def _ledger_refs(data_dir: Path, token: str) -> list[str]:
    folder = data_dir / LEDGER_DIR
    if not folder.is_dir() or next(folder.rglob("*.parquet"), None) is None:
        return []
    rows = (
        thread_connection()
        .execute(
            "SELECT DISTINCT ref FROM read_parquet("
            f"{sql_string(str(folder / '**' / '*.parquet'))}) WHERE token = $token",
            {"token": token},
        )
        .fetchall()
    )
    return [str(r[0]) for r in rows]


def accesses_of(
    *, db_session: Session, data_dir: Path, token: str, limit: int = 500
) -> list[SubjectAccess]:
    """Reads that included the subject with ``token``, newest first."""
    in_db = select(SubjectToken.access_id).where(SubjectToken.token == token)
    stmt = select(SubjectAccess).where(SubjectAccess.id.in_(in_db))
    found = {a.id: a for a in db_session.scalars(stmt)}
    refs = _ledger_refs(data_dir, token)
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        for a in db_session.scalars(select(SubjectAccess).where(SubjectAccess.ref.in_(chunk))):
            found[a.id] = a
    return sorted(found.values(), key=lambda a: (a.at, a.id), reverse=True)[:limit]


def _tracker(accesses: list[SubjectAccess]) -> TrackerRead:
    entries = [
        TrackerEntry(
            at=a.at,
            department=a.department_code,
            department_name=a.department_name,
            dataset=a.dataset_name,
            dataset_title=a.dataset_title,
            purpose=a.purpose,
            legal_basis=a.legal_basis,
            grant_id=a.grant_id,
            channel=a.channel,
            rows=a.rows,
        )
        for a in accesses
    ]
    departments = list(dict.fromkeys(e.department_name for e in entries))
    return TrackerRead(entries=entries, departments=departments)


def lookup_for_citizen(*, db_session: Session, data_dir: Path, actor: User) -> TrackerRead:
    """The signed-in citizen's own tracker (only their linked ID number, never another's)."""
    link = db_session.scalar(select(CitizenLink).where(CitizenLink.user_id == actor.id))
    if link is None:
        raise NotFound(
            "Your account is not linked to an ID number yet, so there is nothing to show. "
            "Bring your identity card to a government service counter and ask them to link "
            "it to your account; then this page lists who read your records, when and why.",
            field="id_number",
            code="not_linked",
            zh="您的账号尚未关联身份证号码，因此暂无记录可显示。请携带身份证到政务服务大厅，"
            "请工作人员将身份证号码与您的账号关联；关联后，本页将列出哪些部门在何时、"
            "因何用途查阅了您的信息。",
        )
    audit_service.record(
        db_session,
        actor=actor,
        action="sharing.tracker.view",
        object_type="subject",
        object_id=link.token[:20],
        purpose="本人查询 the citizen views who used their data",
    )
    return _tracker(accesses_of(db_session=db_session, data_dir=data_dir, token=link.token))


def lookup_on_behalf(
    *,
    db_session: Session,
    data_dir: Path,
    settings: Settings,
    actor: User | None,
    id_number: str,
    purpose: str,
) -> TrackerRead:
    """An officer looks up a citizen's tracker at the citizen's request (audited);
    ``actor`` None is the system (the CLI on the server)."""
    if actor is not None and actor.role not in LOOKUP_ROLES:
        raise PermissionDenied(
            "Only officers (at a service counter, for the citizen) may look up another "
            f"person's data tracker; you are '{actor.role}'. Citizens see their own at "
            "/sharing/tracker."
        )
    reason = (purpose or "").strip()
    if len(reason) < 2:
        raise ValidationFailed(
            "purpose: say why you look this person up (e.g. 市民张某在窗口申请查询).",
            field="purpose",
        )
    token = token_of(id_number, settings)
    audit_service.record(
        db_session,
        actor=actor,
        action="sharing.tracker.lookup",
        object_type="subject",
        object_id=token[:20],
        purpose=reason,
        detail={"on_behalf": True},
    )
    return _tracker(accesses_of(db_session=db_session, data_dir=data_dir, token=token))


def link_citizen(
    *, db_session: Session, settings: Settings, actor: User | None, username: str, id_number: str
) -> CitizenLink:
    """Link a citizen account to its holder's ID number (stores the token only)."""
    if actor is not None and not identity_service.is_admin(actor):
        raise PermissionDenied("Only platform administrators may link citizen accounts.")
    user = identity_service.get_user_by_username(db_session=db_session, username=username)
    if user is None:
        raise NotFound(f"No user '{username}'.", field="username")
    if user.role != Role.applicant:
        raise ValidationFailed(
            f"username: '{username}' is a '{user.role}' account; only citizen (applicant) "
            "accounts are linked to an ID number.",
            field="username",
        )
    token = token_of(id_number, settings)
    link = db_session.scalar(select(CitizenLink).where(CitizenLink.user_id == user.id))
    if link is None:
        link = CitizenLink(user_id=user.id, token=token, linked_by_name="system")
        db_session.add(link)
    link.token = token
    link.linked_by_name = actor.username if actor is not None else "system"
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="sharing.citizen.link",
        object_type="user",
        object_id=username,
        purpose="数据使用记录 data tracker",
        detail={"key_id": TRACKER_KEY_ID},
    )
    return link
