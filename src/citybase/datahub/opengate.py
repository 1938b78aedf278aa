"""Open or held back: which datasets are personal, and whether one may be in the open catalogue.

Governance's lowest layer: it reads the catalogue's records (columns and their PII types,
lineage) and decides; it imports no use case, so the catalogue (editing a dataset's open
type), classification (a steward's decision) and the release gate all ask it directly.
A dataset that holds personal data, or derives from one that does, is *held back* (the open
catalogue treats it as not open) whenever its current version is not the released one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.datahub.enums import OpenType
from citybase.datahub.models import Dataset, DatasetColumn, LineageLink
from citybase.datahub.themes import Licence, licences
from citybase.errors import ValidationFailed
from citybase.settings import Settings

OPEN_TYPES = (OpenType.unconditional.value, OpenType.conditional.value)

# Types that identify a natural person on their own; a dataset with none of them is about
# places or organisations, and its addresses, coordinates, landlines and IP addresses are not
# personal information (a school's address, a bus stop's coordinates).
SUBJECT_TYPES: frozenset[str] = frozenset(
    {"CN_ID_CARD", "PERSON_NAME", "CN_MOBILE", "PASSPORT", "BANK_CARD", "EMAIL", "CN_PLATE"}
)
CONTEXT_TYPES: frozenset[str] = frozenset(
    {"ADDRESS", "GPS_COORDINATE", "CN_LANDLINE", "IP_ADDRESS"}
)
PERSONAL_TYPES = SUBJECT_TYPES | CONTEXT_TYPES  # CN_USCC names an organisation


def personal_columns(*, db_session: Session, dataset: Dataset) -> dict[str, str]:
    """Present columns carrying personal information (not USCCs): name -> PII type."""
    return {
        c.name: c.pii_type
        for c in db_session.scalars(
            select(DatasetColumn).where(
                DatasetColumn.dataset_id == dataset.id,
                DatasetColumn.present.is_(True),
                DatasetColumn.pii_type.is_not(None),
            )
        )
        if c.pii_type in PERSONAL_TYPES
    }


# --- what is personal, what is held back ------------------------------------------------------


def is_personal(*, db_session: Session, dataset: Dataset, _depth: int = 0) -> bool:
    """Holds personal columns, or derives (through lineage) from a dataset that does."""
    if personal_columns(db_session=db_session, dataset=dataset):
        return True
    if _depth > 8:
        return False
    for link in db_session.scalars(select(LineageLink).where(LineageLink.dataset_id == dataset.id)):
        if is_personal(db_session=db_session, dataset=link.source, _depth=_depth + 1):
            return True
    return False


def refresh_held_back(*, db_session: Session, dataset: Dataset) -> bool:
    """Recompute ``held_back``: personal and the current version is not the released one."""
    held = (
        dataset.open_type in OPEN_TYPES
        and dataset.current_version is not None
        and dataset.released_version != dataset.current_version
        and is_personal(db_session=db_session, dataset=dataset)
    )
    if dataset.held_back != held:
        dataset.held_back = held
        db_session.flush()
    return held


def ensure_may_open(*, db_session: Session, dataset: Dataset, open_type: str) -> None:
    """Refuse to declare a personal, unreleased dataset open by editing its metadata."""
    if open_type not in OPEN_TYPES or dataset.open_type in OPEN_TYPES:
        return
    if dataset.current_version is None or dataset.released_version == dataset.current_version:
        return
    if is_personal(db_session=db_session, dataset=dataset):
        raise ValidationFailed(
            f"'{dataset.name}' holds personal data: it can only be opened through the release "
            "gate (de-identify it, then `citybase datahub release "
            f"{dataset.name} --quasi …`, or the Release page), not by editing its open type.",
            field="open_type",
        )


def open_licence(settings: Settings | None = None) -> Licence | None:
    """The licence a dataset is opened under when its own is not open: the first open one in
    the city's licence list (the demo city's ``city-open``)."""
    return next((x for x in licences(settings) if x.open), None)


def ensure_open_licence(
    *, dataset: Dataset, open_type: str, licence: str | None, settings: Settings | None = None
) -> None:
    """Licences must add up: a dataset open to the public carries an open licence."""
    if open_type not in OPEN_TYPES:
        return
    known = {x.id: x for x in licences(settings)}
    lic = known.get(licence or "")
    if lic is not None and not lic.open:
        choices = ", ".join(x.id for x in known.values() if x.open)
        raise ValidationFailed(
            f"licence: '{lic.id}' ({lic.title_en}) is not an open licence, so '{dataset.name}' "
            f"cannot be open to the public under it; choose an open licence ({choices}).",
            field="licence",
            zh=f"“{lic.title_zh}”不是开放许可，数据集 {dataset.name} 不能以此协议向社会开放；"
            f"请选择开放许可（{choices}）。",
        )
