from __future__ import annotations

import pytest
from pydantic import SecretStr

from chassis.principal import (
    InvalidPrincipalToken,
    Principal,
    Role,
    mint_internal_token,
    verify_internal_token,
)
from chassis.settings import ProductionConfigError, ServiceSettings

KEY = "k" * 40


def test_dev_defaults_are_allowed_in_dev() -> None:
    settings = ServiceSettings(service_name="svc-x")
    assert settings.env == "dev"
    assert settings.database_url.startswith("sqlite")


def test_production_refuses_dev_secret_and_sqlite() -> None:
    with pytest.raises(ProductionConfigError) as info:
        ServiceSettings(service_name="svc-x", env="prod")
    message = str(info.value)
    assert "internal_token_key is a development default" in message
    assert "SQLite" in message


def test_production_starts_with_real_secret_and_postgres() -> None:
    settings = ServiceSettings(
        service_name="svc-x",
        env="prod",
        database_url="postgresql+asyncpg://u@db/x",
        internal_token_key=SecretStr("s" * 48),
    )
    assert settings.env == "prod"


def test_shared_env_fallback_and_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic_settings import SettingsConfigDict

    class XSettings(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="HOMEBED_X_", extra="ignore")

    monkeypatch.setenv("HOMEBED_KAFKA_BOOTSTRAP", "shared:9092")
    monkeypatch.setenv("HOMEBED_X_DATABASE_URL", "sqlite+aiosqlite:///x.db")
    settings = XSettings()
    assert settings.kafka_bootstrap == "shared:9092"
    assert settings.database_url == "sqlite+aiosqlite:///x.db"
    monkeypatch.setenv("HOMEBED_X_KAFKA_BOOTSTRAP", "own:9092")
    assert XSettings().kafka_bootstrap == "own:9092"


def _principal() -> Principal:
    return Principal(
        sub="u-1",
        role=Role.OFFICER,
        provider_id=None,
        region_codes=("330102",),
        scopes=("applications:decide",),
        request_id="req-12345678",
    )


def test_token_round_trip() -> None:
    token = mint_internal_token(_principal(), KEY, now=1_000_000)
    assert verify_internal_token(token, KEY, now=1_000_010) == _principal()


@pytest.mark.parametrize(
    ("key", "now", "reason"),
    [("x" * 40, 1_000_010, "Signature"), (KEY, 1_000_061, "expired"), (KEY, 999_000, "not yet")],
)
def test_token_rejected(key: str, now: float, reason: str) -> None:
    token = mint_internal_token(_principal(), KEY, now=1_000_000)
    with pytest.raises(InvalidPrincipalToken, match=reason):
        verify_internal_token(token, key, now=now)


def test_unsigned_token_rejected() -> None:
    import jwt

    forged = jwt.encode({"sub": "x", "role": "ops"}, key=None, algorithm="none")
    with pytest.raises(InvalidPrincipalToken):
        verify_internal_token(forged, KEY)


def test_region_scoping_by_prefix() -> None:
    city = Principal(sub="o", role=Role.OFFICER, region_codes=("330100",))
    assert city.in_region("330102")
    assert not city.in_region("341800")
    district = Principal(sub="o", role=Role.OFFICER, region_codes=("330102",))
    assert district.in_region("330102001")
    assert not district.in_region("330105")
