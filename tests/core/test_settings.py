from __future__ import annotations

import re
from pathlib import Path

import pytest

from citybase.errors import ConfigurationError
from citybase.settings import DEFAULT_SECRET, Settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_production_refuses_default_secret() -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings(mode="production")
    assert err.value.field == "CITYBASE_SECRET_KEY"
    assert "CITYBASE_SECRET_KEY" in err.value.message


def test_production_refuses_short_secret() -> None:
    with pytest.raises(ConfigurationError):
        Settings(mode="production", secret_key="short")


def test_production_accepts_strong_secret_and_secures_cookies() -> None:
    s = Settings(mode="production", secret_key="x" * 48)
    assert s.effective_cookie_secure is True


def test_production_start_refused_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real start path: env vars as an operator would set them."""
    from typer.testing import CliRunner

    from citybase.cli import app
    from citybase.settings import get_settings

    monkeypatch.setenv("CITYBASE_MODE", "production")
    monkeypatch.delenv("CITYBASE_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigurationError) or "CITYBASE_SECRET_KEY" in (
        result.output
    )


def test_default_database_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    assert s.effective_database_url == f"sqlite:///{tmp_path.as_posix()}/citybase.db"


def test_redacted_hides_secrets_and_passwords() -> None:
    s = Settings(secret_key="super-secret-value", database_url="postgresql://u:pw@h/db")
    shown = s.redacted()
    assert "super-secret-value" not in str(shown)
    assert "pw" not in str(shown["database_url"])
    assert shown["secret_key"] == "********"
    assert DEFAULT_SECRET not in str(shown)


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"`CITYBASE_([A-Z_]+)`", text))
    fields = {name.upper() for name in Settings.model_fields}
    missing = fields - documented
    assert not missing, f"Undocumented settings in docs/configuration.md: {sorted(missing)}"
