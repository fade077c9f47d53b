"""Composition root: builds the runtime and the app; connects only in the lifespan."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.runtime import ServiceRuntime
from service_records.settings import Settings
from service_records.tables import CHASSIS

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings=settings, tables=CHASSIS, migrations=MIGRATIONS, topic_handlers={}
    )
    return create_service_app(runtime=runtime, title="HomeBed service records (服务记录)")
