"""Test helpers of svc-subsidy (its tests and the benchmark): settings and principals."""

from __future__ import annotations

from typing import Any

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from subsidy.settings import Settings

PROVIDER = "prov-a"
OTHER_PROVIDER = "prov-b"
REGION = "341802"
CITY = "341800"


def subsidy_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_enabled": False,
        "auto_migrate": True,
        "log_json": False,
        **overrides,
    }
    return Settings.model_validate(values)


def admin(provider_id: str = PROVIDER, sub: str = "admin-a") -> dict[str, str]:
    return principal_headers(Role.PROVIDER_ADMIN, sub, provider_id=provider_id)


def officer(sub: str = "officer-1", regions: tuple[str, ...] = (CITY,)) -> dict[str, str]:
    return principal_headers(Role.OFFICER, sub, regions=regions)
