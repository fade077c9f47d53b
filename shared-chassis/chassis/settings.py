"""Settings base for every service: typed, per-service env prefix, fails fast in production."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Clearly-marked development defaults. A service in HOMEBED_ENV=prod refuses to start with them.
DEV_INTERNAL_TOKEN_KEY = "dev-only-internal-token-key-change-me-0123456789"  # noqa: S105
DEV_SECRET_MARKER = "dev-only"  # noqa: S105 - a marker to refuse, not a secret


class ProductionConfigError(RuntimeError):
    """A production setting is unsafe (a dev secret or an SQLite database)."""


class ServiceSettings(BaseSettings):
    """Subclass per service with `model_config = SettingsConfigDict(env_prefix="HOMEBED_X_")`.

    A field missing under the service prefix falls back to the shared `HOMEBED_<FIELD>` variable,
    so one `HOMEBED_KAFKA_BOOTSTRAP` serves every service on a machine.
    """

    model_config = SettingsConfigDict(env_prefix="HOMEBED_", extra="ignore")

    service_name: str = "homebed"
    env: Literal["dev", "prod"] = "dev"
    database_url: str = "sqlite+aiosqlite:///var/homebed.db"
    auto_migrate: bool = True
    # how pooled PostgreSQL connections are checked before use (chassis.db.create_engine)
    database_ping: Literal["query", "socket"] = "query"
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_enabled: bool = True
    internal_token_key: SecretStr = SecretStr(DEV_INTERNAL_TOKEN_KEY)
    log_level: str = "INFO"
    log_json: bool = True
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    outbox_poll_seconds: float = Field(default=0.2, gt=0)
    # events staged with `uow.emit(..., express=True)` are sent right after their commit
    # (chassis.kafka.express); off: the relay sends everything
    outbox_express: bool = True
    # a relay round started by the poll leaves rows younger than this (0: takes all): where
    # several processes share one outbox, their express events are in flight elsewhere
    outbox_poll_min_age_seconds: float = Field(default=0.0, ge=0)
    consumer_max_attempts: int = Field(default=5, ge=1, le=100)
    consumer_backoff_seconds: float = Field(default=0.2, ge=0)
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _shared_fallbacks(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name in cls.model_fields:
            shared = os.environ.get(f"HOMEBED_{name.upper()}")
            if name not in data and shared is not None:
                data[name] = shared
        return data

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> ServiceSettings:
        if self.env != "prod":
            return self
        problems = [
            f"{name} is a development default"
            for name, value in self._secrets().items()
            if DEV_SECRET_MARKER in value or len(value) < 32
        ]
        if self.database_url.startswith("sqlite"):
            problems.append("database_url is SQLite; production needs postgresql+asyncpg://")
        if problems:
            raise ProductionConfigError(
                f"{self.service_name} refuses to start in production: " + "; ".join(problems)
            )
        return self

    def _secrets(self) -> dict[str, str]:
        """Every SecretStr field, by name; subclasses' secrets are checked too."""
        return {
            name: value.get_secret_value()
            for name, value in self.__dict__.items()
            if isinstance(value, SecretStr)
        }
