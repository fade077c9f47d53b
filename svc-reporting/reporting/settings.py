"""Settings of svc-reporting (env prefix HOMEBED_REPORTING_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings

DEV_CITY_PLATFORM_SECRET = "dev-only-city-platform-webhook-secret-0123456789"  # noqa: S105


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEBED_REPORTING_", extra="ignore")

    service_name: str = "svc-reporting"
    database_url: str = "sqlite+aiosqlite:///var/svc-reporting.db"
    # where the city platform takes reports, and the Standard Webhooks secret it gave us
    city_platform_url: str = Field(
        default="http://127.0.0.1:8017/v1/reports", pattern=r"^https?://"
    )
    city_platform_secret: SecretStr = SecretStr(DEV_CITY_PLATFORM_SECRET)
    city_platform_timeout_seconds: float = Field(default=15.0, gt=0)
    # the owners the reporter assembles from (internal routes, service principal)
    intake_url: str = Field(default="http://127.0.0.1:8001", pattern=r"^https?://")
    iot_ingest_url: str = Field(default="http://127.0.0.1:8003", pattern=r"^https?://")
    service_records_url: str = Field(default="http://127.0.0.1:8002", pattern=r"^https?://")
    source_timeout_seconds: float = Field(default=15.0, gt=0)
    # the officer report's subsidies page (`python -m reporting report`)
    subsidy_url: str = Field(default="http://127.0.0.1:8005", pattern=r"^https?://")
    # the Kafka consumer group of the supervision read model (tests run their own)
    read_model_group: str = "svc-reporting"
    # the daily job: it wakes every `check_seconds` and sends what is due (01:00 Shanghai, T+1)
    push_enabled: bool = True
    check_seconds: float = Field(default=30.0, gt=0)
    backfill_days: int = Field(default=7, ge=1, le=366)
    retry_base_seconds: float = Field(default=60.0, ge=0)
    retry_max_seconds: float = Field(default=3600.0, ge=0)
