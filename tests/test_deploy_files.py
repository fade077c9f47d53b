"""deploy/docker-compose.yml cannot run here (no Docker engine), so check it against the code:
every setting it passes exists on the service it is passed to, and every command's module imports."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest
import yaml

from chassis.settings import ServiceSettings
from gateway.settings import GatewaySettings
from intake.settings import Settings as IntakeSettings
from iot_ingest.settings import Settings as IotSettings
from notify.settings import Settings as NotifySettings
from referral.settings import Settings as ReferralSettings
from reporting.settings import Settings as ReportingSettings
from service_records.settings import Settings as ServiceRecordsSettings
from subsidy.settings import Settings as SubsidySettings

COMPOSE = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "deploy/docker-compose.yml").read_text()
)
APPS: dict[str, type[ServiceSettings]] = {
    "gateway": GatewaySettings,
    "intake": IntakeSettings,
    "service-records": ServiceRecordsSettings,
    "iot-ingest": IotSettings,
    "iot-ingest-telemetry": IotSettings,
    "referral": ReferralSettings,
    "subsidy": SubsidySettings,
    "reporting": ReportingSettings,
    "notify": NotifySettings,
}
WORKERS: dict[str, type[ServiceSettings]] = {"iot-ingest-worker": IotSettings}


@pytest.mark.parametrize("name", sorted({**APPS, **WORKERS}))
def test_compose_settings_exist_on_the_service(name: str) -> None:
    settings_class = {**APPS, **WORKERS}[name]
    prefix = settings_class.model_config["env_prefix"]
    fields = {field.upper() for field in settings_class.model_fields}
    for variable in COMPOSE["services"][name]["environment"]:
        if variable.startswith(prefix):
            assert variable.removeprefix(prefix) in fields, f"{name}: {variable} is no setting"
        else:
            assert variable.startswith("HOMEBED_")
            assert variable.removeprefix("HOMEBED_") in fields, f"{name}: {variable} is no setting"


@pytest.mark.parametrize("name", sorted(APPS))
def test_compose_commands_name_real_apps(name: str) -> None:
    command = COMPOSE["services"][name]["command"]
    module, _, attribute = command[command.index("uvicorn") + 1].partition(":")
    # importing <pkg>.main builds the app (nothing connects before the lifespan)
    main = importlib.import_module(module)
    app = getattr(main, attribute)
    # an ASGI application: `await app(scope, receive, send)`
    assert inspect.iscoroutinefunction(type(app).__call__)
    assert list(inspect.signature(app).parameters)[:3] == ["scope", "receive", "send"]


@pytest.mark.parametrize("name", sorted(WORKERS))
def test_compose_workers_run_real_modules(name: str) -> None:
    command = COMPOSE["services"][name]["command"]
    assert command[:2] == ["python", "-m"]
    module = importlib.import_module(command[2])
    assert callable(module.main)


def test_compose_roles_are_the_service_s_roles() -> None:
    from iot_ingest.settings import ROLE_DEFAULTS

    roles = {
        name: service["environment"].get("HOMEBED_IOT_INGEST_ROLE")
        for name, service in COMPOSE["services"].items()
        if name.startswith("iot-ingest")
    }
    assert roles == {
        "iot-ingest": "alarm-lane",
        "iot-ingest-telemetry": "telemetry-lane",
        "iot-ingest-worker": "worker",
    }
    assert set(roles.values()) <= set(ROLE_DEFAULTS)
    shares = {name: COMPOSE["services"][name]["cpu_shares"] for name in roles}
    assert shares["iot-ingest"] > shares["iot-ingest-telemetry"] > shares["iot-ingest-worker"]
