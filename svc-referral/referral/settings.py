"""Settings of svc-referral (env prefix HOMEBED_REFERRAL_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEBED_REFERRAL_", extra="ignore")

    service_name: str = "svc-referral"
    database_url: str = "sqlite+aiosqlite:///var/svc-referral.db"
