"""The demo catalog in Chromium: browse, search, facets, a steward's new version and reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from citybase.datahub.demo import demo_catalog
from citybase.datahub.demo_privacy import EXTRACT
from citybase.demo.accounts import DEMO_PASSWORD
from tests.web.conftest import LiveServer, login

pytestmark = pytest.mark.browser


def test_catalog_is_browsable_and_searchable(page: Any, demo_server: LiveServer) -> None:
    login(page, demo_server, "rsj_steward", DEMO_PASSWORD)
    page.goto(demo_server.url + "/datahub")
    published = len(demo_catalog()["datasets"]) + 1  # + the de-identified extract
    assert page.locator("[data-testid=hit]").count() == published
    page.fill("[data-testid=search-box]", "人口")
    page.press("[data-testid=search-box]", "Enter")
    page.wait_for_load_state("networkidle")
    names = page.eval_on_selector_all("[data-testid=hit]", "els => els.map(e => e.dataset.name)")
    assert names[0] in ("gaj-residents", EXTRACT, "zsj-grid-population")
    assert "gaj-residents" in names
    page.click("[data-facet=department][data-value=GAJ]")
    page.wait_for_load_state("networkidle")
    names = page.eval_on_selector_all("[data-testid=hit]", "els => els.map(e => e.dataset.name)")
    assert sorted(names) == ["gaj-residents", EXTRACT]
    page.click("[data-name=gaj-residents] h2 a")
    page.wait_for_load_state("networkidle")
    assert "人口基础信息库" in page.inner_text("[data-testid=dataset-title]")
    assert page.locator("[data-testid=profile] tr[data-column=id_number]").count() == 1
    assert page.locator("[data-testid=bindings]").count() == 1
    # 人社局 holds a standing grant on this register (一网通办 evidence), not on 交警's: it may
    # see the vehicle register's metadata but not its rows
    page.goto(demo_server.url + "/datahub/datasets/jj-vehicles")
    assert page.locator("[data-testid=no-access]").count() == 1


def test_steward_loads_a_new_version_and_sees_reports(
    page: Any, demo_server: LiveServer, tmp_path: Path
) -> None:
    csv = tmp_path / "网格人口-新版.csv"
    csv.write_text(
        "网格编码,所属街道编码,常住人口,户数,60岁及以上人口,14岁及以下人口,统计月份\n"
        "320102001001,320102001,350,140,80,40,2024-06\n"
        "320102001002,320102001,-5,120,70,30,2024-06\n",
        encoding="utf-8",
    )
    login(page, demo_server, "zsj_steward", DEMO_PASSWORD)
    page.goto(demo_server.url + "/datahub/datasets/zsj-grid-population")
    assert page.locator("[data-testid=preview] tbody tr").count() == 20
    page.click("[data-testid=upload-link]")
    page.set_input_files("input[name=file]", str(csv))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    # two rows replacing the register: refused until the steward confirms the shrink
    assert "行数大幅减少" in page.inner_text("[data-testid=shrink]")
    page.set_input_files("input[name=file]", str(csv))
    page.check("[data-testid=confirm-shrink]")
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    report = page.inner_text("[data-testid=load-report]")
    assert "第 2 版" in report and "统计月份" in page.inner_text("[data-testid=drift]")
    failing = page.locator("[data-testid=load-report] tr[data-rule='range:常住人口']")
    assert "-5" in failing.inner_text()
    page.goto(demo_server.url + "/datahub/datasets/zsj-grid-population")
    assert page.locator("[data-testid=versions] tr[data-version='2']").count() == 1
    assert page.locator("[data-testid=preview] tbody tr").count() == 2


def test_consistency_and_high_frequency_reports(page: Any, demo_server: LiveServer) -> None:
    login(page, demo_server, "admin", DEMO_PASSWORD)
    page.goto(demo_server.url + "/datahub/elements")
    assert page.locator("[data-testid=elements] tr[data-element=hukou_address]").count() == 1
    page.goto(demo_server.url + "/datahub/elements/hukou_address")
    page.click("[data-testid=check-consistency]")
    page.wait_for_load_state("networkidle")
    rsj = page.locator("[data-replica=rsj-social-insurance]")
    assert "不一致" in rsj.inner_text() and rsj.locator("tbody tr").count() == 5
    page.goto(demo_server.url + "/datahub/usage")
    first = page.locator("[data-testid=element-usage] tbody tr").first
    assert first.get_attribute("data-element") == "citizen_id"


def test_steward_sees_the_registry_graded_and_its_release_reports(
    page: Any, demo_server: LiveServer
) -> None:
    login(page, demo_server, "gaj_steward", DEMO_PASSWORD)
    page.goto(demo_server.url + "/datahub/datasets/gaj-residents#classification")
    assert page.inner_text("[data-testid=dataset-grade]") == "重要"
    assert "CN_ID_CARD" in page.inner_text("[data-testid=pii-id_number]")
    assert "PERSON_NAME" in page.inner_text("[data-testid=pii-name]")
    assert "pseudonymise" in page.inner_text("[data-testid=shared-id_number]")
    assert page.locator("[data-testid=steward-grade]").count() == 1
    page.click("[data-testid=releases] a")  # the raw registry's attempt: blocked
    page.wait_for_load_state("networkidle")
    assert "未通过" in page.inner_text("[data-testid=verdict]")
    assert "id_number" in page.inner_text("[data-testid=reasons]")
    page.goto(demo_server.url + f"/datahub/datasets/{EXTRACT}#release")
    page.click("[data-testid=releases] a")
    page.wait_for_load_state("networkidle")
    assert "通过" in page.inner_text("[data-testid=verdict]")
    assert int(page.inner_text("[data-testid=k]")) >= 5


def test_steward_accepts_a_new_schema_by_checkbox_and_rolls_back(
    page: Any, demo_server: LiveServer, tmp_path: Path
) -> None:
    header = "许可证编号,经营者名称,有效期至\n"
    rows = [f"JY{i:014d},示范餐饮{i}号店,2026-{1 + i % 12:02d}-15\n" for i in range(1, 61)]
    v1, v2 = tmp_path / "许可证.csv", tmp_path / "许可证-新版.csv"
    v1.write_bytes((header + "".join(rows)).encode("gbk"))
    rows[41] = "JY00000000000042,示范餐饮42号店,2022-13-45\n"  # record 42: line 43
    v2.write_bytes((header + "".join(rows)).encode("gbk"))
    login(page, demo_server, "scjg_steward", DEMO_PASSWORD)
    page.goto(demo_server.url + "/datahub/new")
    page.fill("input[name=name]", "scjg-licence-check")
    page.fill("input[name=title]", "许可证核对")
    page.click("[data-testid=dataset-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(demo_server.url + "/datahub/datasets/scjg-licence-check/upload")
    assert page.locator("[data-testid=consent]").count() == 0  # nothing to accept yet
    page.set_input_files("input[name=file]", str(v1))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "第 1 版" in page.inner_text("[data-testid=load-report]")

    page.set_input_files("input[name=file]", str(v2))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    loss = page.locator("[data-testid=type-loss][data-column=有效期至]")
    assert "43" in loss.inner_text() and "2022-13-45" in loss.inner_text()
    assert "date → string" in page.inner_text("[data-testid=type-losses]")
    assert page.locator("[data-testid=load-report]").count() == 0
    page.set_input_files("input[name=file]", str(v2))
    page.check("[data-testid=accept-schema]")
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "第 2 版" in page.inner_text("[data-testid=load-report]")

    page.goto(demo_server.url + "/datahub/datasets/scjg-licence-check")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=rollback-1]")
    page.wait_for_load_state("networkidle")
    assert "v1 已重新设为当前版本" in page.inner_text("[data-testid=rolled-back]")
    current = page.locator("[data-testid=versions] tr[data-version='1']")
    assert "当前" in current.inner_text()
