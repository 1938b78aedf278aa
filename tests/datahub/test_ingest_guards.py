"""Loads that would change a dataset's meaning are refused unless the steward accepts them.

Through the HTTP API on SQLite and PostgreSQL, with real files: UTF-8 and GBK CSV (with a
title line above the header), XLSX with an empty row. See docs/datahub.md, "Schema
acceptance" and "Shrink confirmation".
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.datahub import guards, service
from citybase.datahub.models import Dataset, DatasetVersion
from citybase.datahub.types import LoadConsent
from citybase.settings import Settings
from tests.datahub.conftest import Actor, create, upload

HEADER = "许可证编号,经营者名称,从业人数,有效期至"


def licences(n: int, *, bad: dict[int, tuple[str, str]] | None = None) -> str:
    """``n`` licence rows; ``bad`` replaces (column, value) in record ``i`` (1-based)."""
    bad = bad or {}
    lines = [HEADER]
    for i in range(1, n + 1):
        row = {
            "许可证编号": f"JY{i:014d}",
            "经营者名称": f"示范餐饮{i}号店",
            "从业人数": str(3 + i % 40),
            "有效期至": f"{2023 + i % 5}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        }
        if i in bad:
            column, value = bad[i]
            row[column] = value
        lines.append(",".join(row.values()))
    return "\n".join(lines) + "\n"


def _versions(session: Session, name: str) -> int:
    ds = session.scalar(select(Dataset).where(Dataset.name == name))
    assert ds is not None
    session.refresh(ds)
    return int(
        session.scalar(
            select(func.count())
            .select_from(DatasetVersion)
            .where(DatasetVersion.dataset_id == ds.id)
        )
        or 0
    )


def _audits(session: Session, action: str, name: str) -> list[AuditRecord]:
    return list(
        session.scalars(
            select(AuditRecord).where(AuditRecord.action == action, AuditRecord.object_id == name)
        )
    )


def _files(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "datahub").rglob("v*.parquet"))


def test_a_date_column_turning_to_text_is_refused_naming_the_line(
    client: TestClient, session: Session, steward: Actor, data_dir: Path
) -> None:
    create(client, steward, "scjg-food-licences")
    r = upload(client, steward, "scjg-food-licences", licences(1500).encode(), "v1.csv")
    assert r.status_code == 201, r.text
    assert {c["name"]: c["type"] for c in r.json()["version"]["columns"]}["有效期至"] == "date"
    files = _files(data_dir)
    v2 = licences(1500, bad={700: ("有效期至", "2022-13-45")}).encode()
    r = upload(client, steward, "scjg-food-licences", v2, "v2.csv")
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"]["code"] == "schema_change_refused"
    assert body["error"]["field"] == "有效期至"
    assert "line 701: '2022-13-45'" in body["error"]["message"]  # record 700, after the header
    [loss] = body["type_losses"]
    assert loss["old_type"] == "date" and loss["new_type"] == "string"
    assert loss["count"] == 1 and loss["values"] == [{"line": 701, "value": "2022-13-45"}]
    # all-or-nothing: no version row, no file, no load audited, v1 current
    assert _versions(session, "scjg-food-licences") == 1 and _files(data_dir) == files
    assert len(_audits(session, "datahub.version.load", "scjg-food-licences")) == 1
    ds = client.get("/api/datahub/datasets/scjg-food-licences", headers=steward.headers).json()
    assert ds["current_version"] == 1
    # the steward accepts the new schema explicitly: loaded, and the acceptance audited
    r = upload(client, steward, "scjg-food-licences", v2, "v2.csv", accept_schema="true")
    assert r.status_code == 201, r.text
    assert r.json()["version"]["drift"]["type_changed"] == [["有效期至", "date", "string"]]
    [accepted] = _audits(session, "datahub.version.accept_schema", "scjg-food-licences")
    assert accepted.actor_id == steward.user.id
    detail = json.loads(accepted.detail) if isinstance(accepted.detail, str) else accepted.detail
    assert detail["columns"] == [
        {"column": "有效期至", "from": "date", "to": "string", "values_not_fitting": 1}
    ]


def test_many_bad_values_are_counted_and_the_first_ten_named(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "dha-many")
    assert upload(client, steward, "dha-many", licences(300).encode()).status_code == 201
    bad = {i: ("从业人数", f"约{i}人") for i in range(5, 300, 12)}  # 25 records
    r = upload(client, steward, "dha-many", licences(300, bad=bad).encode())
    assert r.status_code == 422
    [loss] = r.json()["type_losses"]
    assert (loss["column"], loss["old_type"], loss["count"]) == ("从业人数", "integer", 25)
    assert [v["line"] for v in loss["values"]] == [i + 1 for i in sorted(bad)[:10]]
    assert loss["values"][0]["value"] == "约5人"
    assert "and 15 more" in r.json()["error"]["message"]


def test_gbk_csv_with_a_title_line_counts_lines_as_the_file_has_them(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "dha-gbk-title")
    title = "示范市食品经营许可证信息（2024年第二季度）\n"
    r = upload(client, steward, "dha-gbk-title", (title + licences(50)).encode("gbk"))
    assert r.status_code == 201, r.text
    assert r.json()["version"]["encoding"] in ("gbk", "gb18030")
    v2 = (title + licences(50, bad={9: ("有效期至", "长期有效")})).encode("gbk")
    r = upload(client, steward, "dha-gbk-title", v2)
    assert r.status_code == 422, r.text
    # line 1 title, line 2 header, record 9 on line 11
    assert r.json()["type_losses"][0]["values"] == [{"line": 11, "value": "长期有效"}]


def _xlsx(rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_xlsx_rows_are_the_sheets_own_row_numbers(client: TestClient, steward: Actor) -> None:
    create(client, steward, "dha-xlsx")
    head = ["站点编号", "日客流"]
    v1 = _xlsx([head] + [[f"BS{i:03d}", 100 + i] for i in range(1, 21)])
    assert upload(client, steward, "dha-xlsx", v1, "stops.xlsx").status_code == 201
    rows: list[list[Any]] = [head] + [[f"BS{i:03d}", 100 + i] for i in range(1, 11)]
    rows += [[None, None], [None, None]]  # two empty rows: skipped, but counted by Excel
    rows += [[f"BS{i:03d}", 100 + i] for i in range(11, 21)]
    rows[16][1] = "暂无"  # sheet row 17 (header 1, ten rows, two empty, then row 14 …)
    r = upload(client, steward, "dha-xlsx", _xlsx(rows), "stops.xlsx")
    assert r.status_code == 422, r.text
    [loss] = r.json()["type_losses"]
    assert loss["line_label"] == "row" and loss["values"] == [{"line": 17, "value": "暂无"}]


def test_an_integer_column_turning_fractional_is_a_type_loss(
    client: TestClient, steward: Actor
) -> None:
    create(client, steward, "dha-frac")
    assert upload(client, steward, "dha-frac", b"id,n\na,1\nb,2\nc,3\n").status_code == 201
    r = upload(client, steward, "dha-frac", b"id,n\na,1\nb,2.5\nc,3\n")
    assert r.status_code == 422
    [loss] = r.json()["type_losses"]
    assert (loss["old_type"], loss["new_type"]) == ("integer", "float")
    assert loss["values"] == [{"line": 3, "value": 2.5}]
    # widening a date to a timestamp, or text becoming a type, loses nothing
    assert guards.loses_type("date", "timestamp") is False
    assert guards.loses_type("string", "integer") is False
    assert guards.loses_type("boolean", "string") is True


def test_a_large_shrink_needs_confirmation(
    client: TestClient, session: Session, steward: Actor
) -> None:
    create(client, steward, "dha-shrink")
    assert upload(client, steward, "dha-shrink", licences(1500).encode()).status_code == 201
    r = upload(client, steward, "dha-shrink", licences(5).encode(), "five.csv")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "shrink_not_confirmed"
    assert r.json()["shrink"] == {"previous_rows": 1500, "rows": 5, "share": 0.5}
    assert "5 rows where version 1 has 1,500" in r.json()["error"]["message"]
    assert _versions(session, "dha-shrink") == 1
    # a smaller shrink (800 of 1,500) loads without a question
    r = upload(client, steward, "dha-shrink", licences(800).encode())
    assert r.status_code == 201, r.text
    assert not _audits(session, "datahub.version.confirm_shrink", "dha-shrink")
    r = upload(client, steward, "dha-shrink", licences(5).encode(), confirm_shrink="true")
    assert r.status_code == 201, r.text
    [confirmed] = _audits(session, "datahub.version.confirm_shrink", "dha-shrink")
    detail = json.loads(confirmed.detail) if isinstance(confirmed.detail, str) else confirmed.detail
    assert detail == {"version": 3, "previous_rows": 800, "rows": 5, "share": 0.5}


def test_the_shrink_share_is_a_setting(
    client: TestClient, session: Session, steward: Actor, settings: Settings, tmp_path: Path
) -> None:
    create(client, steward, "dha-share")
    assert upload(client, steward, "dha-share", licences(100).encode()).status_code == 201
    src = tmp_path / "eighty.csv"
    src.write_text(licences(80), encoding="utf-8")
    strict = settings.model_copy(update={"load_shrink_confirm_share": 0.1})
    kwargs: dict[str, Any] = {
        "db_session": session,
        "data_dir": settings.data_dir,
        "actor": steward.user,
        "name": "dha-share",
        "source": src,
    }
    try:
        service.load_version(**kwargs, settings=strict)
        raise AssertionError("a 20 % shrink passed a 10 % limit")
    except service.ShrinkRefused as err:
        assert err.shrink.share == 0.1 and err.field == "confirm_shrink"
    report = service.load_version(
        **kwargs, settings=strict, consent=LoadConsent(confirm_shrink=True)
    )
    assert report.version.row_count == 80
