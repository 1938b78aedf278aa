"""``citybase workflow …``: check and show, as a city's operator edits its files."""

from __future__ import annotations

from pathlib import Path

from tests.core.test_cli import run
from tests.workflow.conftest import CASE_YAML


def test_check_lists_workflows_and_show_prints_guards(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "test_case.yaml").write_text(CASE_YAML, encoding="utf-8")
    r = run(["workflow", "check"], tmp_path, CITYBASE_WORKFLOW_DIR=str(flows))
    assert r.returncode == 0, r.stderr
    assert "sharing_request" in r.stdout and "test_case" in r.stdout and "OK" in r.stdout
    r = run(["workflow", "show", "test_case"], tmp_path, CITYBASE_WORKFLOW_DIR=str(flows))
    assert r.returncode == 0, r.stderr
    assert "8 working_hours" in r.stdout and "pauses" in r.stdout
    assert "+4 working_hours" in r.stdout


def test_check_names_the_broken_entry(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "test_case.yaml").write_text(CASE_YAML.replace("to: closed", "to: done"), "utf-8")
    r = run(["workflow", "check"], tmp_path, CITYBASE_WORKFLOW_DIR=str(flows))
    assert r.returncode == 1
    assert "(close).to: unknown state 'done'" in r.stderr.replace("\n", "")
