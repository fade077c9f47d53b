"""Composition root: settings, runtime, the jobs it runs, the app; connects only in the lifespan."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.clock import Clock, utc_now
from chassis.runtime import ServiceRuntime
from service_records.api import ROUTERS
from service_records.consumers import TOPIC_HANDLERS
from service_records.settings import Settings
from service_records.tables import CHASSIS_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        topic_handlers=TOPIC_HANDLERS,
        consumer_group=settings.beds_group,
        clock=clock,
    )
    return create_service_app(
        runtime=runtime, title="HomeBed service records (服务记录)", routers=ROUTERS
    )
