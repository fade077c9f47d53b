"""Composition root: settings, runtime, routers; nothing connects before the lifespan."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.clock import Clock, utc_now
from chassis.runtime import ServiceRuntime
from referral.api import ROUTERS
from referral.consumers import TOPIC_HANDLERS
from referral.settings import Settings
from referral.tables import CHASSIS_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        topic_handlers=TOPIC_HANDLERS,
        clock=clock,
    )
    return create_service_app(runtime=runtime, title="HomeBed referral (转介转养)", routers=ROUTERS)
