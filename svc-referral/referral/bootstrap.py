"""Composition root: builds the runtime and the app; connects only in the lifespan."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.runtime import ServiceRuntime
from referral.settings import Settings
from referral.tables import CHASSIS

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings=settings, tables=CHASSIS, migrations=MIGRATIONS, topic_handlers={}
    )
    return create_service_app(runtime=runtime, title="HomeBed referral (转介转养)")
