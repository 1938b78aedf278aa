"""``citybase sharing …`` as an operator runs it: real processes, a real SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.core.test_cli import run
from tests.sharing.conftest import RESIDENTS_CSV, ZHANG

TAXONOMY = Path(__file__).resolve().parents[2] / "src/citybase/demo/taxonomy/departments.yaml"


def test_request_list_approve_link_and_tracker(tmp_path: Path) -> None:
    data = tmp_path / "city"
    assert run(["db", "upgrade"], data).returncode == 0
    assert run(["users", "load-departments", str(TAXONOMY)], data).returncode == 0
    for name, role, dept in (
        ("gaj", "data_steward", "GAJ"),
        ("zsj", "data_steward", "ZSJ"),
        ("zhang", "applicant", None),
    ):
        args = ["users", "create", name, "--role", role, "--password", "a-long-password"]
        r = run(args + (["--department", dept] if dept else []), data)
        assert r.returncode == 0, r.stderr
    src = tmp_path / "residents.csv"
    src.write_bytes(RESIDENTS_CSV)
    r = run(["datahub", "ingest", str(src), "--dataset", "gaj-r", "--department", "GAJ"], data)
    assert r.returncode == 0, r.stderr
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    request = ["sharing", "request", "gaj-r", "--as", "zsj", "--legal-basis", "办法第二十条"]
    bad = run([*request, "--purpose", "分析", "--until", "2020-13-01"], data)
    assert bad.returncode == 1 and "--until" in bad.stderr and "Traceback" not in bad.stderr
    r = run([*request, "--purpose", "参保覆盖分析", "--until", until], data)
    assert r.returncode == 0 and "#1" in r.stdout and "pending" in r.stdout, r.stderr
    r = run(["sharing", "approve", "1", "--as", "zsj", "--reason", "同意"], data)
    assert r.returncode == 1 and "GAJ" in r.stderr  # only the owner decides
    r = run(["sharing", "approve", "1", "--as", "gaj", "--reason", "同意，最小必要"], data)
    assert r.returncode == 0 and "Grant #1" in r.stdout, r.stderr
    listed = run(["sharing", "list"], data)
    assert "granted" in listed.stdout and "gaj-r" in listed.stdout
    r = run(["sharing", "link-citizen", "zhang", ZHANG], data)
    assert r.returncode == 0 and ZHANG not in r.stdout
    r = run(["sharing", "tracker", ZHANG, "--purpose", "市民窗口查询"], data)
    assert r.returncode == 0, r.stderr
    r = run(["sharing", "revoke", "1", "--as", "gaj", "--reason", "项目结束"], data)
    assert r.returncode == 0 and "revoked" in r.stdout
