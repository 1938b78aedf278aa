"""Standing sharing grants (常态化共享授权) a service department needs for 免于提交.

From the catalogue: for each department, which datasets its items read and which columns.
``request_standing_grants`` files one sharing request per (department, dataset) through
``citybase.sharing.service`` as the department's system account — columns limited to what
the items read (最小必要), the ID and other personal columns the rules compare asked in
clear with the reason — and the owning department decides as for any request.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from citybase.datahub import service as datahub_service
from citybase.services.catalogue import Catalogue
from citybase.services.evidence import service_account
from citybase.settings import Settings

#: Identifiers of organisations, shared as they are (sharing refuses them in clear_columns).
NOT_PERSONAL = frozenset({"CN_USCC"})
CLEAR_REASON = "一网通办免于提交：按申请人本人身份证号核验其本人材料，规则比对需原值"
LEGAL_BASIS = (
    "《优化营商环境条例》第三十五条；《国务院关于加快推进全国一体化在线政务服务平台建设的指导意见》"
)


def needed_grants(catalogue: Catalogue) -> dict[tuple[str, str], list[str]]:
    """(department, dataset) -> the columns its items read, key columns first."""
    out: dict[tuple[str, str], list[str]] = {}
    for item in catalogue.items:
        for m in item.materials:
            if m.supply is None:
                continue
            cols = out.setdefault((item.department, m.supply.dataset), [])
            for c in [m.supply.key_column, *m.supply.fields.values()]:
                if c not in cols:
                    cols.append(c)
    return out


def request_standing_grants(
    *,
    db_session: Session,
    settings: Settings,
    data_dir: Path,
    catalogue: Catalogue,
    department: str | None = None,
    valid_days: int = 365,
) -> list[int]:
    """File the requests the catalogue needs; returns their ids (skips owned datasets)."""
    from citybase.sharing import service as sharing_service
    from citybase.sharing.schemas import RequestCreate

    ids: list[int] = []
    for (dept, name), columns in needed_grants(catalogue).items():
        if department is not None and dept != department:
            continue
        ds = datahub_service.find_dataset(db_session=db_session, name=name)
        if ds is None or ds.department.code == dept:
            continue
        reader = service_account(db_session, dept)
        personal = {
            c.name
            for c in datahub_service.dataset_columns(db_session=db_session, dataset=ds)
            if c.pii_type and c.pii_type not in NOT_PERSONAL
        }
        clear = {c: CLEAR_REASON for c in columns if c in personal}
        req = sharing_service.file_request(
            db_session=db_session,
            data_dir=data_dir,
            settings=settings,
            actor=reader,
            data=RequestCreate(
                dataset=name,
                purpose=f"一网通办免于提交（{dept}）：申请人本人材料核验",
                legal_basis=LEGAL_BASIS,
                valid_until=dt.date.today() + dt.timedelta(days=valid_days),
                columns=columns,
                clear_columns=clear,
            ),
        )
        ids.append(req.id)
    return ids
