"""One typed settings class. Every field is documented in docs/configuration.md (a test checks)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from citybase.errors import ConfigurationError

DEFAULT_SECRET = "change-me-development-only"  # noqa: S105 - the marker production refuses


class Mode(StrEnum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    """Effective configuration, read from CITYBASE_* environment variables (or a .env file)."""

    model_config = SettingsConfigDict(env_prefix="CITYBASE_", env_file=".env", extra="ignore")

    mode: Mode = Field(Mode.development, description="development or production.")
    data_dir: Path = Field(
        Path("citybase-data"),
        description="Directory for the SQLite database, dataset files and generated demo data.",
    )
    database_url: str | None = Field(
        None,
        description=(
            "SQLAlchemy URL. Default: a SQLite file citybase.db inside data_dir. "
            "PostgreSQL: postgresql+psycopg://user@host/db"
        ),
    )
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET),
        description="Signs session cookies and keys pseudonymisation. Must be set in production.",
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the HTTP server listens on.")
    locale: Literal["zh-CN", "en"] = Field("zh-CN", description="Default UI language.")
    session_hours: int = Field(12, ge=1, le=24 * 30, description="Browser session lifetime.")
    token_days: int = Field(90, ge=1, le=3650, description="Default API token lifetime in days.")
    cookie_secure: bool | None = Field(
        None,
        description="Mark the session cookie Secure (HTTPS only). Default: true in production.",
    )
    taxonomy_dir: Path | None = Field(
        None,
        description=(
            "Directory with the city's departments.yaml and event_categories.yaml. "
            "Default: the demo city's taxonomy shipped with citybase."
        ),
    )
    log_level: str = Field("INFO", description="Python logging level.")
    max_upload_mb: int = Field(
        2048,
        ge=1,
        description=(
            "Largest file accepted through an HTTP upload, in MiB. Larger files load with "
            "`citybase datahub ingest` on the server, which streams from disk."
        ),
    )
    pseudonym_key_id: str = Field(
        "k1",
        pattern=r"^[A-Za-z0-9_-]{1,16}$",
        description=(
            "Id of the key (derived from secret_key) that pseudonymises personal data in "
            "shared and released datasets. Change it to rotate: new tokens carry the new id."
        ),
    )
    grading_policy: Path | None = Field(
        None,
        description=(
            "YAML file mapping PII types to grades (分类分级). Default: the policy shipped "
            "with citybase (GB/T 43697-2024 + GB/T 35273-2020)."
        ),
    )
    request_threads: int = Field(
        16,
        ge=1,
        le=64,
        description=(
            "Threads per API worker process that run request handlers. Python runs one at a "
            "time per process, so more mainly adds hand-offs; each needs a pooled database "
            "connection (the pool is sized above this)."
        ),
    )
    release_min_k: int = Field(
        5,
        ge=2,
        description="Smallest equivalence class (k) an open-data release must reach.",
    )
    xlsx_max_uncompressed_mb: int = Field(
        1024,
        ge=1,
        description=(
            "Largest total an XLSX workbook may expand to when unzipped, in MiB; checked "
            "before parsing (zip-bomb guard). Larger workbooks answer 422: load them as CSV."
        ),
    )
    xlsx_max_compression_ratio: int = Field(
        100,
        ge=2,
        description=(
            "Largest compression ratio (unzipped : zipped) of any XLSX part over 1 MiB; real "
            "sheets compress about 5-20 to 1, zip bombs hundreds to thousands."
        ),
    )
    xlsx_max_rows: int = Field(
        1_048_576,
        ge=1,
        description="Most rows an XLSX sheet may hold (Excel's own maximum by default).",
    )

    worktime_timezone: str = Field(
        "Asia/Shanghai",
        description="IANA timezone of the city's working hours and calendar days (deadlines).",
    )
    worktime_hours: str = Field(
        "09:00-12:00,13:30-18:00",
        description=(
            "Working hours of a working day, as ordered non-overlapping HH:MM-HH:MM spans "
            "separated by commas (作息时间)."
        ),
    )
    worktime_calendar: Path | None = Field(
        None,
        description=(
            "YAML file with the city's own holidays and working days, overriding the national "
            "calendar (chinesecalendar), and years it vouches for. Default: national only."
        ),
    )
    worktime_warning_share: float = Field(
        0.8,
        gt=0,
        lt=1,
        description="Share of a time limit after which a deadline shows as a warning (预警).",
    )
    workflow_dir: Path | None = Field(
        None,
        description=(
            "Directory of <workflow>.yaml files replacing the shipped workflow definitions "
            "of the same name. Default: the shipped definitions only."
        ),
    )
    dashboard_layout_dir: Path | None = Field(
        None,
        description=(
            "Directory of the city's dashboard layouts (<key>.yaml), added to the shipped "
            "ones; a file with a shipped layout's key replaces it. Default: shipped only."
        ),
    )
    inprocess_worker: bool = Field(
        True,
        description=(
            "Run the event dispatcher and a job worker as threads inside `citybase serve` "
            "(and the demo). Set false when `citybase worker` processes do the work."
        ),
    )
    events_max_attempts: int = Field(
        8, ge=1, description="Tries of one event delivery before it is shown as failed."
    )
    events_keepalive_seconds: float = Field(
        15.0, gt=0, description="Seconds between keep-alive comments on the live event stream."
    )
    job_lease_seconds: int = Field(
        300,
        ge=5,
        description=(
            "How long a worker holds a running job without reporting progress; after that "
            "the job counts as stuck (worker killed) and is queued again."
        ),
    )
    upload_job_mb: float = Field(
        4.0,
        ge=0,
        description=(
            "Uploads larger than this many MiB load as a background job (202 + job URL); "
            "smaller ones load inside the request."
        ),
    )
    load_shrink_confirm_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description=(
            "A new version of a dataset with fewer rows than the current one by more than this "
            "share (0.5: fewer than half) is refused unless the steward confirms the shrink."
        ),
    )
    upload_sweep_minutes: int = Field(
        60,
        ge=1,
        description=(
            "Upload temp files and `.incoming-*` files older than this, held by no running "
            "job, are removed at start-up and by the periodic sweep."
        ),
    )

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.mode is Mode.production:
            secret = self.secret_key.get_secret_value()
            if secret == DEFAULT_SECRET or len(secret) < 32:
                raise ConfigurationError(
                    "Refusing to start in production with the default or a short secret key: "
                    "set CITYBASE_SECRET_KEY to a random value of at least 32 characters "
                    "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`).",
                    field="CITYBASE_SECRET_KEY",
                )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'citybase.db').as_posix()}"

    @property
    def effective_cookie_secure(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.mode is Mode.production

    @property
    def effective_taxonomy_dir(self) -> Path:
        if self.taxonomy_dir is not None:
            return self.taxonomy_dir
        return Path(__file__).parent / "demo" / "taxonomy"

    def redacted(self) -> dict[str, object]:
        """Settings as plain values with secrets and passwords hidden (for `config show`)."""
        out: dict[str, object] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                out[name] = "********"
            elif name == "database_url" and value:
                out[name] = _hide_password(str(value))
            else:
                out[name] = str(value) if isinstance(value, Path | StrEnum) else value
        out["effective_database_url"] = _hide_password(self.effective_database_url)
        return out


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
