"""The scan and redact-text commands, through Typer's runner and as ``python -m``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from citybase.privacy.cli import app

runner = CliRunner()


def _people(tmp_path: Path) -> Path:
    path = tmp_path / "people.parquet"
    table = pa.table(
        {
            "姓名": ["王小明", "李娜", "欧阳修文", "张伟"],
            "身份证号": ["11010519491231002X", "320106198001010011", None, "321203199602162370"],
            "备注": ["无", "无", "已核实", "无"],
        }
    )
    pq.write_table(table, path)
    return path


def test_scan_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["scan", str(_people(tmp_path)), "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["grade"] == "general-4"
    columns = {c["name"]: c for c in body["columns"]}
    assert columns["姓名"]["pii_type"] == "PERSON_NAME"
    assert columns["身份证号"]["pii_type"] == "CN_ID_CARD"
    assert columns["身份证号"]["hit_ratio"] == 1.0 and columns["身份证号"]["sensitive"]
    assert columns["备注"]["pii_type"] is None
    assert set(columns["备注"]) >= {"name", "pii_type", "confidence", "hit_ratio", "grade"}


def test_scan_table_output_and_sample(tmp_path: Path) -> None:
    result = runner.invoke(app, ["scan", str(_people(tmp_path)), "--sample", "3"])
    assert result.exit_code == 0, result.output
    assert "CN_ID_CARD" in result.stdout and "3 rows" in result.stdout


def test_scan_errors_are_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["scan", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1
    assert "unknown format .xlsx" in result.output and "Traceback" not in result.output
    bad_format = runner.invoke(app, ["scan", str(_people(tmp_path)), "--format", "xml"])
    assert bad_format.exit_code == 1 and "json or table" in bad_format.output


def test_redact_text_jsonl() -> None:
    lines = [
        json.dumps({"text": "市民王小明来电，手机13912345678"}, ensure_ascii=False),
        "",
        json.dumps({"text": "没有个人信息"}, ensure_ascii=False),
    ]
    result = runner.invoke(app, ["redact-text"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["redacted"] == "市民【姓名】来电，手机【手机号】"
    assert out[0]["spans"] == [
        {"start": 2, "end": 5, "type": "PERSON_NAME", "confidence": 0.8,
         "reason": "name cue before it"},
        {"start": 10, "end": 21, "type": "CN_MOBILE", "confidence": 0.95,
         "reason": "mobile numbering plan"},
    ]  # fmt: skip
    assert out[1] == {"text": "没有个人信息", "spans": [], "redacted": "没有个人信息"}


def test_redact_text_refuses_bad_lines_naming_the_line() -> None:
    result = runner.invoke(app, ["redact-text"], input='{"text": "ok"}\nnot json\n')
    assert result.exit_code == 1 and "line 2" in result.output
    result = runner.invoke(app, ["redact-text"], input='{"body": "x"}\n')
    assert result.exit_code == 1 and 'string "text"' in result.output
    result = runner.invoke(app, ["redact-text", "--format", "csv"], input="")
    assert result.exit_code == 1 and "only jsonl" in result.output


def test_python_dash_m_runs_the_commands(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "citybase.privacy.cli", "redact-text"],
        input=json.dumps({"text": "邮箱 a@b.cn"}) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout)["redacted"] == "邮箱 【电子邮箱】"
    scan = subprocess.run(
        [
            sys.executable,
            "-m",
            "citybase.privacy.cli",
            "scan",
            str(_people(tmp_path)),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(scan.stdout)["columns"][1]["pii_type"] == "CN_ID_CARD"
