"""`citybase worker --once` and `citybase jobs list|show|cancel` against a real database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from citybase.cli import app as cli_app
from citybase.jobs import enqueue
from citybase.settings import get_settings
from tests.events.helpers import LiveDb


@pytest.fixture
def cli(db: LiveDb) -> Iterator[tuple[CliRunner, dict[str, str]]]:
    env = {
        "CITYBASE_DATABASE_URL": db.settings.effective_database_url,
        "CITYBASE_DATA_DIR": str(db.settings.data_dir),
        "COLUMNS": "200",
    }
    get_settings.cache_clear()
    yield CliRunner(), env
    get_settings.cache_clear()


def test_worker_once_runs_due_jobs_and_jobs_commands_show_them(
    db: LiveDb, cli: tuple[CliRunner, dict[str, str]]
) -> None:
    runner, env = cli
    with db.sf() as s:
        sweep_id = enqueue(s, "datahub.sweep_uploads", {"data_dir": str(db.settings.data_dir)})
        later = enqueue(s, "datahub.sweep_uploads", {"data_dir": "/nowhere"}, dedupe_key="later")
        s.commit()
    out = runner.invoke(cli_app, ["jobs", "cancel", str(later)], env=env)
    assert out.exit_code == 0 and f"Job #{later}: cancelled" in out.output
    out = runner.invoke(cli_app, ["worker", "--once"], env=env)
    assert out.exit_code == 0, out.output
    assert "Ran 1 job(s)" in out.output
    out = runner.invoke(cli_app, ["jobs", "list"], env=env)
    assert out.exit_code == 0
    lines = {line.split("│")[1].strip(): line for line in out.output.splitlines() if "│" in line}
    assert "succeeded" in lines[str(sweep_id)] and "cancelled" in lines[str(later)]
    out = runner.invoke(cli_app, ["jobs", "show", str(sweep_id)], env=env)
    assert out.exit_code == 0
    shown = json.loads(out.output)
    assert shown["status"] == "succeeded" and shown["result"] == {"removed": []}
    out = runner.invoke(cli_app, ["jobs", "show", "999999"], env=env)
    assert out.exit_code == 1 and "No job #999999" in out.output
    out = runner.invoke(cli_app, ["jobs", "cancel", str(sweep_id)], env=env)
    assert out.exit_code == 1 and "already succeeded" in out.output
