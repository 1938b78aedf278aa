"""Live indicators the data hub measures about its own city, for the BTE assessment.

Each is a share of the catalog, counted directly from the catalog's own tables (no user:
these are city-wide aggregates, not a read of any dataset's contents).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from citybase.datahub.enums import BindingRole, OpenType, SharingType
from citybase.datahub.models import DataElement, Dataset, ElementBinding
from citybase.db import utcnow
from citybase.hookspecs import LiveIndicator


def _indicator(indicator_id: str, part: int, whole: int, source: str, note: str) -> LiveIndicator:
    return LiveIndicator(
        indicator_id=indicator_id,
        value=round(100.0 * part / whole, 2),
        unit="%",
        source=source,
        measured_at=utcnow().isoformat(timespec="seconds"),
        note=note,
    )


def live_indicators(*, db_session: Session) -> list[LiveIndicator]:
    """Shares of datasets shareable, open and graded, and of elements with one authority.

    A share of nothing is not zero: with an empty catalog (or element registry) the
    corresponding indicators are not reported at all.
    """

    def count(*where: ColumnElement[bool]) -> int:
        return db_session.scalar(select(func.count()).select_from(Dataset).where(*where)) or 0

    out: list[LiveIndicator] = []
    total = count()
    if total:
        shareable = count(
            Dataset.sharing_type.in_([SharingType.unconditional, SharingType.conditional])
        )
        opened = count(
            Dataset.open_type.in_([OpenType.unconditional, OpenType.conditional]),
            Dataset.held_back.is_(False),
        )
        graded = count(Dataset.grade.is_not(None))
        out.append(
            _indicator(
                "data_shareable_share",
                shareable,
                total,
                "datahub catalog: sharing type of every dataset",
                f"{shareable} of {total} datasets are 无条件共享 or 有条件共享",
            )
        )
        out.append(
            _indicator(
                "open_datasets_share",
                opened,
                total,
                "datahub catalog: open type of every dataset",
                f"{opened} of {total} datasets are 无条件开放 or 有条件开放 (and not held back)",
            )
        )
        out.append(
            _indicator(
                "data_graded_share",
                graded,
                total,
                "datahub classification: grade of every dataset (scanned on load)",
                f"{graded} of {total} datasets are classified and graded",
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
            _indicator(
                "data_single_source_share",
                with_authority,
                elements,
                "datahub element registry",
                f"{with_authority} of {elements} data elements have one authoritative source",
            )
        )
    return out
