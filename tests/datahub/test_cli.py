"""``citybase datahub …`` as an operator runs it: real processes, a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from tests.core.test_cli import run

TAXONOMY = Path(__file__).resolve().parents[2] / "src/citybase/demo/taxonomy/departments.yaml"


def _city(tmp_path: Path) -> Path:
    data = tmp_path / "city"
    assert run(["db", "upgrade"], data).returncode == 0
    assert run(["users", "load-departments", str(TAXONOMY)], data).returncode == 0
    return data


def test_ingest_list_show_quality_search(tmp_path: Path) -> None:
    data = _city(tmp_path)
    src = tmp_path / "公交站点.csv"
    src.write_bytes(
        "站点编号,站点名称,经度\nBS1,和平路站,118.7\nBS2,人民广场站,118.8\n".encode("gbk")
    )
    r = run(["datahub", "ingest", str(src), "--dataset", "jtj-stops"], data)
    assert r.returncode == 1 and "--department" in r.stderr and "Traceback" not in r.stderr
    r = run(
        [
            "datahub",
            "ingest",
            str(src),
            "--dataset",
            "jtj-stops",
            "--department",
            "JTJ",
            "--title",
            "公交站点",
            "--type",
            "站点编号=string",
        ],
        data,
    )
    assert r.returncode == 0, r.stderr
    assert "Loaded" in r.stdout and "v1" in r.stdout and "2 rows" in r.stdout
    assert "gb" in r.stdout  # the detected encoding is reported
    v2 = tmp_path / "v2.csv"
    v2.write_text(
        "站点编号,站点名称,经度,线路\nBS1,和平路站,118.7,1路\nBS1,和平路站,118.7,2路\n", "utf-8"
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - kind: unique\n    column: 站点编号\n", "utf-8")
    assert run(["datahub", "quality", "jtj-stops", "--rules", str(rules)], data).returncode == 0
    r = run(["datahub", "ingest", str(v2), "--dataset", "jtj-stops"], data)
    assert r.returncode == 0, r.stderr
    assert "+ 线路" in r.stdout and "unique:站点编号" in r.stdout
    listed = run(["datahub", "list"], data)
    assert "jtj-stops" in listed.stdout and "v2" in listed.stdout
    shown = run(["datahub", "show", "jtj-stops"], data)
    assert shown.returncode == 0 and "v2 *" in shown.stdout and "+线路" in shown.stdout
    found = run(["datahub", "search", "公交"], data)
    assert found.returncode == 0 and "jtj-stops" in found.stdout
    missing = run(["datahub", "show", "nope"], data)
    assert missing.returncode == 1 and "No dataset named 'nope'" in missing.stderr


def test_bind_and_consistency_from_the_shell(tmp_path: Path) -> None:
    data = _city(tmp_path)
    auth = tmp_path / "auth.csv"
    auth.write_text("证件号,地址\n1,和平路1号\n2,和平路2号\n", "utf-8")
    copy = tmp_path / "copy.csv"
    copy.write_text("证件号,地址\n1,和平路1号\n2,和平路9号\n", "utf-8")
    for name, dept, path in (("gaj-a", "GAJ", auth), ("rsj-b", "RSJ", copy)):
        r = run(["datahub", "ingest", str(path), "--dataset", name, "--department", dept], data)
        assert r.returncode == 0, r.stderr
    assert run(["datahub", "elements-load"], data).returncode == 0
    r = run(
        [
            "datahub",
            "bind",
            "hukou_address",
            "--dataset",
            "gaj-a",
            "--column",
            "地址",
            "--role",
            "authority",
            "--key",
            "证件号",
        ],
        data,
    )
    assert r.returncode == 0, r.stderr
    r = run(
        [
            "datahub",
            "bind",
            "hukou_address",
            "--dataset",
            "rsj-b",
            "--column",
            "地址",
            "--role",
            "authority",
        ],
        data,
    )
    assert r.returncode == 1 and "gaj-a" in r.stderr and "replica" in r.stderr
    run(
        [
            "datahub",
            "bind",
            "hukou_address",
            "--dataset",
            "rsj-b",
            "--column",
            "地址",
            "--role",
            "replica",
            "--key",
            "证件号",
        ],
        data,
    )
    r = run(["datahub", "consistency", "hukou_address"], data)
    assert r.returncode == 0, r.stderr
    assert "rsj-b" in r.stdout and "和平路9号" in r.stdout and "50.00%" in r.stdout
