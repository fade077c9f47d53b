"""Every service refuses to start in production with a development secret or SQLite."""

from __future__ import annotations

import pytest

from chassis.settings import ServiceSettings
from gateway.settings import GatewaySettings
from intake.settings import Settings as IntakeSettings
from iot_ingest.settings import Settings as IotSettings
from notify.settings import Settings as NotifySettings
from referral.settings import Settings as ReferralSettings
from reporting.settings import Settings as ReportingSettings
from service_records.settings import Settings as ServiceRecordsSettings
from subsidy.settings import Settings as SubsidySettings

SERVICES: list[type[ServiceSettings]] = [
    GatewaySettings,
    IntakeSettings,
    IotSettings,
    ReferralSettings,
    ServiceRecordsSettings,
    SubsidySettings,
    ReportingSettings,
    NotifySettings,
]


# every setting of a service that ships with a development default; each must be named
DEV_SECRETS = {
    "gateway": ("internal_token_key", "partner_key_encryption_key"),
    "intake": ("internal_token_key", "pii_keys", "blind_index_key"),
    "reporting": ("internal_token_key", "city_platform_secret"),
    "notify": (
        "internal_token_key",
        "pii_keys",
        "blind_index_key",
        "sms_gateway_key",
        "sms_inbound_secret",
    ),
}


@pytest.mark.parametrize("settings_class", SERVICES, ids=lambda c: c.__module__.split(".")[0])
def test_dev_defaults_refused_in_production(
    settings_class: type[ServiceSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEBED_ENV", "prod")
    with pytest.raises(Exception, match="production") as refused:
        settings_class()
    message = str(refused.value)
    service = settings_class.__module__.split(".")[0]
    for name in DEV_SECRETS.get(service, ("internal_token_key",)):
        assert f"{name} is a development default" in message
    assert "database_url is SQLite" in message


@pytest.mark.parametrize("settings_class", SERVICES, ids=lambda c: c.__module__.split(".")[0])
def test_dev_defaults_start_in_development(
    settings_class: type[ServiceSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEBED_ENV", "dev")
    assert settings_class().env == "dev"
