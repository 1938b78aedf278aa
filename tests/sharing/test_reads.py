"""Reading through the data API under a grant: columns, rows, de-identification, audit —
and nothing at all without an active grant."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.sharing.models import SharingGrant
from tests.sharing.conftest import LI, WANG, ZHANG, Actor, approve, file, granted

ROWS = "/api/datahub/datasets/{}/rows"


def _refused_without_rows(client: TestClient, who: Actor, name: str) -> list[str]:
    """Every read path answers 403 with an error and no rows; the messages."""
    messages = []
    for r in (
        client.get(ROWS.format(name), headers=who.headers),
        client.post(f"{ROWS.format(name)}/query", json={}, headers=who.headers),
        client.get(f"/api/datahub/datasets/{name}/download", headers=who.headers),
    ):
        assert r.status_code == 403, r.text
        assert "rows" not in r.json() and ZHANG not in r.text
        messages.append(r.json()["error"]["message"])
    return messages


def test_no_grant_reads_nothing(client: TestClient, residents: str, outsider: Actor) -> None:
    messages = _refused_without_rows(client, outsider, residents)
    assert "sharing request" in messages[0]


def test_expired_grant_reads_nothing_and_the_refusal_is_audited(
    client: TestClient, session: Session, residents: str, gaj: Actor, zsj: Actor
) -> None:
    gid = granted(client, gaj, zsj, residents)
    assert client.get(ROWS.format(residents), headers=zsj.headers).status_code == 200
    yesterday = dt.date.today() - dt.timedelta(days=1)
    session.execute(
        update(SharingGrant)
        .where(SharingGrant.id == gid)
        .values(valid_from=yesterday - dt.timedelta(days=30), valid_until=yesterday)
    )
    session.commit()
    messages = _refused_without_rows(client, zsj, residents)
    assert f"#{gid}" in messages[0] and "expired" in messages[0]
    refusals = session.scalars(
        select(AuditRecord).where(AuditRecord.action == "sharing.read.refused")
    ).all()
    assert refusals and json.loads(refusals[0].detail)["grant"] == gid


def test_revoked_grant_reads_nothing(
    client: TestClient, residents: str, gaj: Actor, zsj: Actor
) -> None:
    gid = granted(client, gaj, zsj, residents)
    r = client.post(
        f"/api/sharing/grants/{gid}/revoke", json={"reason": "项目结束"}, headers=gaj.headers
    )
    assert r.status_code == 200
    messages = _refused_without_rows(client, zsj, residents)
    assert "revoked" in messages[0]


def test_projection_is_the_grant(
    client: TestClient, residents: str, gaj: Actor, zsj: Actor
) -> None:
    granted(client, gaj, zsj, residents, columns=["公民身份号码", "区"])
    body = client.get(ROWS.format(residents), headers=zsj.headers).json()
    assert [c["name"] for c in body["columns"]] == ["公民身份号码", "区"]
    assert all(set(row) == {"公民身份号码", "区"} for row in body["rows"])
    r = client.get(ROWS.format(residents), params={"columns": "姓名"}, headers=zsj.headers)
    assert r.status_code == 403 and "'姓名'" in r.json()["error"]["message"]
    r = client.get(ROWS.format(residents), params={"filter": "年龄:ge:18"}, headers=zsj.headers)
    assert r.status_code == 403 and "'年龄'" in r.json()["error"]["message"]
    csv_text = client.get(
        f"/api/datahub/datasets/{residents}/download", headers=zsj.headers
    ).content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(csv_text))) == ["公民身份号码", "区"]


def test_row_filter_is_anded_with_the_callers(
    client: TestClient, residents: str, gaj: Actor, zsj: Actor
) -> None:
    granted(
        client,
        gaj,
        zsj,
        residents,
        row_filter=[{"column": "区", "op": "eq", "value": "东城区"}],
    )
    body = client.get(ROWS.format(residents), headers=zsj.headers).json()
    assert body["total"] == 2 and {r["区"] for r in body["rows"]} == {"东城区"}
    # the caller's own filter narrows further, never widens
    wider = client.get(
        ROWS.format(residents), params={"filter": "区:eq:西山区"}, headers=zsj.headers
    ).json()
    assert wider["total"] == 0 and wider["rows"] == []
    download = client.get(
        f"/api/datahub/datasets/{residents}/download",
        params={"format": "json"},
        headers=zsj.headers,
    ).json()
    assert len(download) == 2 and WANG not in json.dumps(download)
    nothing = client.get(
        f"/api/datahub/datasets/{residents}/download",
        params={"filter": "区:eq:西山区"},
        headers=zsj.headers,
    )
    assert nothing.status_code == 200
    assert nothing.content.decode("utf-8-sig").splitlines()[0].startswith("公民身份号码,姓名")
    assert len(nothing.content.decode("utf-8-sig").splitlines()) == 1


def test_ids_are_pseudonymised_and_join_across_datasets(
    client: TestClient, residents: str, insurance: str, gaj: Actor, rsj: Actor, zsj: Actor
) -> None:
    granted(client, gaj, zsj, residents)
    granted(client, rsj, zsj, insurance)
    people = client.get(ROWS.format(residents), headers=zsj.headers).json()["rows"]
    insured = client.get(ROWS.format(insurance), headers=zsj.headers).json()["rows"]
    tokens = {r["公民身份号码"]: r for r in people}
    for clear in (ZHANG, LI, WANG):
        assert clear not in tokens
    assert all(t.startswith("k1:") and len(t) == 3 + 16 for t in tokens)
    joined = [tokens[r["身份证号"]] for r in insured if r["身份证号"] in tokens]
    assert len(joined) == 2  # 张三 and 李四 are in both datasets
    assert {p["姓名"] for p in joined} == {"张*", "李*"}  # names masked, first character kept
    assert {p["手机号码"] for p in joined} == {"138****5678", "139****5678"}
    # the same person gets the same token in a download as in a page
    download = client.get(
        f"/api/datahub/datasets/{insurance}/download",
        params={"format": "json"},
        headers=zsj.headers,
    ).json()
    assert {r["身份证号"] for r in download} == {r["身份证号"] for r in insured}
    owner = client.get(ROWS.format(residents), headers=gaj.headers).json()["rows"]
    assert {r["公民身份号码"] for r in owner} == {ZHANG, LI, WANG}  # the owner reads in clear


def test_deidentified_columns_cannot_be_probed(
    client: TestClient, residents: str, gaj: Actor, zsj: Actor
) -> None:
    granted(client, gaj, zsj, residents)
    probe = client.get(
        ROWS.format(residents), params={"filter": f"公民身份号码:eq:{ZHANG}"}, headers=zsj.headers
    )
    assert probe.status_code == 403 and "de-identified" in probe.json()["error"]["message"]
    assert ZHANG not in probe.text
    sort = client.get(ROWS.format(residents), params={"sort": "姓名"}, headers=zsj.headers)
    assert sort.status_code == 403
    search = client.get(ROWS.format(residents), params={"q": "张"}, headers=zsj.headers)
    assert search.status_code == 422 and search.json()["error"]["field"] == "q"


def test_clear_values_only_when_the_owner_approves_them(
    client: TestClient, residents: str, gaj: Actor, zsj: Actor
) -> None:
    ask = {"clear_columns": {"姓名": "窗口核对申请人身份"}}
    first = file(client, zsj, residents, **ask).json()
    grant = approve(client, gaj, first["id"], clear_columns=[]).json()
    assert grant["clear_columns"] == [] and "姓名" in grant["deid_policy"]
    names = {
        r["姓名"] for r in client.get(ROWS.format(residents), headers=zsj.headers).json()["rows"]
    }
    assert names == {"张*", "李*", "王*"}
    second = file(client, zsj, residents, **ask).json()
    grant = approve(client, gaj, second["id"], clear_columns=["姓名"]).json()
    assert grant["clear_columns"] == ["姓名"] and "姓名" not in grant["deid_policy"]
    rows = client.get(ROWS.format(residents), headers=zsj.headers).json()["rows"]
    assert {r["姓名"] for r in rows} == {"张三", "李四", "王五"}
    assert ZHANG not in {r["公民身份号码"] for r in rows}  # the ID stays pseudonymised
    not_asked = file(client, zsj, residents, **ask).json()
    r = approve(client, gaj, not_asked["id"], clear_columns=["公民身份号码"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "clear_columns"


def test_every_read_is_audited_with_grant_and_purpose(
    client: TestClient, session: Session, residents: str, gaj: Actor, zsj: Actor
) -> None:
    gid = granted(client, gaj, zsj, residents)
    client.get(ROWS.format(residents), headers=zsj.headers)
    client.get(ROWS.format(residents), params={"purpose": "核对第三季度名单"}, headers=zsj.headers)
    client.get(f"/api/datahub/datasets/{residents}/download", headers=zsj.headers)
    records = session.scalars(
        select(AuditRecord)
        .where(AuditRecord.object_id == residents, AuditRecord.action.like("datahub.rows.%"))
        .where(AuditRecord.actor_id == zsj.user.id)
        .order_by(AuditRecord.id)
    ).all()
    assert [r.purpose for r in records] == [
        "社保参保覆盖分析",
        "核对第三季度名单",
        "社保参保覆盖分析",
    ]
    assert all(json.loads(r.detail)["grant"] == gid for r in records)
    assert records[-1].action == "datahub.rows.download"
