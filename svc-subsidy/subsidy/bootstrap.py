"""Composition root: settings, runtime, routers; nothing connects before the lifespan."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.clock import Clock, utc_now
from chassis.runtime import ServiceRuntime
from subsidy.api import ROUTERS
from subsidy.consumers import topic_handlers
from subsidy.policies.loader import configured_profile, known_jurisdictions
from subsidy.settings import Settings
from subsidy.tables import CHASSIS_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    settings = settings or Settings()
    for code in known_jurisdictions():  # a broken policy file or setting fails at start-up
        configured_profile(code, settings.rule_configuration)
    runtime = ServiceRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        topic_handlers=topic_handlers(clock),
        consumer_group=settings.consumer_group,
        clock=clock,
    )
    return create_service_app(runtime=runtime, title="HomeBed subsidy (补贴结算)", routers=ROUTERS)
