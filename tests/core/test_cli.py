"""The citybase command as an operator uses it: real processes, real database files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "citybase.cli"]


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "CITYBASE_DATA_DIR": str(data_dir),
        "COLUMNS": "200",
        **env,
    }
    full_env.pop("CITYBASE_DATABASE_URL", None)
    full_env.update(env)
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=full_env, timeout=120, check=False
    )


def test_audit_verify_detects_an_altered_row(tmp_path: Path) -> None:
    data = tmp_path / "city"  # does not exist yet: created on first use
    assert run(["db", "upgrade"], data).returncode == 0
    tax = Path(__file__).resolve().parents[2] / "src/citybase/demo/taxonomy/departments.yaml"
    assert run(["users", "load-departments", str(tax)], data).returncode == 0
    r = run(
        ["users", "create", "boss", "--role", "platform_admin", "--password", "a-long-password"],
        data,
    )
    assert r.returncode == 0, r.stderr
    ok = run(["audit", "verify"], data)
    assert ok.returncode == 0 and "intact" in ok.stdout

    con = sqlite3.connect(data / "citybase.db")
    con.execute("UPDATE audit_record SET object_id = 'someone-else' WHERE seq = 3")
    con.commit()
    con.close()
    bad = run(["audit", "verify"], data)
    assert bad.returncode == 1
    assert "seq=3" in bad.stderr and "altered" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_unknown_department_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "city"
    run(["db", "upgrade"], data)
    r = run(
        [
            "users",
            "create",
            "x1",
            "--role",
            "officer",
            "--department",
            "NOPE",
            "--password",
            "p" * 9,
        ],
        data,
    )
    assert r.returncode == 1
    assert "Unknown department code 'NOPE'" in r.stderr and "Traceback" not in r.stderr


def test_database_down_at_start_up_is_a_clear_error(tmp_path: Path) -> None:
    r = run(
        ["db", "upgrade"],
        tmp_path,
        CITYBASE_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/nothing",
    )
    assert r.returncode == 1
    assert "Cannot connect to the database" in r.stderr
    assert "CITYBASE_DATABASE_URL" in r.stderr and "Traceback" not in r.stderr


def test_config_show_hides_secrets(tmp_path: Path) -> None:
    r = run(["config", "show"], tmp_path, CITYBASE_SECRET_KEY="my-very-secret-key-value")
    assert r.returncode == 0
    assert "my-very-secret-key-value" not in r.stdout and "********" in r.stdout


def test_production_serve_with_default_secret_is_refused(tmp_path: Path) -> None:
    r = run(["serve"], tmp_path, CITYBASE_MODE="production")
    assert r.returncode == 1
    assert "CITYBASE_SECRET_KEY" in r.stderr and "Traceback" not in r.stderr


def test_bad_department_file_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "city"
    run(["db", "upgrade"], data)
    bad = tmp_path / "departments.yaml"
    bad.write_text(
        "departments:\n  - {code: A1, name_zh: 甲局}\n  - {code: A1, name_zh: 乙局}\n",
        encoding="utf-8",
    )
    r = run(["users", "load-departments", str(bad)], data)
    assert r.returncode == 1 and "appears twice" in r.stderr
    con = sqlite3.connect(data / "citybase.db")
    assert con.execute("SELECT count(*) FROM identity_department").fetchone()[0] == 0
