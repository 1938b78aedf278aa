"""Sensing's settings (environment prefix ``CITYBASE_SENSING_``), documented in
docs/configuration.md and docs/sensing.md."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SensingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBASE_SENSING_", extra="ignore")

    mqtt_host: str = Field("127.0.0.1", description="MQTT broker host (Mosquitto).")
    mqtt_port: int = Field(1883, ge=1, le=65535, description="MQTT broker port.")
    share_group: str = Field(
        "citybase", description="Shared-subscription group of the ingest workers ($share/…)."
    )
    mqtt_republish: bool = Field(
        True, description="Publish every created observation to its MQTT topics."
    )
    ingest_batch: int = Field(500, ge=1, le=50_000, description="Observations per ingest batch.")
    ingest_flush_ms: int = Field(200, ge=10, description="Longest wait before a partial batch.")
    device_rate_per_s: float = Field(
        200.0, gt=0, description="Observations per second one datastream may send over MQTT."
    )
    stale_minutes: int = Field(30, ge=1, description="A sensor silent this long is stale.")
    retention_days: int = Field(400, ge=1, description="Raw observations kept this many days.")
    minute_rollup_days: int = Field(31, ge=1, description="Minute rollups kept this many days.")


@lru_cache(maxsize=1)
def sensing_settings() -> SensingSettings:
    return SensingSettings()
