"""Versioned loads: each upload is one immutable version; failures leave the previous one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.datahub.models import Dataset, DatasetVersion
from tests.datahub.conftest import RESIDENTS_CSV, Actor, create, upload


def _files(data_dir: Path) -> list[str]:
    root = data_dir / "datahub"
    return sorted(p.name for p in root.rglob("*") if p.is_file() and "uploads" not in p.parts)


def test_upload_makes_version_one_with_schema_checksum_profile(
    client: TestClient, session: Session, steward: Actor, data_dir: Path
) -> None:
    create(client, steward, "dha-load")
    r = upload(client, steward, "dha-load", RESIDENTS_CSV, "居民.csv")
    assert r.status_code == 201, r.text
    v = r.json()["version"]
    assert v["number"] == 1 and v["row_count"] == 3 and v["current"] is True
    assert [c["name"] for c in v["columns"]] == ["公民身份号码", "姓名", "户籍地址", "年龄"]
    assert {c["name"]: c["type"] for c in v["columns"]}["年龄"] == "integer"
    assert v["source_name"] == "居民.csv" and v["source_format"] == "csv"
    ds = session.scalar(select(Dataset).where(Dataset.name == "dha-load"))
    assert ds is not None and ds.current_version == 1 and ds.row_count == 3
    row = session.scalar(select(DatasetVersion).where(DatasetVersion.dataset_id == ds.id))
    assert row is not None
    stored = data_dir / row.file_path
    assert stored.name.startswith("v1-") and stored.suffix == ".parquet"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == v["checksum"]
    names = {p["name"]: p for p in v["profile"]}
    assert names["年龄"]["min"] == 44 and names["年龄"]["max"] == 74
    assert names["姓名"]["distinct_count"] == 3 and names["姓名"]["null_share"] == 0
    assert session.scalar(
        select(AuditRecord).where(
            AuditRecord.action == "datahub.version.load", AuditRecord.object_id == "dha-load"
        )
    )
    assert not [n for n in _files(data_dir) if n.startswith(".incoming")]


def test_gbk_csv_is_detected(client: TestClient, steward: Actor) -> None:
    create(client, steward, "dha-gbk")
    text = "站点编号,站点名称\nBS001,和平路站\nBS002,人民广场站\n"
    r = upload(client, steward, "dha-gbk", text.encode("gbk"), "stops.csv")
    assert r.status_code == 201, r.text
    v = r.json()["version"]
    assert v["encoding"] in ("gbk", "gb18030")
    top = {p["name"]: p for p in v["profile"]}["站点名称"]
    assert top["min"] == "人民广场站" or top["max"] == "和平路站"


def test_second_version_reports_schema_drift(client: TestClient, steward: Actor) -> None:
    create(client, steward, "dha-drift")
    assert upload(client, steward, "dha-drift", RESIDENTS_CSV).status_code == 201
    v2 = (
        "公民身份号码,姓名,户籍地址,年龄,手机号码\n"
        "11010519491231002X,张三,示范市东城区和平路1号,七十四,13800000000\n"
    ).encode()
    r = upload(client, steward, "dha-drift", v2, "v2.csv")
    assert r.status_code == 422  # 年龄 loses its type (docs/datahub.md: schema acceptance)
    assert r.json()["error"]["code"] == "schema_change_refused"
    r = upload(
        client, steward, "dha-drift", v2, "v2.csv", accept_schema="true", confirm_shrink="true"
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["previous_version"] == 1 and body["version"]["number"] == 2
    drift = body["version"]["drift"]
    assert [c["name"] for c in drift["added"]] == ["手机号码"]
    assert drift["type_changed"] == [["年龄", "integer", "string"]]
    versions = client.get(
        "/api/datahub/datasets/dha-drift/versions", headers=steward.headers
    ).json()
    assert [(v["number"], v["current"]) for v in versions] == [(2, True), (1, False)]
    v1 = client.get("/api/datahub/datasets/dha-drift/versions/1", headers=steward.headers).json()
    assert v1["row_count"] == 3 and v1["drift"]["added"] == []


def test_schema_override_keeps_leading_zeros(client: TestClient, steward: Actor) -> None:
    create(client, steward, "dha-zip")
    content = "邮编,人数\n010010,5\n210000,7\n".encode()
    r = upload(client, steward, "dha-zip", content, column_types=json.dumps({"邮编": "string"}))
    assert r.status_code == 201, r.text
    assert {c["name"]: c["type"] for c in r.json()["version"]["columns"]}["邮编"] == "string"
    r = upload(client, steward, "dha-zip", content, column_types="{not json")
    assert r.status_code == 422 and r.json()["error"]["field"] == "column_types"


def test_blocking_rule_rejects_load_and_keeps_previous_version(
    client: TestClient, session: Session, steward: Actor, data_dir: Path
) -> None:
    create(client, steward, "dha-block")
    assert upload(client, steward, "dha-block", RESIDENTS_CSV).status_code == 201
    rules = {
        "rules": [
            {"kind": "not_null", "column": "姓名", "blocking": True},
            {"kind": "checksum", "column": "公民身份号码", "params": {"scheme": "gb11643"}},
        ]
    }
    r = client.put("/api/datahub/datasets/dha-block/rules", json=rules, headers=steward.headers)
    assert r.status_code == 200, r.text
    assert [x["name"] for x in r.json()["rules"]] == ["not_null:姓名", "checksum:公民身份号码"]
    before = _files(data_dir)
    bad = (
        "公民身份号码,姓名,户籍地址,年龄\n"
        "11010519491231002X,,示范市东城区和平路1号,74\n"
        "110105194912310021,赵六,示范市东城区和平路3号,70\n"
    ).encode()
    r = upload(client, steward, "dha-block", bad)
    assert r.status_code == 422
    body = r.json()
    assert body["error"]["code"] == "load_rejected" and body["error"]["field"] == "姓名"
    assert (
        "not_null:姓名" in body["error"]["message"]
        and "version 1 stays current" in body["error"]["message"]
    )
    failing = {x["rule"]["name"]: x for x in body["report"]["results"]}
    assert failing["not_null:姓名"]["failed"] == 1
    assert failing["checksum:公民身份号码"]["failed"] == 1  # reported, not blocking
    ds = client.get("/api/datahub/datasets/dha-block", headers=steward.headers).json()
    assert ds["current_version"] == 1 and ds["row_count"] == 3
    assert _files(data_dir) == before


def test_unreadable_file_names_the_problem_and_writes_nothing(
    client: TestClient, steward: Actor, data_dir: Path
) -> None:
    create(client, steward, "dha-bad")
    r = upload(client, steward, "dha-bad", b"", "empty.csv")
    assert r.status_code == 422
    assert r.json()["error"]["message"]
    ragged = b"a,b\n1,2\n3,4\n5,6\n7,8\n9,10,11\n12,13\n"
    r = upload(client, steward, "dha-bad", ragged)
    assert r.status_code == 422
    assert "line 6" in r.json()["error"]["message"]  # the line is named
    r = upload(client, steward, "dha-bad", b'[{"a": 1}, {"a": 2,', "broken.json")
    assert r.status_code == 422 and "JSON" in r.json()["error"]["message"]
    ds = client.get("/api/datahub/datasets/dha-bad", headers=steward.headers).json()
    assert ds["current_version"] is None
    assert not [n for n in _files(data_dir) if n.endswith(".parquet")]


def test_only_the_owning_steward_may_load(
    client: TestClient, steward: Actor, other_steward: Actor, officer: Actor
) -> None:
    create(client, steward, "dha-own")
    r = upload(client, other_steward, "dha-own", RESIDENTS_CSV)
    assert r.status_code == 403
    r = upload(client, officer, "dha-own", RESIDENTS_CSV)
    assert r.status_code == 403
    r = client.post(
        "/api/datahub/datasets/dha-own/versions", files={"file": ("a.csv", RESIDENTS_CSV)}
    )
    assert r.status_code == 401
    r = upload(client, steward, "no-such-dataset", RESIDENTS_CSV)
    assert r.status_code == 404
