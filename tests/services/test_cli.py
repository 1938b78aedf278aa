"""``citybase services test|decide|verify|keygen`` without a database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citybase.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYBASE_DATA_DIR", str(tmp_path))


def test_rule_tests_pass() -> None:
    r = runner.invoke(app, ["services", "test"])
    assert r.exit_code == 0, r.output
    assert " 0 failed" in r.output


def test_decide_prints_decision_trace_and_legal_basis(tmp_path: Path) -> None:
    f = tmp_path / "in.yaml"
    f.write_text("date: 2026-03-02\ninput:\n  birth_date: 1944-01-15\n"
                 "  hukou_address: 示范市东城区和平路1号\n  allowance_count: 0\n"
                 "  bank_card: '6222020200112233445'\n", encoding="utf-8")  # fmt: skip
    r = runner.invoke(app, ["services", "decide", "MZJ-GLJT-01", "--input", str(f),
                            "--format", "json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["decision"] == "approved" and out["rule_version"] == "2025.1"
    assert {s["rule"] for s in out["trace"]} == {"age", "hukou", "not_twice", "bank_card"}
    assert out["legal_basis"][0] == "《示范市高龄老人津贴发放办法》"
    f.write_text("date: 2026-03-02\ninput: {birth_date: not-a-date}\n", encoding="utf-8")
    r = runner.invoke(app, ["services", "decide", "MZJ-GLJT-01", "--input", str(f)])
    assert r.exit_code != 0 and "birth_date" in r.output


def test_verify_offline_and_tampered(tmp_path: Path) -> None:
    from citybase.services import certs
    from citybase.settings import Settings

    settings = Settings(data_dir=tmp_path)
    token = certs.sign({"id": "EC1", "title": "测试", "valid_until": "2099-01-01",
                        "holder": {"name": "张三"}}, certs.signing_key(settings))  # fmt: skip
    good = tmp_path / "cert.json"
    good.write_text(json.dumps({"token": token}), encoding="utf-8")
    r = runner.invoke(app, ["services", "verify", str(good), "--offline"])
    assert r.exit_code == 0 and "valid" in r.output, r.output
    bad = tmp_path / "bad.txt"
    parts = token.split(".")
    bad.write_text(f"{parts[0]}.{parts[1]}.{parts[2][:-4]}AAAA", encoding="utf-8")
    r = runner.invoke(app, ["services", "verify", str(bad), "--offline"])
    assert r.exit_code == 1 and "signature does not match" in r.output


def test_production_refuses_without_the_citys_key(tmp_path: Path) -> None:
    from citybase.errors import ConfigurationError
    from citybase.services import certs
    from citybase.settings import Settings

    prod = Settings(data_dir=tmp_path / "p", mode="production", secret_key="x" * 40)
    with pytest.raises(ConfigurationError) as caught:
        certs.check_signing_key(prod)
    assert "citybase services keygen" in caught.value.message
    dev = Settings(data_dir=tmp_path / "p")
    certs.signing_key(dev)  # development generates a .dev key ...
    with pytest.raises(ConfigurationError):
        certs.check_signing_key(prod)  # ... which production never uses
    certs.generate_key(certs.key_dir(prod) / certs.KEY_FILE)
    certs.check_signing_key(prod)
