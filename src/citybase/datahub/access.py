"""Who may see, read and change what in the data hub: one place, so sharing grants extend it.

- Catalog metadata: every signed-in staff user sees every dataset's metadata; citizens,
  businesses and the public see only datasets open to the public (无条件/有条件开放).
- Rows: the owning department, platform admins, and — for 无条件开放 datasets — anyone,
  signed in or not, read in full (``can_read``). Other signed-in users may read *part* of a
  dataset when a plug-in grants them a scope (``read_access``; governed sharing's grants,
  see ``citybase.datahub.scope``). Everyone else is refused with a message saying how to
  get access. ``can_read`` stays "full read" on purpose: it also decides who sees profile
  values and quality samples, which a grant's de-identification would not cover.
- Changes (metadata, loads, rules, bindings, lineage): data stewards of the owning
  department and platform admins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from citybase.datahub.enums import OpenType
from citybase.errors import AuthenticationRequired, PermissionDenied
from citybase.identity import service as identity_service
from citybase.identity.enums import Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from citybase.datahub.models import Dataset
    from citybase.identity.models import User

PUBLIC_OPEN_TYPES = frozenset({OpenType.unconditional.value, OpenType.conditional.value})
STEWARD_ROLES = frozenset({Role.data_steward.value, Role.platform_admin.value})


def is_staff(user: User | None) -> bool:
    return user is not None and user.role != Role.applicant


def sees_metadata(user: User | None, dataset: Dataset) -> bool:
    """May ``user`` (None: the public) see that this dataset exists and its metadata?"""
    return is_staff(user) or dataset.public_open_type in PUBLIC_OPEN_TYPES


def can_read(user: User | None, dataset: Dataset, *, db_session: Session | None = None) -> bool:
    """May ``user`` read the dataset's rows? The single authorisation point for contents.

    ``db_session`` is where sharing grants will be looked up; today's rules need none.
    """
    if dataset.public_open_type == OpenType.unconditional:
        return True
    if user is None:
        return False
    if identity_service.is_admin(user):
        return True
    return user.department_id is not None and user.department_id == dataset.department_id


def ensure_can_read(
    user: User | None, dataset: Dataset, *, db_session: Session | None = None
) -> None:
    if can_read(user, dataset, db_session=db_session):
        return
    if user is None:
        raise AuthenticationRequired(
            f"Dataset '{dataset.name}' is not open to the public: sign in to read it."
        )
    raise PermissionDenied(
        f"You may not read the rows of '{dataset.name}' ({dataset.title}): it belongs to "
        f"{dataset.department.name_zh} ({dataset.department.code}). Ask that department for "
        "access (a sharing request) or read its metadata only.",
        code="access_required",
    )


def can_edit(user: User | None, dataset: Dataset) -> bool:
    if user is None or user.role not in STEWARD_ROLES:
        return False
    return identity_service.is_admin(user) or user.department_id == dataset.department_id


def ensure_can_edit(user: User | None, dataset: Dataset, *, what: str = "change") -> None:
    """Stewards of the owning department and platform admins only (``None`` is the system)."""
    if user is None:
        return  # the system: CLI and demo, audited as "system"
    if user.role not in STEWARD_ROLES:
        raise PermissionDenied(
            f"Only data stewards may {what} datasets; you are '{user.role}'.",
        )
    identity_service.ensure_department_access(
        user, dataset.department_id, what=f"dataset '{dataset.name}'"
    )


def ensure_steward(user: User | None, *, what: str) -> None:
    if user is not None and user.role not in STEWARD_ROLES:
        raise PermissionDenied(f"Only data stewards may {what}; you are '{user.role}'.")


def department_label(user: User | None) -> str:
    """The usage counters' requesting department: its code, 'platform' or 'public'."""
    if user is None:
        return "public"
    return user.department_code or ("platform" if identity_service.is_admin(user) else "none")
