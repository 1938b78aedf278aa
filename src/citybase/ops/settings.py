"""The ops domain's settings (environment prefix ``CITYBASE_OPS_``; docs/configuration.md).

Kept beside the domain, not in the platform's ``Settings``: they mean something only to ops.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OpsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBASE_OPS_", env_file=".env", extra="ignore")

    categories: Path | None = Field(
        default=None,
        description="YAML file of city-event categories (code, names, department, sla_hours or "
        "sla_working_days, keywords). Default: event_categories.yaml in the taxonomy dir.",
    )
    routing_rules: Path | None = Field(
        default=None,
        description="YAML file of routing rules applied after the rules admins keep in the "
        "database. Default: the rules shipped in citybase/ops/data/routing_rules.yaml.",
    )
    classify_threshold: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Below this confidence of the best category a person chooses the category.",
    )
    auto_dispatch: bool = Field(
        default=True,
        description="Register and dispatch a classified, located report at once by the rules.",
    )
    duplicate_radius_m: float = Field(default=150.0, gt=0, description="Duplicates: distance.")
    duplicate_hours: float = Field(default=72.0, gt=0, description="Duplicates: time window.")
    duplicate_similarity: float = Field(
        default=0.35, ge=0, le=1, description="Duplicates: least character-bigram similarity."
    )
    photo_max_bytes: int = Field(default=5_000_000, gt=0, description="Largest photo accepted.")
    demo_cases: int = Field(default=50_000, ge=0, description="Cases of demo history.")
    demo_days: int = Field(default=182, ge=1, description="Days of demo history.")
    trickle_per_run: int = Field(
        default=3, ge=0, description="New demo cases each run of the live trickle job."
    )


@lru_cache(maxsize=1)
def get_ops_settings() -> OpsSettings:
    return OpsSettings()
