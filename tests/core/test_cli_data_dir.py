"""The CLI run from anywhere: --data-dir / CITYBASE_DATA_DIR on every command, one clear line
(and nothing created) when there is no database, --workers only on PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer

from tests.conftest import create_postgres_database, drop_postgres_database

CLI = [sys.executable, "-m", "citybase.cli"]


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CITYBASE_")}
    full.update({"COLUMNS": "80", **(env or {})})
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=cwd, env=full, timeout=180, check=False
    )


def _one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr  # one line, even in an 80-column terminal
    return lines[0]


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for an empty (unmigrated) database of the backend under test."""
    if backend == "sqlite":
        yield {"CITYBASE_DATA_DIR": str(tmp_path / "city")}
        return
    url, name = create_postgres_database()
    yield {"CITYBASE_DATABASE_URL": url, "CITYBASE_DATA_DIR": str(tmp_path / "city")}
    drop_postgres_database(name)


def test_from_another_folder_nothing_is_created(tmp_path: Path) -> None:
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    line = _one_line_error(run(["audit", "verify"], elsewhere))
    assert "no citybase database in" in line and str(elsewhere / "citybase-data") in line
    assert "citybase db upgrade --data-dir" in line and "citybase demo" in line
    assert list(elsewhere.iterdir()) == []  # no ./citybase-data
    missing = tmp_path / "not-there"
    line = _one_line_error(run(["users", "list", "--data-dir", str(missing)], elsewhere))
    assert f"citybase db upgrade --data-dir {missing}" in line
    assert not missing.exists()


def test_empty_sqlite_file_is_not_a_database(tmp_path: Path) -> None:
    city = tmp_path / "city"
    city.mkdir()
    (city / "citybase.db").touch()
    line = _one_line_error(run(["datahub", "list", "--data-dir", str(city)], tmp_path))
    assert "citybase.db is missing or empty" in line


def test_unmigrated_then_upgraded(database: dict[str, str], tmp_path: Path) -> None:
    if "CITYBASE_DATABASE_URL" in database:  # an empty PostgreSQL database
        line = _one_line_error(run(["audit", "verify"], tmp_path, database))
        assert "has no citybase tables" in line and "citybase db upgrade" in line
    else:
        city = Path(database["CITYBASE_DATA_DIR"])
        city.mkdir()
        import sqlite3

        sqlite3.connect(city / "citybase.db").execute("CREATE TABLE other (x)").connection.close()
        line = _one_line_error(run(["audit", "verify"], tmp_path, database))
        assert "has no citybase tables" in line
    up = run(["db", "upgrade"], tmp_path, database)
    assert up.returncode == 0, up.stderr
    ok = run(["audit", "verify"], tmp_path, database)
    assert ok.returncode == 0 and "intact" in ok.stdout, ok.stderr


def test_data_dir_option_and_environment_agree(tmp_path: Path) -> None:
    city = tmp_path / "city"
    assert run(["db", "upgrade", "--data-dir", str(city)], tmp_path).returncode == 0
    assert (city / "citybase.db").is_file()  # db upgrade may create the data directory
    by_option = run(["users", "list", "--data-dir", str(city)], tmp_path)
    by_env = run(["users", "list"], tmp_path, {"CITYBASE_DATA_DIR": str(city)})
    assert by_option.returncode == 0 and by_env.returncode == 0
    assert by_option.stdout == by_env.stdout
    assert "CITYBASE_DATA_DIR" in run(["audit", "tail", "--help"], tmp_path).stdout


def test_every_command_takes_data_dir() -> None:
    from citybase.cli import app

    def leaves(cmd: object, path: str) -> Iterator[tuple[str, object]]:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from leaves(sub, f"{path} {name}")
        else:
            yield path, cmd

    found = list(leaves(typer.main.get_command(app), "citybase"))
    assert len(found) > 30
    missing = [
        path
        for path, cmd in found
        if not any("--data-dir" in getattr(p, "opts", []) for p in cmd.params)  # type: ignore[attr-defined]
    ]
    assert missing == []


def test_domain_cli_modules_import_no_heavy_library() -> None:
    """`citybase --help` imports every domain's cli.py: they must stay cheap."""
    modules = [
        "citybase.cli_support",
        "citybase.assess.cli",
        "citybase.audit.cli",
        "citybase.datahub.cli",
        "citybase.geo.cli",
        "citybase.identity.cli",
        "citybase.privacy.cli",
        "citybase.sharing.cli",
        "citybase.plugins",
    ]
    heavy = ["fastapi", "sqlalchemy", "duckdb", "pyarrow", "jieba", "numpy", "pydantic"]
    code = (
        f"import sys\nfor m in {modules!r}: __import__(m)\n"
        f"print(','.join(h for h in {heavy!r} if h in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_serve_with_several_workers(database: dict[str, str], tmp_path: Path) -> None:
    port = str(_free_port())
    if "CITYBASE_DATABASE_URL" not in database:
        r = run(["serve", "--workers", "2", "--port", port], tmp_path, database)
        line = _one_line_error(r)
        assert "--workers 2 needs PostgreSQL" in line and "CITYBASE_DATABASE_URL" in line
        assert not Path(database["CITYBASE_DATA_DIR"]).exists()
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYBASE_")}
    env.update(database)
    server = subprocess.Popen(
        [*CLI, "serve", "--workers", "2", "--port", port],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/health"
        deadline = time.monotonic() + 90
        healthy = False
        while time.monotonic() < deadline and not healthy:
            try:
                healthy = httpx.get(url, timeout=2).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.3)
        assert healthy, "server did not answer"
        # uvicorn's supervisor (our process) runs each worker as a spawned child process
        workers = [p for p in _children(server.pid) if b"spawn_main" in _cmdline(p)]
        assert len(workers) == 2, _children(server.pid)
        body = httpx.get(url, timeout=5).json()
        assert body["database"].startswith("postgres") and body["migrations"]["up_to_date"]
        for _ in range(10):
            assert httpx.get(url, timeout=5).status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert "2 workers" in output


def test_cli_refuses_to_remove_the_last_platform_admin(
    database: dict[str, str], tmp_path: Path
) -> None:
    assert run(["db", "upgrade"], tmp_path, database).returncode == 0
    made = run(
        ["users", "create", "boss", "--role", "platform_admin", "--password", "a-long-password"],
        tmp_path,
        database,
    )
    assert made.returncode == 0, made.stderr
    for change in (["--role", "analyst"], ["--inactive"]):
        line = _one_line_error(run(["users", "update", "boss", *change], tmp_path, database))
        assert "last active platform administrator" in line
    renamed = run(["users", "update", "boss", "--display-name", "局长"], tmp_path, database)
    assert renamed.returncode == 0, renamed.stderr
    listed = run(["users", "list"], tmp_path, database).stdout
    assert "局长" in listed and "platform_admin" in listed and "True" in listed
