"""Composition root: settings, runtime (engine, outbox relay, consumers), app, error handlers.

Nothing connects at import time; the runtime starts inside the FastAPI lifespan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.runtime import ServiceRuntime
from intake.api import ROUTERS
from intake.api.errors import install_error_handlers
from intake.consumers import TOPIC_HANDLERS
from intake.policies.loader import load_all_profiles
from intake.service.context import Pii
from intake.settings import Settings
from intake.tables import CHASSIS_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_runtime(settings: Settings) -> ServiceRuntime:
    return ServiceRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        topic_handlers=TOPIC_HANDLERS,
        consumer_group=settings.devices_group,
    )


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    settings = settings or Settings()
    load_all_profiles()  # a broken policy file fails at start-up, not at the first request
    app = create_service_app(
        runtime=build_runtime(settings), title="HomeBed intake", routers=list(ROUTERS)
    )
    app.state.clock = clock
    app.state.pii = Pii(cipher=settings.field_cipher(), index_key=settings.blind_index_bytes())
    install_error_handlers(app)
    return app
