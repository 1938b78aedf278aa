"""Rollback: an earlier version becomes current again (API), audited, release re-checked,
its quality checked now; and one quality figure on the API, the catalogue page and pages.

SQLite and PostgreSQL through real HTTP. The CLI side is in test_cli_guards.py.
"""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.datahub.models import Dataset
from citybase.datahub.score import quality_percent, quality_text
from tests.datahub.conftest import Actor, create, upload

HTML = {"accept": "text/html"}


def stops(n: int, *, phones: bool = False, duplicates: int = 0) -> bytes:
    head = "站点编号,站点名称,日客流" + (",联系电话" if phones else "")
    lines = [head]
    for i in range(1, n + 1):
        number = f"BS{min(i, n - duplicates) if i > n - duplicates else i:05d}"
        row = f"{number},示范路{i}号站,{100 + i % 50}"
        if phones:
            row += f",139{(10_000_000 + i * 7919) % 100_000_000:08d}"
        lines.append(row)
    return ("\n".join(lines) + "\n").encode()


def _rules(client: TestClient, who: Actor, name: str, *, blocking: bool = False) -> None:
    body = {"rules": [{"kind": "unique", "column": "站点编号", "blocking": blocking}]}
    r = client.put(f"/api/datahub/datasets/{name}/rules", json=body, headers=who.headers)
    assert r.status_code == 200, r.text


def _ds(session: Session, name: str) -> Dataset:
    ds = session.scalar(select(Dataset).where(Dataset.name == name))
    assert ds is not None
    session.refresh(ds)
    return ds


def test_rollback_makes_an_earlier_version_current_and_is_audited(
    client: TestClient, session: Session, steward: Actor
) -> None:
    create(client, steward, "dha-roll", open_type="unconditional", licence="cc-by-4.0")
    _rules(client, steward, "dha-roll")
    assert upload(client, steward, "dha-roll", stops(1000, duplicates=2)).status_code == 201
    r = upload(client, steward, "dha-roll", stops(1200, phones=True))
    assert r.status_code == 201, r.text
    assert any("held back" in w for w in r.json()["warnings"])  # personal: the gate holds it
    assert _ds(session, "dha-roll").held_back is True

    r = client.post(
        "/api/datahub/datasets/dha-roll/rollback", json={"version": 1}, headers=steward.headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["current_version"], body["previous_version"], body["rows"]) == (1, 2, 1000)
    # v1 has no personal column: the release gate lets it be open again
    assert body["held_back"] is False and _ds(session, "dha-roll").held_back is False
    assert body["quality_text"] == "99.7 %"  # the unique rule, run on v1 now: 3 of 1,000
    ds = client.get("/api/datahub/datasets/dha-roll", headers=steward.headers).json()
    assert (ds["current_version"], ds["row_count"], ds["quality_text"]) == (1, 1000, "99.7 %")
    assert "联系电话" not in [c["name"] for c in ds["columns"]]
    versions = client.get("/api/datahub/datasets/dha-roll/versions", headers=steward.headers)
    assert [(v["number"], v["current"]) for v in versions.json()] == [(2, False), (1, True)]
    rows = client.get("/api/datahub/datasets/dha-roll/rows?limit=1", headers=steward.headers)
    assert rows.status_code == 200 and "联系电话" not in rows.json()["rows"][0]
    [audit] = session.scalars(
        select(AuditRecord).where(AuditRecord.action == "datahub.version.rollback")
    ).all()
    detail = json.loads(audit.detail) if isinstance(audit.detail, str) else audit.detail
    assert audit.actor_id == steward.user.id and audit.object_id == "dha-roll"
    assert (detail["from"], detail["to"], detail["held_back"]) == (2, 1, False)

    # forward again to v2: held back again, because the gate says so
    r = client.post(
        "/api/datahub/datasets/dha-roll/rollback", json={"version": 2}, headers=steward.headers
    )
    assert r.status_code == 200 and r.json()["held_back"] is True


def test_rollback_refusals(
    client: TestClient, steward: Actor, officer: Actor, other_steward: Actor
) -> None:
    create(client, steward, "dha-roll-no")
    assert upload(client, steward, "dha-roll-no", stops(10, duplicates=2)).status_code == 201
    assert upload(client, steward, "dha-roll-no", stops(10)).status_code == 201
    url = "/api/datahub/datasets/dha-roll-no/rollback"
    assert client.post(url, json={"version": 1}).status_code == 401
    assert client.post(url, json={"version": 1}, headers=officer.headers).status_code == 403
    assert client.post(url, json={"version": 1}, headers=other_steward.headers).status_code == 403
    r = client.post(url, json={"version": 2}, headers=steward.headers)
    assert r.status_code == 409 and r.json()["error"]["field"] == "version"
    r = client.post(url, json={"version": 7}, headers=steward.headers)
    assert r.status_code == 404 and "no version 7" in r.json()["error"]["message"]
    assert client.post(url, json={"version": 0}, headers=steward.headers).status_code == 422
    # a blocking rule v1 fails: the rollback is refused with the report, v2 stays current
    _rules(client, steward, "dha-roll-no", blocking=True)
    r = client.post(url, json={"version": 1}, headers=steward.headers)
    assert r.status_code == 422, r.text
    assert "Rollback to version 1 refused" in r.json()["error"]["message"]
    assert r.json()["report"]["results"][0]["failed"] == 3
    ds = client.get("/api/datahub/datasets/dha-roll-no", headers=steward.headers).json()
    assert ds["current_version"] == 2


def test_rollback_from_the_dataset_page(
    client: TestClient, session: Session, steward: Actor
) -> None:
    create(client, steward, "dha-roll-page")
    assert upload(client, steward, "dha-roll-page", stops(30)).status_code == 201
    assert upload(client, steward, "dha-roll-page", stops(40)).status_code == 201
    page = client.get("/datahub/datasets/dha-roll-page", headers={**HTML, **steward.headers})
    assert 'data-testid="rollback-1"' in page.text and 'data-testid="rollback-2"' not in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post(
        "/datahub/datasets/dha-roll-page/rollback",
        data={"version": "1", "csrf_token": csrf},
        headers={**HTML, **steward.headers},
        follow_redirects=True,
    )
    assert r.status_code == 200, r.text
    assert "v1 已重新设为当前版本" in r.text
    assert _ds(session, "dha-roll-page").current_version == 1


def test_one_quality_figure_on_api_catalogue_and_dataset_page(
    client: TestClient, steward: Actor
) -> None:
    """jtj-bus-stops read "质量 100 %" in the catalogue and 99.7 % in the CLI: never again."""
    create(client, steward, "jtj-bus-stops-q", title="公交站点（质量）")
    _rules(client, steward, "jtj-bus-stops-q")
    assert upload(client, steward, "jtj-bus-stops-q", stops(1000, duplicates=2)).status_code == 201
    api = client.get("/api/datahub/datasets/jtj-bus-stops-q", headers=steward.headers).json()
    assert api["quality_score"] == 0.997 and api["quality_text"] == "99.7 %"
    hits = client.get("/api/datahub/datasets?q=公交", headers=steward.headers).json()["hits"]
    assert [h["quality_text"] for h in hits if h["name"] == "jtj-bus-stops-q"] == ["99.7 %"]
    quality = client.get("/api/datahub/datasets/jtj-bus-stops-q/quality", headers=steward.headers)
    assert quality.json()["quality_text"] == "99.7 %"
    catalogue = client.get("/datahub?q=公交", headers={**HTML, **steward.headers}).text
    assert "质量 99.7 %" in catalogue and "质量 100" not in catalogue
    page = client.get("/datahub/datasets/jtj-bus-stops-q", headers={**HTML, **steward.headers})
    assert page.text.count("99.7 %") >= 3  # versions table, quality card, the rule's row


def test_the_figure_never_rounds_a_failure_up_to_100() -> None:
    assert quality_text(0.9996) == "99.9 %" and quality_percent(0.9996) == 99.9
    assert quality_text(0.997) == "99.7 %" and quality_text(0.999) == "99.9 %"
    assert quality_text(1.0) == "100.0 %" and quality_text(0.0) == "0.0 %"
    assert quality_text(None) == "—"
