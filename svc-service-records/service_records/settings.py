"""Settings of svc-service-records (env prefix HOMEBED_SERVICE_RECORDS_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEBED_SERVICE_RECORDS_", extra="ignore")

    service_name: str = "svc-service-records"
    database_url: str = "sqlite+aiosqlite:///var/svc-service-records.db"
