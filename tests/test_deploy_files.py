"""deploy/docker-compose.yml cannot run here (no Docker engine), so check it against the code:
every setting it passes exists on the service it is passed to, and every command's module imports."""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

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


INIT_SQL = Path(__file__).resolve().parents[1] / "deploy/postgres/init-databases.sql"
K8S_SERVICES = Path(__file__).resolve().parents[1] / "deploy/k8s/services.yaml"


def _created_databases() -> set[str]:
    return set(re.findall(r"(?im)^\s*CREATE\s+DATABASE\s+\"?(\w+)\"?\s*;", INIT_SQL.read_text()))


def _database_of(url: str) -> str | None:
    """The database a PostgreSQL URL names (None for SQLite and other schemes)."""
    parsed = make_url(url.replace("${POSTGRES_PASSWORD}", "secret"))
    return parsed.database if parsed.get_backend_name() == "postgresql" else None


def _named_databases(
    compose: dict[str, Any], settings_classes: Iterable[type[ServiceSettings]]
) -> dict[str, str]:
    """Every PostgreSQL database a compose service's environment or a settings default names,
    with who names it."""
    named: dict[str, str] = {}
    for name, service in compose["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            if isinstance(value, str) and value.startswith("postgresql"):
                database = _database_of(value)
                if database:
                    named[database] = f"compose {name} {variable}"
    for settings_class in settings_classes:
        for field, info in settings_class.model_fields.items():
            if isinstance(info.default, str) and info.default.startswith("postgresql"):
                database = _database_of(info.default)
                if database:
                    named[database] = f"{settings_class.__module__} {field}"
    return named


def _missing(named: dict[str, str]) -> dict[str, str]:
    created = _created_databases()
    return {database: who for database, who in named.items() if database not in created}


def test_the_init_script_creates_every_database_compose_and_settings_name() -> None:
    named = _named_databases(COMPOSE, {*APPS.values(), *WORKERS.values()})
    assert "reporting" in named, "compose names no reporting database: the check proves nothing"
    missing = _missing(named)
    assert not missing, f"deploy/postgres/init-databases.sql does not create {missing}"


def test_the_check_sees_a_database_the_script_does_not_create() -> None:
    url = "postgresql+asyncpg://postgres:${POSTGRES_PASSWORD}@postgres/ghost"
    compose = {"services": {"ghost": {"environment": {"HOMEBED_GHOST_DATABASE_URL": url}}}}
    assert _missing(_named_databases(compose, [])) == {
        "ghost": "compose ghost HOMEBED_GHOST_DATABASE_URL"
    }
    assert _database_of("sqlite+aiosqlite:///var/svc-reporting.db") is None


def test_the_init_script_creates_every_kubernetes_database() -> None:
    """k8s runs one CloudNativePG Cluster per database; compose's single PostgreSQL holds the
    same set, so a service moves between the two without a database appearing or vanishing."""
    processes = yaml.safe_load(K8S_SERVICES.read_text())["processes"]
    databases = {p["database"] for p in processes.values() if p.get("database")}
    assert databases, "services.yaml names no database"
    assert databases <= _created_databases(), databases - _created_databases()
