"""The CLI contract the hold-out is run through: `citybase ops classify --format jsonl`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from citybase.ops.classifier.cli import register
from citybase.settings import Settings
from tests.ops.classifier.conftest import heldout_rows

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def app() -> typer.Typer:
    ops = typer.Typer()
    register(ops)
    return ops


def run(app: typer.Typer, settings: Settings, args: list[str], stdin: str = "") -> object:
    return CliRunner().invoke(
        app, [*args, "--data-dir", str(settings.data_dir)], input=stdin, catch_exceptions=False
    )


def test_jsonl_contract(app: typer.Typer, shipped_settings: Settings, shipped: object) -> None:
    rows = heldout_rows()[:40]
    stdin = "".join(json.dumps({"text": r["text"]}, ensure_ascii=False) + "\n" for r in rows)
    result = run(app, shipped_settings, ["classify", "--format", "jsonl"], stdin)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(rows)
    right = 0
    for line, row in zip(lines, rows, strict=True):
        obj = json.loads(line)
        cands = obj["candidates"]
        assert len(cands) >= 3
        assert obj["category"] == cands[0]["category"]
        confs = [c["confidence"] for c in cands]
        assert confs == sorted(confs, reverse=True)
        assert all(0.0 <= c <= 1.0 for c in confs) and sum(confs) <= 1.0001
        assert len({c["category"] for c in cands}) == len(cands)
        right += obj["category"] == row["category"]
    assert right >= 0.85 * len(rows)  # the answers are in input order


def test_ids_top_and_input_file(
    app: typer.Typer, shipped_settings: Settings, shipped: object, tmp_path: Path
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": 7, "text": "楼下烧烤店油烟太大"}\n\n{"id": "b", "text": "电梯又坏了"}\n',
        encoding="utf-8",
    )
    result = run(app, shipped_settings, ["classify", "-f", "jsonl", "--top", "5", "-i", str(src)])
    assert result.exit_code == 0, result.output
    objs = [json.loads(x) for x in result.stdout.splitlines()]
    assert [o["id"] for o in objs] == [7, "b"]
    assert all(len(o["candidates"]) == 5 for o in objs)


def test_table_format_and_text_arguments(
    app: typer.Typer, shipped_settings: Settings, shipped: object
) -> None:
    result = run(app, shipped_settings, ["classify", "小区门口的井盖丢了"])
    assert result.exit_code == 0, result.output
    assert "MUNICIPAL_FACILITY" in result.stdout and "confidence" in result.stdout


@pytest.mark.parametrize(
    ("stdin", "needle"),
    [
        ('{"text": "好的"}\n{"text": "坏的"\n', "line 2"),
        ('{"text": "好的"}\n\n["text"]\n', "line 3"),
        ('{"words": "没有 text"}\n', "line 1"),
        ('{"text": 12}\n', "line 1"),
    ],
)
def test_bad_input_names_the_line_without_traceback(
    app: typer.Typer, shipped_settings: Settings, stdin: str, needle: str
) -> None:
    result = run(app, shipped_settings, ["classify", "--format", "jsonl"], stdin)
    assert result.exit_code == 1
    assert needle in result.output
    assert "Traceback" not in result.output
    assert result.stdout.strip() == "" or "{" not in result.stdout


def test_missing_input_file(app: typer.Typer, shipped_settings: Settings, tmp_path: Path) -> None:
    result = run(app, shipped_settings, ["classify", "-i", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1 and "not found" in result.output


def test_python_m_runs_the_same_command(shipped_settings: Settings, shipped: object) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CITYBASE_DATA_DIR": str(shipped_settings.data_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "citybase.ops.classifier", "classify", "--format", "jsonl"],
        input='{"text": "邻居家的狗天天半夜叫"}\n'.encode(),
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    obj = json.loads(done.stdout.decode())
    assert obj["category"] == "NOISE"


def test_importing_the_cli_stays_light() -> None:
    code = (
        "import sys, citybase.ops.classifier.cli, citybase.ops.classifier;"
        "heavy = [m for m in ('jieba', 'sklearn', 'scipy', 'numpy') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == ""
