"""The demo step and the `citybase assess` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from citybase.assess import plugin, service
from citybase.assess.demo import build_assessments
from citybase.demo.context import DemoContext
from citybase.settings import Settings

SRC = Path(__file__).resolve().parents[2] / "src"
EXAMPLE = SRC / "citybase/assess/data/examples/example_city.yaml"
CLI = [sys.executable, "-m", "citybase.cli", "assess"]  # as an operator runs it


def _ctx(
    settings: Settings, engine: Engine, factory: sessionmaker[Session], seed: int
) -> DemoContext:
    console = Console(file=open(os.devnull, "w"))  # noqa: SIM115
    return DemoContext(
        settings=settings,
        seed=seed,
        data_dir=settings.data_dir,
        engine=engine,
        session_factory=factory,
        progress=Progress(console=console, disable=True),
        console=console,
    )


def test_demo_step_three_years_and_ten_peers(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session], session: Session
) -> None:
    build_assessments(_ctx(settings, engine, session_factory, seed=7))
    rows = service.list_assessments(db_session=session, city_code="320100")
    assert [r.period for r in rows] == ["2024", "2025", "2026"]
    assert [r.live for r in rows] == [False, False, True]
    index = [r.bte_index for r in rows]
    assert None not in index
    assert sorted(index) == index and len(set(index)) == 3  # type: ignore[type-var]  # improves
    for period in ("2024", "2025", "2026"):
        assert len(service.list_peers(db_session=session, period=period)) == 10
    latest = rows[-1].result
    assert len(latest["peers"]["cities"]) == 11
    assert latest["roadmap"]["phases"][0]["id"] == "short"
    assert any(p["common"] or p["domains"] for p in latest["roadmap"]["phases"])
    diff = service.compare_periods(
        db_session=session, city_code="320100", base_period="2024", target_period="2025"
    )
    assert diff["index"]["delta"] > 0
    # the same seed gives the same city
    first_values = dict(rows[0].inputs["values"])
    build_assessments(_ctx(settings, engine, session_factory, seed=7))
    session.expire_all()
    again = service.find_assessment(db_session=session, city_code="320100", period="2024")
    assert again is not None and again.inputs["values"] == first_values and again.revision == 2


def test_plugin_registers_the_cli_group() -> None:
    root = typer.Typer()
    plugin.domain.citybase_cli(root)  # type: ignore[attr-defined]
    assert [g.name for g in root.registered_groups] == ["assess"]
    assert plugin.citybase_modules()[0].url == "/assess"
    assert plugin.citybase_translations("en")["assess.title"].startswith("City digital")


def _cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    full = {**os.environ, "COLUMNS": "200", "PYTHONPATH": path, **env}
    full.pop("CITYBASE_DATABASE_URL", None)
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, env=full, timeout=180, check=False
    )


def test_cli_run_json_html_pdf(tmp_path: Path) -> None:
    r = _cli(["run", str(EXAMPLE), "--draws", "500"], tmp_path)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    for key in ("axes", "triangle_area", "index", "elements", "barrel", "roadmap"):
        assert key in result
    assert result["indicators"]["hotline_response_hours"]["entered_as"].endswith("min")
    assert result["elements"]["ecosystem"] is not None  # 4 of 5 present: still scored
    r = _cli(["run", str(EXAMPLE), "--format", "pdf", "--out", "r.pdf", "--draws", "0"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert "I = " in r.stderr
    r = _cli(["run", str(EXAMPLE), "--format", "html", "--locale", "en", "--draws", "0"], tmp_path)
    assert r.returncode == 0
    assert "Assessment Report" in (tmp_path / "assessment-320100-2025.html").read_text("utf-8")


def test_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "city: {code: x}\nperiod: '2025'\nvalues: {gov_cloud_share: 120, nope_indicator: 1}\n",
        encoding="utf-8",
    )
    r = _cli(["run", str(bad)], tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "gov_cloud_share" in r.stderr and "nope_indicator" in r.stderr
    r = _cli(["run", str(EXAMPLE), "--format", "docx"], tmp_path)
    assert r.returncode == 1 and "--format must be one of json, html, pdf" in r.stderr
    fw = tmp_path / "fw.yaml"
    fw.write_text("id: x\n", encoding="utf-8")
    r = _cli(["check-framework", str(fw)], tmp_path)
    assert r.returncode == 1 and "not a valid indicator framework" in r.stderr


def test_cli_store_list_compare_and_peers(tmp_path: Path) -> None:
    data = tmp_path / "city"
    env = {"CITYBASE_DATA_DIR": str(data)}
    migrate = (
        "from citybase.db import make_engine, upgrade\n"
        "from citybase.settings import get_settings\n"
        "upgrade(make_engine(get_settings().effective_database_url))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", migrate],
        env={**os.environ, "PYTHONPATH": str(SRC), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    peers = tmp_path / "peers.csv"
    peers.write_text(
        "city,city_name,gov_cloud_share\npeer_a,甲市,60\npeer_b,乙市,70\n", encoding="utf-8"
    )
    r = _cli(["load-peers", str(peers), "--period", "2025"], tmp_path, **env)
    assert r.returncode == 0, r.stderr
    for period in ("2024", "2025"):
        r = _cli(
            ["run", str(EXAMPLE), "--store", "--period", period, "--draws", "200"], tmp_path, **env
        )
        assert r.returncode == 0, r.stderr
        assert "Stored assessment" in r.stderr
    again = _cli(["run", str(EXAMPLE), "--store", "--period", "2025"], tmp_path, **env)
    assert again.returncode == 1 and "replace" in again.stderr
    listing = _cli(["list"], tmp_path, **env)
    assert listing.returncode == 0 and "2024" in listing.stdout and "2025" in listing.stdout
    diff = _cli(["compare", "320100", "2024", "2025"], tmp_path, **env)
    assert diff.returncode == 0, diff.stderr
    assert json.loads(diff.stdout)["index"]["delta"] == 0  # same values both years
