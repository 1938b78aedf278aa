"""The quality-rule registry: every kind in the API's schema is one registered object."""

from __future__ import annotations

from typing import get_args

from fastapi.testclient import TestClient

from citybase.datahub.rule_kinds import KINDS, RuleKind
from citybase.datahub.types import RuleKind as RuleKindName


def test_every_declarable_kind_is_registered_with_both_descriptions() -> None:
    assert list(KINDS) == list(get_args(RuleKindName))
    for name, kind in KINDS.items():
        assert isinstance(kind, RuleKind) and kind.name == name
        zh, en = kind.description("zh-CN"), kind.description("en")
        assert zh and en and zh != en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), name  # written in Chinese
    assert [k for k, v in KINDS.items() if not v.needs_column] == ["freshness"]
    assert [k for k, v in KINDS.items() if v.checks_nulls] == ["not_null"]


def test_rule_kinds_are_listed_on_the_api(client: TestClient) -> None:
    r = client.get("/api/datahub/rule-kinds")
    assert r.status_code == 200
    kinds = {k["kind"]: k for k in r.json()}
    assert set(kinds) == set(KINDS)
    assert kinds["checksum"]["description_zh"].startswith("校验码")
    assert "Freshness" in kinds["freshness"]["description_en"]
