"""The demo city's governed sharing (order 60, after the data hub's 50).

数据局 (ZSJ) asks 公安局 for the residents registry and 人社局 for the social-insurance
register to analyse insurance coverage; both stewards approve with reasons; ZSJ reads both
under its grants and the ID numbers come back pseudonymised with the same token for the same
person, so the two join. The demo citizen 张伟 (``citizen``) is linked to a resident whose
record both reads included, so signing in as ``citizen`` shows those reads. One request is
left pending (住建局 → residents) and one rejected (城管局 → social insurance).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.datahub import service as datahub_service
from citybase.datahub.types import RowQuery
from citybase.demo.context import DemoContext
from citybase.identity import service as identity_service
from citybase.identity.models import User
from citybase.privacy.deid import settings_key
from citybase.privacy.operators import Keys, Pseudonymise
from citybase.sharing import service
from citybase.sharing.grants import today
from citybase.sharing.models import SharingRequest
from citybase.sharing.schemas import ApproveBody, RequestCreate

PURPOSE = "社保参保覆盖分析：比对常住人口与社保参保登记，识别应保未保人群"
LEGAL_BASIS = "《示范市公共数据管理办法》第二十条；市政府2026年社保扩面工作部署"
RESIDENTS = "gaj-residents"
INSURANCE = "rsj-social-insurance"
READ_ROWS = 2_000


def _users(s: Session, *names: str) -> dict[str, User] | None:
    found = {n: identity_service.get_user_by_username(db_session=s, username=n) for n in names}
    if any(u is None for u in found.values()):
        return None
    return {n: u for n, u in found.items() if u is not None}


def _file(s: Session, ctx: DemoContext, who: User, name: str, **data: Any) -> SharingRequest:
    return service.file_request(
        db_session=s,
        data_dir=ctx.data_dir,
        settings=ctx.settings,
        actor=who,
        data=RequestCreate(dataset=name, valid_until=today() + dt.timedelta(days=365), **data),
    )


def _requests(s: Session, ctx: DemoContext, u: dict[str, User]) -> None:
    residents = _file(
        s,
        ctx,
        u["zsj_steward"],
        RESIDENTS,
        purpose=PURPOSE,
        legal_basis=LEGAL_BASIS,
        columns=["id_number", "name", "sex", "birth_date", "district_code", "street_code"],
    )
    insurance = _file(
        s,
        ctx,
        u["zsj_steward"],
        INSURANCE,
        purpose=PURPOSE,
        legal_basis=LEGAL_BASIS,
        columns=["公民身份号码", "参保险种", "参保日期", "缴费状态"],
    )
    for req, steward, reason in (
        (
            residents,
            "gaj_steward",
            "用途与履职相关，字段符合最小必要原则；身份证号假名化、姓名掩码后提供。",
        ),
        (insurance, "rsj_steward", "同意用于参保覆盖分析；仅提供参保状态字段，身份证号假名化。"),
    ):
        service.approve_request(
            db_session=s,
            settings=ctx.settings,
            data_dir=ctx.data_dir,
            actor=u[steward],
            request_id=req.id,
            decision=ApproveBody(reason=reason),
        )
    _file(
        s,
        ctx,
        u["zjj_officer"],
        RESIDENTS,
        purpose="保障性住房申请家庭资格核查：核对申请人及共同申请人户籍与居住情况",
        legal_basis="《示范市保障性住房管理办法》第十五条",
        columns=["id_number", "name", "hukou_address", "address"],
        clear_columns={"name": "窗口人工核对申请人身份，需与申请材料比对"},
    )
    rejected = _file(
        s,
        ctx,
        u["cgj_officer"],
        INSURANCE,
        purpose="城管执法当事人背景了解",
        legal_basis="《城市管理执法办法》",
    )
    service.reject_request(
        db_session=s,
        actor=u["rsj_steward"],
        request_id=rejected.id,
        reason="用途与社保数据的共享条件不符；个案执法协查请按协查程序逐案申请。",
    )


def _reads(s: Session, ctx: DemoContext, reader: User) -> set[str]:
    """ZSJ reads both datasets under its grants; the pseudonymised IDs they share."""
    page = datahub_service.read_rows(
        db_session=s,
        data_dir=ctx.data_dir,
        viewer=reader,
        name=RESIDENTS,
        query=RowQuery(limit=READ_ROWS),
        purpose=PURPOSE,
        settings=ctx.settings,
    ).page
    export = datahub_service.export_rows(
        db_session=s,
        data_dir=ctx.data_dir,
        viewer=reader,
        name=INSURANCE,
        fmt="parquet",
        query=RowQuery(),
        purpose=PURPOSE,
        settings=ctx.settings,
    )
    try:
        insured = set(pq.read_table(export.path, columns=["公民身份号码"]).column(0).to_pylist())
    finally:
        export.path.unlink(missing_ok=True)
    return {r["id_number"] for r in page.rows} & insured


def _citizen_id(ctx: DemoContext, shared: set[str]) -> str | None:
    """The clear ID number behind one of the shared tokens (the demo holds the registry)."""
    path = ctx.registries_dir / "residents.parquet"
    if not shared or not path.is_file():
        return None
    ids = pq.read_table(path, columns=["id_number"]).column(0).combine_chunks()
    key_id = ctx.settings.pseudonym_key_id
    keys = Keys.derive(settings_key(ctx.settings, key_id), key_id)
    tokens = Pseudonymise(op="pseudonymise", length=16).apply(ids, keys)
    hits = pc.is_in(tokens, value_set=pa.array(sorted(shared), pa.string()))
    matched = ids.filter(hits).to_pylist()
    return str(sorted(matched)[0]) if matched else None


def build_sharing(ctx: DemoContext) -> None:
    task = ctx.progress.add_task("数据共享 sharing", total=3)
    with ctx.session() as s:
        names = ("zsj_steward", "gaj_steward", "rsj_steward", "zjj_officer", "cgj_officer")
        users = _users(s, *names)
        ready = users is not None and all(
            datahub_service.find_dataset(db_session=s, name=n) for n in (RESIDENTS, INSURANCE)
        )
        done = bool(s.scalar(select(func.count()).select_from(SharingRequest)))
        if users is None or not ready or done:
            ctx.progress.advance(task, 3)
            return
        _requests(s, ctx, users)
    ctx.progress.advance(task)
    with ctx.session() as s:
        reader = identity_service.get_user_by_username(db_session=s, username="zsj_steward")
        assert reader is not None
        shared = _reads(s, ctx, reader)
    ctx.progress.advance(task)
    number = _citizen_id(ctx, shared)
    if number is not None:
        with ctx.session() as s:
            service.link_citizen(
                db_session=s,
                settings=ctx.settings,
                actor=None,
                username="citizen",
                id_number=number,
            )
    ctx.shared["sharing"] = {"joined_ids": len(shared), "citizen_linked": number is not None}
    ctx.progress.advance(task)
