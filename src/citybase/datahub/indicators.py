"""Live indicators the data hub measures about its own city, for the BTE assessment.

Each is a share of the catalog, counted directly from the catalog's own tables (no user:
these are city-wide aggregates, not a read of any dataset's contents).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.datahub.enums import BindingRole, OpenType, SharingType
from citybase.datahub.models import DataElement, Dataset, ElementBinding
from citybase.db import utcnow
from citybase.hookspecs import LiveIndicator


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2)


def live_indicators(*, db_session: Session) -> list[LiveIndicator]:
    """Shares of datasets shareable and open, and of elements with one authority.

    A share of nothing is not zero: with an empty catalog (or element registry) the
    corresponding indicators are not reported at all.
    """
    now = utcnow().isoformat(timespec="seconds")
    out: list[LiveIndicator] = []
    total = db_session.scalar(select(func.count()).select_from(Dataset)) or 0
    if total:
        shareable = (
            db_session.scalar(
                select(func.count())
                .select_from(Dataset)
                .where(
                    Dataset.sharing_type.in_([SharingType.unconditional, SharingType.conditional])
                )
            )
            or 0
        )
        opened = (
            db_session.scalar(
                select(func.count())
                .select_from(Dataset)
                .where(Dataset.open_type.in_([OpenType.unconditional, OpenType.conditional]))
            )
            or 0
        )
        out.append(
            LiveIndicator(
                indicator_id="data_shareable_share",
                value=_share(shareable, total),
                unit="%",
                source="datahub catalog: sharing type of every dataset",
                measured_at=now,
                note=f"{shareable} of {total} datasets are 无条件共享 or 有条件共享",
            )
        )
        out.append(
            LiveIndicator(
                indicator_id="open_datasets_share",
                value=_share(opened, total),
                unit="%",
                source="datahub catalog: open type of every dataset",
                measured_at=now,
                note=f"{opened} of {total} datasets are 无条件开放 or 有条件开放",
            )
        )
    elements = db_session.scalar(select(func.count()).select_from(DataElement)) or 0
    if elements:
        with_authority = (
            db_session.scalar(
                select(func.count(func.distinct(ElementBinding.element_id))).where(
                    ElementBinding.role == BindingRole.authority
                )
            )
            or 0
        )
        out.append(
            LiveIndicator(
                indicator_id="data_single_source_share",
                value=_share(with_authority, elements),
                unit="%",
                source="datahub element registry",
                measured_at=now,
                note=f"{with_authority} of {elements} data elements have one authoritative source",
            )
        )
    return out
