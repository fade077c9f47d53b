"""Settings of svc-subsidy (env prefix HOMEBED_SUBSIDY_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEBED_SUBSIDY_", extra="ignore")

    service_name: str = "svc-subsidy"
    database_url: str = "sqlite+aiosqlite:///var/svc-subsidy.db"
