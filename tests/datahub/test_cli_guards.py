"""``citybase datahub ingest/rollback`` as an operator runs them (real processes, SQLite
file): the load guards, their flags, rollback, and one quality figure — the CLI's, the
API's and the catalogue page's read off the same database."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from citybase.app import create_app
from citybase.audit.models import AuditRecord
from citybase.db import make_engine, make_session_factory
from citybase.identity.enums import Role
from citybase.settings import Settings
from tests.core.test_cli import run
from tests.datahub.test_cli import _city
from tests.datahub.test_ingest_guards import licences
from tests.datahub.test_rollback import stops
from tests.factories import auth_headers, make_user


def test_ingest_refuses_a_type_loss_and_a_shrink_until_the_flags_say_so(tmp_path: Path) -> None:
    data = _city(tmp_path)
    v1, v2, small = tmp_path / "v1.csv", tmp_path / "v2.csv", tmp_path / "small.csv"
    v1.write_bytes(licences(1500).encode("gbk"))
    v2.write_bytes(licences(1500, bad={700: ("有效期至", "2022-13-45")}).encode("gbk"))
    small.write_bytes(licences(5).encode("gbk"))
    base = ["datahub", "ingest"]
    r = run([*base, str(v1), "--dataset", "scjg-food", "--department", "SCJG"], data)
    assert r.returncode == 0, r.stderr
    r = run([*base, str(v2), "--dataset", "scjg-food"], data)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    out = " ".join((r.stdout + r.stderr).split())  # rich wraps long lines
    assert "line 701: '2022-13-45'" in out and "--accept-schema" in out
    r = run([*base, str(v2), "--dataset", "scjg-food", "--accept-schema"], data)
    assert r.returncode == 0, r.stderr
    assert "有效期至: date → string" in r.stdout
    r = run([*base, str(small), "--dataset", "scjg-food"], data)
    assert r.returncode == 1 and "--confirm-shrink" in " ".join(r.stderr.split())
    r = run([*base, str(small), "--dataset", "scjg-food", "--confirm-shrink"], data)
    assert r.returncode == 0, r.stderr
    assert "v3: 5 rows" in r.stdout
    r = run(["datahub", "rollback", "scjg-food", "--to", "1"], data)
    assert r.returncode == 0, r.stderr
    assert "version 1 is current again (was 3), 1500 rows" in r.stdout
    r = run(["datahub", "rollback", "scjg-food", "--to", "1"], data)
    assert r.returncode == 1 and "already current" in r.stderr
    engine = make_engine(f"sqlite:///{data / 'citybase.db'}")
    with make_session_factory(engine)() as s:
        actions = s.scalars(
            select(AuditRecord.action).where(AuditRecord.object_id == "scjg-food")
        ).all()
    engine.dispose()
    for action in ("accept_schema", "confirm_shrink", "rollback"):
        assert f"datahub.version.{action}" in actions


def test_cli_api_and_catalogue_page_show_one_quality_figure(tmp_path: Path) -> None:
    data = _city(tmp_path)
    src, rules = tmp_path / "stops.csv", tmp_path / "rules.yaml"
    src.write_bytes(stops(1000, duplicates=2).decode().encode("gbk"))
    rules.write_text("rules:\n  - kind: unique\n    column: 站点编号\n", "utf-8")
    args = ["--dataset", "jtj-bus-stops", "--department", "JTJ", "--title", "公交站点"]
    assert run(["datahub", "ingest", str(src), *args], data).returncode == 0
    quality = run(["datahub", "quality", "jtj-bus-stops", "--rules", str(rules)], data)
    assert quality.returncode == 0, quality.stderr
    assert "quality 99.7 %" in quality.stdout
    listed = run(["datahub", "list"], data)
    assert "99.7 %" in listed.stdout
    shown = run(["datahub", "show", "jtj-bus-stops"], data)
    assert '"quality_text": "99.7 %"' in shown.stdout

    url = f"sqlite:///{data / 'citybase.db'}"
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        steward = make_user(s, role=Role.data_steward, department_code="JTJ")
        headers = auth_headers(s, steward)
    engine.dispose()
    settings = Settings(database_url=url, data_dir=data, inprocess_worker=False)
    with TestClient(create_app(settings)) as client:
        api = client.get("/api/datahub/datasets/jtj-bus-stops", headers=headers).json()
        page = client.get("/datahub", headers={**headers, "accept": "text/html"}).text
    assert api["quality_text"] == "99.7 %" and api["quality_failing_rules"] == 1
    assert "质量 99.7 %" in page and "质量 100" not in page
    assert (
        json.loads(shown.stdout[shown.stdout.index("{") : shown.stdout.rindex("}") + 1])[
            "quality_score"
        ]
        == api["quality_score"]
    )
