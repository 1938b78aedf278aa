"""Classification on every load, steward decisions, de-identified extracts, the release gate."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.identifiers.idcard import generate_id_number
from tests.datahub.conftest import Actor, create, dataset_body, upload

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def people_csv(n: int = 400, seed: int = 7) -> bytes:
    """A register of ``n`` people: valid ID numbers, names, mobiles, addresses, district."""
    rng = np.random.default_rng(seed)
    lines = ["id_number,name,mobile,address,sex,birth_date,district_code"]
    districts = ["320102", "320104", "320105", "320106"]
    for i in range(n):
        born = dt.date(1950, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 59)))
        district = districts[i % 4]
        idn = generate_id_number(rng, district, born)
        sex = "男" if int(idn[16]) % 2 else "女"
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[int(rng.integers(0, len(GIVEN)))]
        mobile = f"1{int(rng.integers(3, 10))}{int(rng.integers(0, 10**9)):09d}"
        address = f"示范市东城区和平路{i % 90 + 1}号{i % 7 + 1}栋{i % 30 + 1}室"
        lines.append(f"{idn},{name},{mobile},{address},{sex},{born.isoformat()},{district}")
    return ("\n".join(lines) + "\n").encode()


SCHOOLS_CSV = (
    "学校名称,地址,经度,纬度\n"
    + "".join(
        f"示范市第{i}中学,示范市东城区和平路{i}号,{118.7 + i / 1000:.6f},{32.05 + i / 1000:.6f}\n"
        for i in range(1, 41)
    )
).encode()


def classification(client: TestClient, who: Actor, name: str) -> dict[str, object]:
    r = client.get(f"/api/datahub/datasets/{name}/classification", headers=who.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def cols(report: dict[str, object]) -> dict[str, dict[str, object]]:
    return {c["name"]: c for c in report["columns"]}  # type: ignore[attr-defined]


def test_load_detects_and_grades_personal_columns_and_masks_their_profile(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "dhp-people")
    r = upload(client, steward, "dhp-people", people_csv())
    assert r.status_code == 201, r.text
    profile = {p["name"]: p for p in r.json()["version"]["profile"]}
    shown = json.dumps(profile["id_number"], ensure_ascii=False)
    first_id = people_csv().decode().splitlines()[1].split(",")[0]
    assert first_id not in shown  # top values of personal columns are masked from the start
    report = classification(client, steward, "dhp-people")
    c = cols(report)
    assert c["id_number"]["pii_type"] == "CN_ID_CARD" and c["id_number"]["sensitive"] is True
    assert c["id_number"]["grade"] == "general-4" and c["id_number"]["source"] == "detected"
    assert c["mobile"]["pii_type"] == "CN_MOBILE"
    assert c["address"]["pii_type"] == "ADDRESS"
    assert c["sex"]["pii_type"] is None and c["district_code"]["pii_type"] is None
    assert report["grade"] == "general-4" and report["grade_label"] == "一般-4级"


def test_places_addresses_are_not_personal_information(client: TestClient, steward: Actor) -> None:
    create(client, steward, "dhp-schools", open_type="unconditional", licence="cc-by-4.0")
    assert upload(client, steward, "dhp-schools", SCHOOLS_CSV).status_code == 201
    report = classification(client, steward, "dhp-schools")
    c = cols(report)
    assert c["地址"]["pii_type"] is None and c["经度"]["pii_type"] is None
    assert report["grade"] == "general-1" and report["held_back"] is False
    # still open to everyone: the CKAN catalogue lists it
    names = client.get("/api/3/action/package_list").json()["result"]
    assert "dhp-schools" in names


def test_steward_override_needs_a_reason_is_audited_and_survives_the_next_load(
    client: TestClient, session: Session, steward: Actor
) -> None:
    create(client, steward, "dhp-override")
    upload(client, steward, "dhp-override", people_csv(60))
    url = "/api/datahub/datasets/dhp-override/columns/address/classification"
    r = client.put(url, json={"pii_type": None, "reason": "x"}, headers=steward.headers)
    assert r.status_code == 422 and "reason" in r.text
    why = "地址为办事网点地址，非个人住址"
    r = client.put(url, json={"pii_type": None, "reason": why}, headers=steward.headers)
    assert r.status_code == 200, r.text
    assert cols(r.json())["address"]["pii_type"] is None
    assert cols(r.json())["address"]["source"] == "steward"
    assert upload(client, steward, "dhp-override", people_csv(60, seed=8)).status_code == 201
    c = cols(classification(client, steward, "dhp-override"))
    assert c["address"]["pii_type"] is None and c["address"]["reason"] == why
    assert c["id_number"]["pii_type"] == "CN_ID_CARD"  # the rest is still rescanned
    rec = session.scalar(
        select(AuditRecord).where(
            AuditRecord.action == "datahub.column.classify",
            AuditRecord.object_id == "dhp-override",
        )
    )
    assert rec is not None and why in rec.detail


def test_only_the_owning_steward_designates_important_and_it_wins(
    client: TestClient, steward: Actor, other_steward: Actor, officer: Actor
) -> None:
    create(client, steward, "dhp-grade")
    upload(client, steward, "dhp-grade", people_csv(40))
    body = {"grade": "important", "reason": "全市人口基础数据，认定为重要数据"}
    url = "/api/datahub/datasets/dhp-grade/grade"
    assert client.put(url, json=body, headers=other_steward.headers).status_code == 403
    assert client.put(url, json=body, headers=officer.headers).status_code == 403
    r = client.put(url, json=body, headers=steward.headers)
    assert r.status_code == 200 and r.json()["grade"] == "important"
    assert r.json()["grade_label"] == "重要"
    assert r.json()["steward_grade_label"] == "重要"
    # designating a low general level does not lower a dataset that holds ID numbers
    low = {"grade": "general-1", "reason": "测试：指定为一般1级"}
    assert client.put(url, json=low, headers=steward.headers).json()["grade"] == "general-4"
    bad = {"grade": "secret", "reason": "测试：错误的级别"}
    r = client.put(url, json=bad, headers=steward.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "grade"


DEID = {
    "columns": {
        "id_number": [{"op": "suppress"}],
        "name": [{"op": "suppress"}],
        "mobile": [{"op": "suppress"}],
        "address": [{"op": "suppress"}],
        "birth_date": [{"op": "generalise", "kind": "date", "to": "decade"}],
    }
}


def test_raw_release_is_blocked_and_a_deidentified_extract_passes(
    client: TestClient, steward: Actor, data_dir: object
) -> None:
    create(client, steward, "dhp-raw")
    upload(client, steward, "dhp-raw", people_csv(1000))
    qis = ["sex", "birth_date", "district_code"]
    r = client.post(
        "/api/datahub/datasets/dhp-raw/releases",
        json={"quasi_identifiers": qis},
        headers=steward.headers,
    )
    assert r.status_code == 201, r.text
    raw = r.json()
    assert raw["passed"] is False
    text = " ".join(raw["reasons"])
    assert "id_number" in text and "k = 1" in text
    assert raw["report"]["risk"]["share_unique"] > 0.5
    ds = client.get("/api/datahub/datasets/dhp-raw", headers=steward.headers).json()
    assert ds["open_type"] == "not_open"

    r = client.post(
        "/api/datahub/datasets/dhp-raw/deidentify",
        json={"into": "dhp-raw-open", "policy": DEID},
        headers=steward.headers,
    )
    assert r.status_code == 201, r.text
    extract = client.get("/api/datahub/datasets/dhp-raw-open", headers=steward.headers).json()
    assert extract["open_type"] == "not_open"
    names = [c["name"] for c in r.json()["version"]["columns"]]
    assert "id_number" not in names and "name" not in names and "sex" in names
    lineage = client.get("/api/datahub/datasets/dhp-raw-open/lineage", headers=steward.headers)
    assert lineage.status_code == 200 and "dhp-raw" in lineage.text
    assert "de-identification policy" in lineage.text

    r = client.post(
        "/api/datahub/datasets/dhp-raw-open/releases",
        json={"quasi_identifiers": qis},
        headers=steward.headers,
    )
    rel = r.json()
    assert rel["passed"] is True, rel["reasons"]
    assert rel["report"]["risk"]["smallest_class"] >= 5
    assert rel["source"] == "dhp-raw" and rel["policy_fingerprint"]
    assert "dhp-raw-open" in client.get("/api/3/action/package_list").json()["result"]
    assert "dhp-raw" not in client.get("/api/3/action/package_list").json()["result"]
    rows = client.get("/api/datahub/datasets/dhp-raw-open/rows?limit=5")  # anonymous
    assert rows.status_code == 200 and len(rows.json()["rows"]) == 5
    # the open catalogue links the release back to its source and policy
    pkg = client.get("/api/3/action/package_show?id=dhp-raw-open").json()["result"]
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    # licences add up: the extract inherited 政务内部共享使用 and is opened under an open one
    assert pkg["license_id"] == "city-open" and pkg["isopen"] is True
    assert client.get("/open/dataset/dhp-raw-open").status_code == 200
    assert extras["derived_from"] == "dhp-raw"
    assert extras["deidentification_policy"] == rel["policy_fingerprint"]
    ttl = client.get("/catalog.ttl").text
    assert "prov:wasDerivedFrom" in ttl and "/dataset/dhp-raw>" in ttl


def test_fine_quasi_identifiers_block_the_release_with_k(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "dhp-fine")
    upload(client, steward, "dhp-fine", people_csv(200))
    policy = {"columns": {k: v for k, v in DEID["columns"].items() if k != "birth_date"}}
    client.post(
        "/api/datahub/datasets/dhp-fine/deidentify",
        json={"into": "dhp-fine-open", "policy": policy},
        headers=steward.headers,
    )
    r = client.post(
        "/api/datahub/datasets/dhp-fine-open/releases",
        json={"quasi_identifiers": ["sex", "birth_date", "district_code"]},
        headers=steward.headers,
    )
    rel = r.json()
    assert rel["passed"] is False and any("below the required 5" in x for x in rel["reasons"])
    assert "dhp-fine-open" not in client.get("/api/3/action/package_list").json()["result"]


def test_a_personal_dataset_cannot_be_opened_by_editing_its_open_type(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "dhp-edit")
    upload(client, steward, "dhp-edit", people_csv(30))
    r = client.patch(
        "/api/datahub/datasets/dhp-edit",
        json={"open_type": "unconditional", "licence": "cc-by-4.0"},
        headers=steward.headers,
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "open_type" and "release" in r.json()["error"]["message"]


def test_a_new_version_that_fails_the_gate_is_held_back_from_the_open_catalog(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "dhp-again", open_type="unconditional", licence="cc-by-4.0")
    table = "sex,birth_decade,district_code\n" + "".join(
        f"{'男' if i % 2 else '女'},{1950 + 10 * (i % 3)}-{1959 + 10 * (i % 3)},320102\n"
        for i in range(60)
    )
    assert upload(client, steward, "dhp-again", table.encode()).status_code == 201
    # no personal data: open at once
    assert "dhp-again" in client.get("/api/3/action/package_list").json()["result"]
    # a new version carrying ID numbers is held back until it is released again
    r = upload(client, steward, "dhp-again", people_csv(30))
    assert r.status_code == 201
    assert any("held back" in w for w in r.json()["warnings"]), r.json()["warnings"]
    report = classification(client, steward, "dhp-again")
    assert report["held_back"] is True
    assert "dhp-again" not in client.get("/api/3/action/package_list").json()["result"]
    assert client.get("/api/datahub/datasets/dhp-again/rows").status_code in (401, 403, 404)


def test_decryption_is_for_the_owning_steward_and_audited_both_ways(
    client: TestClient, session: Session, steward: Actor, officer: Actor, data_dir: object
) -> None:
    create(client, steward, "dhp-enc")
    upload(client, steward, "dhp-enc", people_csv(20))
    policy = {"columns": {"id_number": [{"op": "encrypt"}]}}
    r = client.post(
        "/api/datahub/datasets/dhp-enc/deidentify",
        json={"into": "dhp-enc-x", "policy": policy},
        headers=steward.headers,
    )
    assert r.status_code == 201, r.text
    rows = client.get(
        "/api/datahub/datasets/dhp-enc-x/rows?limit=3&columns=id_number", headers=steward.headers
    ).json()["rows"]
    tokens = [row["id_number"] for row in rows]
    assert all(t.startswith("enc:") for t in tokens)
    body = {"column": "id_number", "values": tokens, "purpose": "核实申请人身份"}
    refused = client.post(
        "/api/datahub/datasets/dhp-enc-x/decrypt", json=body, headers=officer.headers
    )
    assert refused.status_code == 403
    ok = client.post("/api/datahub/datasets/dhp-enc-x/decrypt", json=body, headers=steward.headers)
    assert ok.status_code == 200, ok.text
    originals = set(people_csv(20).decode().split())
    assert all(any(v in line for line in originals) for v in ok.json()["values"])
    actions = set(
        session.scalars(
            select(AuditRecord.action).where(AuditRecord.object_id == "dhp-enc-x")
        ).all()
    )
    assert {"datahub.decrypt", "datahub.decrypt.refused"} <= actions


def test_scan_cli_writes_the_documented_json(tmp_path: object) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from citybase.cli import app

    folder = Path(str(tmp_path))
    csv = folder / "people.csv"
    csv.write_bytes(people_csv(100))
    out = CliRunner().invoke(app, ["datahub", "scan", str(csv), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    by = {c["name"]: c for c in data["columns"]}
    assert by["id_number"]["pii_type"] == "CN_ID_CARD" and by["sex"]["pii_type"] is None
    assert {"name", "pii_type", "confidence", "hit_ratio", "grade"} <= set(by["mobile"])
    lines = '{"text": "市民王小明来电反映，电话13912345678"}\n'
    out = CliRunner().invoke(app, ["datahub", "redact-text"], input=lines)
    assert out.exit_code == 0, out.output
    rec = json.loads(out.output.splitlines()[0])
    assert "13912345678" not in rec["redacted"]
    assert {s["type"] for s in rec["spans"]} >= {"CN_MOBILE"}


def test_clearing_the_only_person_column_makes_addresses_places_again(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "dhp-licences")
    rows = "".join(
        f"示范市第{i}食品店,{SURNAMES[i % len(SURNAMES)]}{GIVEN[i % len(GIVEN)]},"
        f"示范市东城区和平路{i}号\n"
        for i in range(1, 61)
    )
    upload(client, steward, "dhp-licences", ("店名,法定代表人,经营场所\n" + rows).encode())
    c = cols(classification(client, steward, "dhp-licences"))
    assert c["法定代表人"]["pii_type"] == "PERSON_NAME" and c["经营场所"]["pii_type"] == "ADDRESS"
    r = client.put(
        "/api/datahub/datasets/dhp-licences/columns/法定代表人/classification",
        json={"pii_type": None, "reason": "依法公示的登记信息"},
        headers=steward.headers,
    )
    report = r.json()
    assert cols(report)["经营场所"]["pii_type"] is None and report["grade"] == "general-1"


def test_deidentify_suppresses_small_classes_within_the_limit(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "dhp-supp")
    upload(client, steward, "dhp-supp", people_csv(1000))
    qis = ["sex", "birth_date", "district_code"]
    policy = {
        "columns": {
            **DEID["columns"],
            "birth_date": [{"op": "generalise", "kind": "date", "to": "year"}],
        }
    }
    r = client.post(
        "/api/datahub/datasets/dhp-supp/deidentify",
        json={"into": "dhp-supp-x", "policy": policy, "k": 5, "quasi_identifiers": qis},
        headers=steward.headers,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "k"  # would suppress too much
    assert "more than the limit" in r.json()["error"]["message"]
    r = client.post(
        "/api/datahub/datasets/dhp-supp/deidentify",
        json={
            "into": "dhp-supp-x",
            "policy": DEID,
            "k": 10,
            "quasi_identifiers": qis,
            "max_suppression": 0.2,
        },
        headers=steward.headers,
    )
    assert r.status_code == 201, r.text
    kept = r.json()["version"]["row_count"]
    assert kept < 1000 and any("suppressed" in w for w in r.json()["warnings"])
    rel = client.post(
        "/api/datahub/datasets/dhp-supp-x/releases",
        json={"quasi_identifiers": qis},
        headers=steward.headers,
    ).json()
    assert rel["passed"] is True and rel["report"]["risk"]["smallest_class"] >= 10


def test_pseudonymised_ids_block_an_open_release(client: TestClient, steward: Actor) -> None:
    create(client, steward, "dhp-pseudo")
    upload(client, steward, "dhp-pseudo", people_csv(1000))
    columns = {**DEID["columns"], "id_number": [{"op": "pseudonymise"}]}
    r = client.post(
        "/api/datahub/datasets/dhp-pseudo/deidentify",
        json={"into": "dhp-pseudo-x", "policy": {"columns": columns}},
        headers=steward.headers,
    )
    assert r.status_code == 201, r.text
    rel = client.post(
        "/api/datahub/datasets/dhp-pseudo-x/releases",
        json={"quasi_identifiers": ["sex", "birth_date", "district_code"]},
        headers=steward.headers,
    ).json()
    assert rel["passed"] is False
    assert any("'id_number' holds pseudonyms" in x for x in rel["reasons"]), rel["reasons"]


def test_a_dataset_cannot_be_open_under_an_internal_licence(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "dhp-schools", theme="education")
    upload(client, steward, "dhp-schools", SCHOOLS_CSV)
    r = client.patch(
        "/api/datahub/datasets/dhp-schools",
        json={"open_type": "unconditional"},
        headers=steward.headers,
    )
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["field"] == "licence" and "不是开放许可" in err["message_zh"]
    r = client.patch(
        "/api/datahub/datasets/dhp-schools",
        json={"open_type": "unconditional", "licence": "city-open"},
        headers=steward.headers,
    )
    assert r.status_code == 200, r.text
    r = client.patch(
        "/api/datahub/datasets/dhp-schools",
        json={"licence": "gov-internal"},
        headers=steward.headers,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "licence"
    created = client.post(
        "/api/datahub/datasets",
        json={**dataset_body("dhp-bad"), "open_type": "unconditional"},
        headers=steward.headers,
    )
    assert created.status_code == 422 and created.json()["error"]["field"] == "licence"
