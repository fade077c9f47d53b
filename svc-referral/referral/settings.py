"""Settings of svc-referral (env prefix HOMEBED_REFERRAL_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEBED_REFERRAL_", extra="ignore")

    service_name: str = "svc-referral"
    database_url: str = "sqlite+aiosqlite:///var/svc-referral.db"
    # the deadline sweep (escalations) and the webhook delivery worker
    sweep_seconds: float = Field(default=60.0, gt=0)
    metrics_seconds: float = Field(default=30.0, gt=0)  # the homebed_referral_* gauges
    webhook_poll_seconds: float = Field(default=2.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhooks_enabled: bool = True
    # seals the partners' webhook signing secrets at rest (refused in prod while dev-only)
    webhook_secret_key: SecretStr = SecretStr(
        "dev-only-referral-webhook-secret-sealing-key-0123456789"
    )
    # the archive's sources (internal routes, a service principal)
    intake_url: str = "http://127.0.0.1:8001"
    service_records_url: str = "http://127.0.0.1:8002"
    iot_ingest_url: str = "http://127.0.0.1:8003"
    archive_ttl_minutes: int = Field(default=30, ge=1, le=24 * 60)
