"""Demo step: grading decisions, a de-identified open extract that passes the release gate,
and a raw release attempt that the gate blocks — what a steward finds on the Release page."""

from __future__ import annotations

from citybase.datahub import catalog, classify, extracts, release
from citybase.demo.context import DemoContext
from citybase.privacy.deid import DeidPolicy

EXTRACT = "gaj-residents-open"
QUASI = ["sex", "birth_date", "district_code"]
POLICY = {
    "columns": {
        "person_id": [{"op": "suppress"}],
        "household_id": [{"op": "suppress"}],
        "name": [{"op": "suppress"}],
        "id_number": [{"op": "suppress"}],
        "mobile": [{"op": "suppress"}],
        "address": [{"op": "suppress"}],
        "hukou_address": [{"op": "suppress"}],
        "street_code": [{"op": "suppress"}],
        "grid_code": [{"op": "suppress"}],
        "lon": [{"op": "suppress"}],
        "lat": [{"op": "suppress"}],
        "birth_date": [{"op": "generalise", "kind": "date", "to": "decade"}],
    }
}


def build_privacy(ctx: DemoContext) -> None:
    task = ctx.progress.add_task("分类分级与开放 grading and release", total=4)
    settings = ctx.settings
    with ctx.session() as s:
        if catalog.find_dataset(db_session=s, name=EXTRACT) is not None:
            ctx.progress.advance(task, 4)
            return
        policy = classify.grading_policy(settings)
        residents = catalog.get_dataset(
            db_session=s, name="gaj-residents", viewer=None, check=False
        )
        classify.designate_grade(
            db_session=s,
            actor=None,
            dataset=residents,
            grade="important",
            reason="全市常住人口基础库，汇聚全体居民身份与住址信息，按 GB/T 43697-2024 "
            "重要数据识别规则由公安局数据管理员认定为重要数据。",
            policy=policy,
        )
        licences = catalog.get_dataset(
            db_session=s, name="scjg-food-licences", viewer=None, check=False
        )
        classify.override_column(
            db_session=s,
            actor=None,
            dataset=licences,
            column="法定代表人",
            pii_type=None,
            reason="法定代表人姓名依《企业信息公示暂行条例》属应当公示的登记信息，不按个人信息处理。",
            policy=policy,
        )
    ctx.progress.advance(task)
    with ctx.session() as s:
        extracts.deidentify(
            db_session=s,
            data_dir=ctx.data_dir,
            settings=settings,
            actor=None,
            source="gaj-residents",
            into=EXTRACT,
            policy=DeidPolicy.parse(POLICY),
            title="常住人口结构（脱敏开放）",
            k=5,
            quasi_identifiers=QUASI,
        )
    ctx.progress.advance(task)
    # The raw registry is blocked (direct identifiers, unique records) and the attempt kept;
    # the extract passes.
    for name in ("gaj-residents", EXTRACT):
        with ctx.session() as s:
            release.release(
                db_session=s,
                data_dir=ctx.data_dir,
                settings=settings,
                actor=None,
                name=name,
                quasi_identifiers=QUASI,
            )
        ctx.progress.advance(task)
