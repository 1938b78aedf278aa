"""The catalogue and rule files: shipped ones load and pass their cases; broken ones are
refused with file, line, item or rule and field; dated versions decide by the date."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import pytest
import yaml

from citybase.errors import ConfigurationError
from citybase.services.catalogue import load_catalogue, parse_catalogue, search
from citybase.services.loading import SHIPPED
from citybase.services.rules import RuleBook, decide
from citybase.services.ruletests import library, run_tests
from citybase.settings import Settings

DEPTS = {d["code"] for d in yaml.safe_load(
    (Path(__file__).parents[2] / "src/citybase/demo/taxonomy/departments.yaml").read_text()
)["departments"]}  # fmt: skip


def test_shipped_catalogue_is_wide_and_searchable_in_chinese() -> None:
    cat = load_catalogue()
    assert len(cat.items) >= 30
    assert len({i.department for i in cat.items}) >= 12
    assert {i.department for i in cat.items} <= DEPTS
    top = [i.code for i, _ in search(cat, "我想给老人申请津贴")][:1]
    assert top == ["MZJ-GLJT-01"]
    assert "SCJG-SPJY-01" in [i.code for i, _ in search(cat, "开饭店要什么许可证")][:3]
    assert search(cat, "量子计算机") == []


def test_rule_suite_passes_quickly() -> None:
    started = time.perf_counter()
    report = run_tests()
    assert report.results and not report.failed, report.failed
    assert time.perf_counter() - started < 5


def _copy(tmp_path: Path) -> Path:
    own = tmp_path / "taxonomy" / "services"
    shutil.copytree(SHIPPED, own)
    shutil.copy(SHIPPED.parents[1] / "demo/taxonomy/departments.yaml", own.parent)
    return own


def test_bad_catalogue_names_file_line_item_field(tmp_path: Path) -> None:
    own = _copy(tmp_path)
    text = (own / "catalogue.yaml").read_text(encoding="utf-8")
    (own / "catalogue.yaml").write_text(
        text.replace("promised_days: 3\n", "promised_days: 99\n", 1)
    )
    with pytest.raises(ConfigurationError) as caught:
        parse_catalogue(own / "catalogue.yaml", DEPTS)
    msg = caught.value.message
    assert "catalogue.yaml:" in msg and "MZJ-GLJT-01" in msg and "statutory_days" in msg
    (own / "catalogue.yaml").write_text(text.replace("department: MZJ", "department: XYZ", 1))
    with pytest.raises(ConfigurationError) as caught:
        parse_catalogue(own / "catalogue.yaml", DEPTS)
    assert "department: 'XYZ' is not in departments.yaml" in caught.value.message


def test_bad_rule_is_refused_with_rule_and_line(tmp_path: Path) -> None:
    own = _copy(tmp_path)
    path = own / "rules" / "MZJ-GLJT-01.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("allowance_count == 0", "pension_count == 0"))
    cat = parse_catalogue(own / "catalogue.yaml", DEPTS)
    with pytest.raises(ConfigurationError) as caught:
        RuleBook(own / "rules", cat)
    msg = caught.value.message
    lines = path.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "id: not_twice" in text)
    assert f"MZJ-GLJT-01.yaml:{line}: rule 'not_twice'" in msg
    assert "unknown input 'pension_count'" in msg
    path.write_text(text.replace("allowance_count == 0", "allowance_count == "))
    with pytest.raises(ConfigurationError) as caught:
        RuleBook(own / "rules", cat)
    assert "expected a value" in caught.value.message
    # and start-up refuses it through the city's taxonomy directory
    settings = Settings(data_dir=tmp_path / "d", taxonomy_dir=own.parent)
    with pytest.raises(ConfigurationError):
        library(settings)


def test_dated_versions_decide_by_the_application_date() -> None:
    lib = library()
    item = lib.catalogue.get("MZJ-GLJT-01")
    values = {"birth_date": "1942-01-15", "hukou_address": "示范市东城区", "allowance_count": 0,
              "bank_card": "6222020200112233445"}  # fmt: skip
    old = lib.rulebook.require(item.code, dt.date(2024, 6, 1))
    new = lib.rulebook.require(item.code, dt.date(2026, 6, 1))
    assert (old.version, new.version) == ("2023.1", "2025.1")
    assert (
        decide(old, on=dt.date(2024, 6, 1), values=values, sources={}, item=item).decision
        == "rejected"
    )
    assert (
        decide(new, on=dt.date(2026, 6, 1), values=values, sources={}, item=item).decision
        == "approved"
    )
