"""The demo city's one-stop services (order 70, after sharing's 60).

1. Standing grants: every service department's system account requests the registries its
   items read (columns limited to those, ID and compared personal columns in clear with the
   reason); the platform admin approves them for the owners (the demo has no steward in
   every owning department).
2. The demo citizen ``citizen`` (市民 张伟) is verified (实名) as a working-age resident
   with current social-insurance contributions, among the residents the sharing demo read
   (so its tracker keeps showing those reads) — signing in as ``citizen``, 就业登记
   (RSJ-JYDJ-01) needs nothing uploaded and is approved at once with a certificate.
3. A few demo applicants apply: instant approvals with certificates, a manual 公租房 case
   waiting in 住建局's queue (``zjj_officer``), a residence permit asked for 补正.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.demo.context import DemoContext
from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.services import applications, casework, evidence
from citybase.services.models import ApplicantProfile, ServiceApplication
from citybase.services.ruletests import library
from citybase.services.standing import request_standing_grants

APPROVAL = "同意：一网通办免于提交，仅核验申请人本人记录，字段符合最小必要原则。"
SCANNED = 2_000  # the sharing demo read the registry's first 2,000 rows


def _approve(s: Session, ctx: DemoContext, ids: list[int], admin: User) -> int:
    from citybase.sharing import service as sharing_service
    from citybase.sharing.schemas import ApproveBody

    done = 0
    for rid in ids:
        req = sharing_service.get_request(db_session=s, viewer=admin, request_id=rid)
        if req.status != "pending":
            continue
        sharing_service.approve_request(
            db_session=s,
            settings=ctx.settings,
            data_dir=ctx.data_dir,
            actor=admin,
            request_id=rid,
            decision=ApproveBody(reason=APPROVAL),
        )
        done += 1
    return done


def _residents(ctx: DemoContext) -> list[dict[str, Any]]:
    path = ctx.registries_dir / "residents.parquet"
    if not path.is_file():
        return []
    cols = ["id_number", "name", "sex", "birth_date", "hukou_address", "address"]
    rows: list[dict[str, Any]] = pq.read_table(path, columns=cols).slice(0, SCANNED).to_pylist()
    return rows


def _held(s: Session, ctx: DemoContext, item_code: str, key: str, number: str) -> Any:
    lib = library(ctx.settings)
    item = lib.catalogue.get(item_code)
    material = next(m for m in item.materials if m.key == key)
    return evidence.fetch_dataset(
        s,
        data_dir=ctx.data_dir,
        settings=ctx.settings,
        reader=evidence.service_account(s, item.department),
        item=item,
        material=material,
        key=number,
        purpose="示范数据准备：选定示范市民",
    )


def _not_paid(s: Session, ctx: DemoContext, number: str) -> bool:
    """民政局's register does not pay this person the allowance yet."""
    allowance = _held(s, ctx, "MZJ-GLJT-01", "allowance", number)
    return allowance.status == "fetched" and not allowance.values.get("allowance_count")


def _contributing(s: Session, ctx: DemoContext, number: str) -> bool:
    """In 人社局's register with current contributions (so the sharing demo's download of
    the register concerns the citizen too, and 就业登记 decides at once)."""
    insured = _held(s, ctx, "RSJ-TXSP-01", "insurance", number)
    return insured.status == "fetched" and str(insured.values.get("payment_status")) == "正常缴费"


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _pick(people: list[dict[str, Any]], taken: set[str], test: Any) -> dict[str, Any] | None:
    for p in people:
        if p["id_number"] not in taken and test(p):
            taken.add(p["id_number"])
            return p
    return None


def _verify(s: Session, ctx: DemoContext, user: User, number: str) -> None:
    if s.scalar(select(ApplicantProfile).where(ApplicantProfile.user_id == user.id)) is None:
        s.add(ApplicantProfile(user_id=user.id, id_number=number))
        from citybase.sharing import service as sharing_service

        sharing_service.link_citizen(
            db_session=s,
            settings=ctx.settings,
            actor=None,
            username=user.username,
            id_number=number,
        )


def _applicant(s: Session, username: str, name: str) -> User:
    from citybase.demo.accounts import DEMO_PASSWORD

    user = identity_service.get_user_by_username(db_session=s, username=username)
    return user or identity_service.create_user(
        db_session=s,
        actor=None,
        username=username,
        display_name=name,
        password=DEMO_PASSWORD,
        role=Role.applicant,
    )


def _apply(
    s: Session, ctx: DemoContext, user: User, item: str, form: dict[str, Any]
) -> ServiceApplication:
    app = applications.start_application(
        db_session=s,
        settings=ctx.settings,
        data_dir=ctx.data_dir,
        actor=user,
        item_code=item,
        form=form,
    )
    consent = {p.material: True for p in applications.pieces_of(app) if p.status == "fetched"}
    return applications.submit_application(
        db_session=s, settings=ctx.settings, actor=user, application_id=app.id, consent=consent
    )


def build_services(ctx: DemoContext) -> None:
    task = ctx.progress.add_task("一网通办 services", total=3)
    with ctx.session() as s:
        admin = identity_service.get_user_by_username(db_session=s, username="admin")
        citizen = identity_service.get_user_by_username(db_session=s, username="citizen")
        done = bool(s.scalar(select(func.count()).select_from(ServiceApplication)))
        if admin is None or citizen is None or done:
            ctx.progress.advance(task, 3)
            return
        ids = request_standing_grants(
            db_session=s,
            settings=ctx.settings,
            data_dir=ctx.data_dir,
            catalogue=library(ctx.settings).catalogue,
        )
        approved = _approve(s, ctx, ids, admin)
    ctx.progress.advance(task)
    today = dt.date.today()
    people = _residents(ctx)
    taken: set[str] = set()
    local = "示范市"

    def elderly_in(s: Session) -> Any:
        def elderly(p: dict[str, Any]) -> bool:
            return (
                _age(p["birth_date"], today) >= 80
                and str(p["hukou_address"]).startswith(local)
                and _not_paid(s, ctx, p["id_number"])
            )

        return elderly

    with ctx.session() as s:
        citizen = identity_service.get_user_by_username(db_session=s, username="citizen")
        assert citizen is not None
        chosen = _pick(
            people,
            taken,
            lambda p: (
                18 <= _age(p["birth_date"], today) < 60 and _contributing(s, ctx, p["id_number"])
            ),
        )
        if chosen is not None:
            _verify(s, ctx, citizen, chosen["id_number"])
    ctx.progress.advance(task)
    made = 0
    with ctx.session() as s:
        for n, (test, item, form) in enumerate(
            [
                (elderly_in(s), "MZJ-GLJT-01", {"bank_card": "6222020200112233445"}),
                (
                    lambda p: _age(p["birth_date"], today) >= 18,
                    "SCJG-GTHDJ-01",
                    {
                        "business_name": "示范市老街面馆",
                        "business_address": "示范市东城区和平路12号",
                    },
                ),
                (lambda p: not str(p["hukou_address"]).startswith(local), "GAJ-JZZ-01", {}),
                (
                    lambda p: str(p["hukou_address"]).startswith(local),
                    "ZJJ-GZF-01",
                    {"household_size": 3, "monthly_income": 6000},
                ),
            ]
        ):
            person = _pick(people, taken, test)
            if person is None:
                continue
            user = _applicant(s, f"applicant{n + 1}", f"申请人 {person['name']}")
            _verify(s, ctx, user, person["id_number"])
            app = _apply(s, ctx, user, item, dict(form))  # type: ignore[call-overload]
            made += 1
            if item == "GAJ-JZZ-01" and app.status == "submitted":
                gaj = identity_service.get_user_by_username(db_session=s, username="admin")
                assert gaj is not None
                casework.act(
                    db_session=s,
                    settings=ctx.settings,
                    actor=gaj,
                    application_id=app.id,
                    action="accept",
                )
                casework.act(
                    db_session=s,
                    settings=ctx.settings,
                    actor=gaj,
                    application_id=app.id,
                    action="request_supplement",
                    reason="请上传近期白底免冠照片",
                )
    ctx.shared["services"] = {
        "grants": approved,
        "applications": made,
        "citizen_verified": chosen is not None,
    }
    ctx.progress.advance(task)
