"""Quality rules: declared by API or YAML, validated, run on load and on demand."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from citybase.datahub.models import Dataset, DatasetVersion
from citybase.datahub.rules import parse_rules_yaml
from citybase.errors import ValidationFailed
from tests.datahub.conftest import RESIDENTS_CSV, Actor, create, upload

YAML = """
rules:
  - kind: not_null
    column: 姓名
    blocking: true
  - kind: range
    column: 年龄
    params: {min: 0, max: 60}
  - name: 身份证校验
    kind: checksum
    column: 公民身份号码
    params: {scheme: gb11643}
  - kind: freshness
"""


def _put_yaml(client: TestClient, who: Actor, name: str, text: str):  # type: ignore[no-untyped-def]
    return client.put(
        f"/api/datahub/datasets/{name}/rules",
        content=text.encode(),
        headers={**who.headers, "Content-Type": "application/yaml"},
    )


def test_yaml_rules_run_on_load_and_report_per_rule(client: TestClient, steward: Actor) -> None:
    create(client, steward, "dha-q")
    r = _put_yaml(client, steward, "dha-q", YAML)
    assert r.status_code == 200, r.text
    assert [x["name"] for x in r.json()["rules"]] == [
        "not_null:姓名",
        "range:年龄",
        "身份证校验",
        "freshness",
    ]
    load = upload(client, steward, "dha-q", RESIDENTS_CSV)
    assert load.status_code == 201, load.text
    report = load.json()["version"]["quality"]
    by = {x["rule"]["name"]: x for x in report["results"]}
    assert by["range:年龄"]["failed"] == 2 and by["range:年龄"]["score"] < 1
    assert {s["年龄"] for s in by["range:年龄"]["samples"]} == {74}
    assert by["身份证校验"]["failed"] == 0
    assert by["freshness"]["failed"] == 0 and "fresh" in by["freshness"]["message"]
    assert 0 < report["score"] < 1
    q = client.get("/api/datahub/datasets/dha-q/quality", headers=steward.headers).json()
    assert q["version"] == 1 and q["report"]["score"] == report["score"]


def test_rule_errors_name_the_rule_and_what_to_fix(client: TestClient, steward: Actor) -> None:
    create(client, steward, "dha-r")
    assert upload(client, steward, "dha-r", RESIDENTS_CSV).status_code == 201
    cases = [
        ("rules:\n  - kind: sometimes\n    column: 姓名\n", "rules[1].kind"),
        ("rules:\n  - kind: not_null\n    column: 电话\n", "rules[1].column"),
        (
            "rules:\n  - kind: regex\n    column: 姓名\n    params: {pattern: '(['}\n",
            "rules[1].params.pattern",
        ),
        (
            "rules:\n  - kind: reference\n    column: 姓名\n"
            "    params: {dataset: nowhere, column: x}\n",
            "rules[1].params.dataset",
        ),
        (
            "rules:\n  - kind: checksum\n    column: 姓名\n    params: {scheme: md5}\n",
            "rules[1].params.scheme",
        ),
        ("rules: [oops", "rules"),
    ]
    for text, field in cases:
        r = _put_yaml(client, steward, "dha-r", text)
        assert r.status_code == 422, text
        assert r.json()["error"]["field"] == field, (text, r.json())
    r = _put_yaml(client, steward, "dha-r", "rules:\n  - kind: not_null\n    column: 电话\n")
    assert "姓名" in r.json()["error"]["message"]  # lists the columns there are


def test_irregular_dataset_needs_an_explicit_freshness_limit(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "dha-irr", update_frequency="irregular")
    r = _put_yaml(client, steward, "dha-irr", "rules:\n  - kind: freshness\n")
    assert r.status_code == 422 and "max_age_days" in r.json()["error"]["message"]
    r = _put_yaml(
        client, steward, "dha-irr", "rules:\n  - kind: freshness\n    params: {max_age_days: 10}\n"
    )
    assert r.status_code == 200


def test_on_demand_check_finds_a_stale_version(
    client: TestClient, session: Session, steward: Actor, officer: Actor
) -> None:
    create(client, steward, "dha-stale", update_frequency="monthly")
    _put_yaml(client, steward, "dha-stale", "rules:\n  - kind: freshness\n")
    assert upload(client, steward, "dha-stale", RESIDENTS_CSV).status_code == 201
    ds = session.scalar(select(Dataset).where(Dataset.name == "dha-stale"))
    assert ds is not None
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=45)
    session.execute(
        update(DatasetVersion).where(DatasetVersion.dataset_id == ds.id).values(loaded_at=long_ago)
    )
    session.commit()
    r = client.post("/api/datahub/datasets/dha-stale/quality", headers=steward.headers)
    assert r.status_code == 200, r.text
    (fresh,) = r.json()["report"]["results"]
    assert fresh["failed"] == 1 and "too old" in fresh["message"] and "32 days" in fresh["message"]
    assert (
        client.get("/api/datahub/datasets/dha-stale", headers=steward.headers).json()[
            "quality_score"
        ]
        == 0.0
    )
    # running checks is for the owning department's stewards
    assert (
        client.post("/api/datahub/datasets/dha-stale/quality", headers=officer.headers).status_code
        == 403
    )


def test_failing_samples_are_hidden_from_those_who_may_not_read_rows(
    client: TestClient, steward: Actor, officer: Actor
) -> None:
    create(client, steward, "dha-hidden")
    _put_yaml(
        client,
        steward,
        "dha-hidden",
        "rules:\n  - kind: range\n    column: 年龄\n    params: {max: 50}\n",
    )
    assert upload(client, steward, "dha-hidden", RESIDENTS_CSV).status_code == 201
    own = client.get("/api/datahub/datasets/dha-hidden/quality", headers=steward.headers).json()
    other = client.get("/api/datahub/datasets/dha-hidden/quality", headers=officer.headers).json()
    assert own["report"]["results"][0]["samples"]
    assert other["report"]["results"][0]["samples"] == []
    assert other["report"]["results"][0]["failed"] == 2
    profile = client.get("/api/datahub/datasets/dha-hidden/profile", headers=officer.headers).json()
    assert all(p["min"] is None and p["top_values"] == [] for p in profile)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_rules_yaml_parser_accepts_or_names_the_problem(text: str) -> None:
    try:
        rules = parse_rules_yaml(text)
    except ValidationFailed as exc:
        assert exc.field is not None and exc.field.startswith("rules")
        assert exc.message
    else:
        assert isinstance(rules, list)
