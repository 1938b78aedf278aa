"""The demo city's data hub as `citybase demo` publishes it, with the problems a steward finds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from citybase.datahub import service
from citybase.datahub.demo import demo_catalog
from citybase.db import make_engine, make_session_factory
from citybase.settings import Settings


@pytest.fixture
def demo_session(demo_settings: Settings) -> Iterator[Session]:
    engine = make_engine(demo_settings.effective_database_url)
    with make_session_factory(engine)() as s:
        yield s
    engine.dispose()


def test_every_catalog_entry_is_published_with_a_version(demo_session: Session) -> None:
    entries = demo_catalog()["datasets"]
    assert len(entries) >= 18
    for entry in entries:
        ds = service.get_dataset(db_session=demo_session, name=entry["name"], check=False)
        assert (ds.current_version or 0) >= 1 and (ds.row_count or 0) > 0, entry["name"]
        assert ds.department.code == entry["department"]
    formats = {
        service.get_dataset(db_session=demo_session, name=e["name"], check=False).source_format
        for e in entries
    }
    assert formats >= {"csv", "xlsx", "json", "ndjson", "parquet"}
    bus = service.current_version(
        db_session=demo_session,
        dataset=service.get_dataset(db_session=demo_session, name="jtj-bus-stops", check=False),
    )
    assert bus is not None and bus.encoding in ("gbk", "gb18030")


def test_deliberate_quality_problems_are_found(
    demo_session: Session, demo_settings: Settings
) -> None:
    def failing(name: str) -> set[str]:
        report = service.run_quality(
            db_session=demo_session, data_dir=demo_settings.data_dir, actor=None, name=name
        )
        return {str(r.rule.name) for r in report.results if r.failed}

    assert failing("mzj-elderly-allowance") == {"checksum:公民身份号码", "checksum:银行卡号"}
    assert failing("scjg-food-licences") == {
        "checksum:统一社会信用代码",
        "reference:统一社会信用代码",
    }
    assert failing("jtj-bus-stops") == {"unique:站点编号"}
    assert failing("sthj-air-quality-daily") == {"range:AQI"}
    assert failing("mzj-care-homes") == {"freshness:数据更新日期"}
    assert failing("gaj-residents") == set()
    demo_session.rollback()


def test_consistency_finds_the_mismatching_copies(
    demo_session: Session, demo_settings: Settings
) -> None:
    report = service.check_consistency(
        db_session=demo_session, data_dir=demo_settings.data_dir, actor=None, code="hukou_address"
    )
    by = {r.dataset: r for r in report.replicas}
    rsj = by["rsj-social-insurance"]
    assert 0.01 < rsj.mismatched / rsj.compared < 0.03 and len(rsj.samples) == 5
    assert by["mzj-elderly-allowance"].mismatched == 0
    names = service.check_consistency(
        db_session=demo_session, data_dir=demo_settings.data_dir, actor=None, code="enterprise_name"
    )
    assert {r.dataset: r.mismatched for r in names.replicas}["yjj-hazard-enterprises"] == 5
    demo_session.rollback()


def test_high_frequency_report_has_a_month_of_history(demo_session: Session) -> None:
    report = service.high_frequency(db_session=demo_session)
    top = report.elements[0]
    assert top.element_code == "citizen_id" and top.departments >= 8
    assert report.datasets[0].dataset == "gaj-residents"
    sources, _ = service.lineage(
        db_session=demo_session,
        dataset=service.get_dataset(
            db_session=demo_session, name="zsj-grid-population", check=False
        ),
    )
    assert [s.source for s in sources] == ["gaj-residents"]
