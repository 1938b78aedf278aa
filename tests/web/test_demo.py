"""The demo city as `citybase demo` builds it: complete, reproducible, reusable, verifiable."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select

from citybase.db import make_engine, make_session_factory
from citybase.demo.accounts import demo_accounts
from citybase.demo.service import build_demo
from citybase.identity.enums import Role
from citybase.identity.models import Department, User
from citybase.settings import Settings


def test_demo_has_departments_and_every_role(demo_settings: Settings) -> None:
    engine = make_engine(demo_settings.effective_database_url)
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Department)) == 16
        roles = set(s.scalars(select(User.role)))
    engine.dispose()
    assert roles == {a.role for a in demo_accounts()}
    assert roles == {r.value for r in Role}  # every role has a demo account


def test_second_run_reuses_the_city(demo_settings: Settings) -> None:
    out = io.StringIO()
    result = build_demo(settings=demo_settings, seed=7, console=Console(file=out, width=200))
    assert "Reusing the demo city" in out.getvalue()
    assert result["seed"] == 7


def test_audit_verify_on_the_demo_then_after_tampering(
    demo_settings: Settings, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(demo_settings.data_dir / "citybase.db", copy / "citybase.db")
    env = {**os.environ, "CITYBASE_DATA_DIR": str(copy), "COLUMNS": "200"}
    env.pop("CITYBASE_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "citybase.cli", "audit", "verify"]
    ok = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    con = sqlite3.connect(copy / "citybase.db")
    con.execute("UPDATE audit_record SET actor_name = 'mallory' WHERE seq = 10")
    con.commit()
    con.close()
    bad = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert "seq=10" in bad.stderr and "altered" in bad.stderr
