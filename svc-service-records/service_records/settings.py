"""Settings of svc-service-records (env prefix HOMEBED_SERVICE_RECORDS_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEBED_SERVICE_RECORDS_", extra="ignore")

    service_name: str = "svc-service-records"
    database_url: str = "sqlite+aiosqlite:///var/svc-service-records.db"
    beds_group: str = "svc-service-records-beds"
    bed_location_tolerance_m: float = Field(default=200.0, gt=0, le=5000)
    close_job_seconds: float = Field(default=300.0, gt=0)
    close_job_enabled: bool = True
    sweep_seconds: float = Field(
        default=600.0, gt=0, description="no-check-out and missed-task sweeps"
    )
    sweep_enabled: bool = True
    survey_day_of_month: int = Field(
        default=1, ge=1, le=28, description="Shanghai day of the month the monthly survey is sent"
    )
    survey_low_score: float = Field(
        default=60.0, ge=0, le=100, description="a score (0..100) below this opens a follow-up"
    )
    iot_ingest_url: str | None = Field(
        default=None, description="base URL of iot-ingest for device corroboration; None: off"
    )
    iot_timeout_seconds: float = Field(default=0.5, gt=0, le=5)
