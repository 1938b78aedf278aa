"""``citybase ops import`` (GBK CSV, XLSX), ``ops indicators`` and ``ops route`` as an operator
runs them; an imported closed case can be reopened on the workflow."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.ops.history import bulk_closed
from citybase.ops.importer import read_history
from citybase.settings import Settings
from tests.core.test_cli import run
from tests.ops.conftest import IN_G1, OpsWorld, act

CSV = (
    "编号,受理时间,渠道,内容,类别,经度,纬度,派遣时间,处置时间,结案时间,返工次数,满意度\n"
    f"H1,2024-09-30 09:50,hotline,垃圾桶满了没人清运,SANITATION,{IN_G1[0]},{IN_G1[1]},"
    "2024-09-30 10:00,2024-10-09 10:00,2024-10-09 15:00,0,satisfied\n"
    f"H2,2024-10-11 16:50,web,楼道里贴满小广告,ADVERTISING,,,2024-10-11 17:00,"
    "2024-10-25 10:00,2024-10-25 11:00,1,dissatisfied\n"
)


def test_cli_import_gbk_and_indicators(tmp_path: Path) -> None:
    data = tmp_path / "city"
    assert run(["db", "upgrade"], data).returncode == 0
    path = tmp_path / "history.csv"
    path.write_bytes(CSV.encode("gbk"))
    res = run(["ops", "import", str(path)], data)
    assert res.returncode == 0, res.stderr
    assert "imported 2 closed cases" in res.stdout
    out = run(["ops", "indicators", "--from", "2024-10-01", "--to", "2024-10-31"], data)
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)
    assert row["due"] == 2 and row["closed"] == 2 and row["closed_on_time"] == 1
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV.replace("ADVERTISING", "NOPE"), encoding="utf-8")
    refused = run(["ops", "import", str(bad)], data)
    assert refused.returncode != 0 and "row 3" in (refused.stderr + refused.stdout)


def test_xlsx_history_and_reopen(
    client: TestClient, session: Session, settings: Settings, world: OpsWorld, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for line in CSV.splitlines():
        sheet.append(line.split(","))
    path = tmp_path / "history.xlsx"
    book.save(path)
    items = read_history(path, settings)
    assert bulk_closed(session, settings, items) == 2
    session.commit()
    page = client.get(
        "/api/ops/cases", params={"status": "closed"}, headers=world.dispatcher.headers
    )
    first = next(c for c in page.json()["items"] if c["grid_code"] == "D1-S1-G1")
    assert first["on_time"] is True and first["handling_hours"] == 15.0
    again = act(client, world.dispatcher, first["id"], "reopen", reason="市民反映问题复发")
    assert again["status"] == "dispatched" and again["department"] == "CGJ"
    detail = client.get(f"/api/ops/cases/{first['id']}", headers=world.dispatcher.headers).json()
    assert [h["action"] for h in detail["history"]][-2:] == ["close", "reopen"]
