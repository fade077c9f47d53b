"""Composition root: settings, runtime, the daily push job, routers; nothing connects before the
lifespan."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.clock import Clock, utc_now
from chassis.http import outbound_client
from chassis.runtime import ServiceRuntime
from reporting.api import ROUTERS
from reporting.clients import HttpCityPlatform, IntakeBeds, IotDevices, RecordsVisits
from reporting.consumers import TOPIC_HANDLERS
from reporting.service.delivery import DeliveryConfig, run_daily_push
from reporting.service.sources import CityPlatform, Sources
from reporting.settings import Settings
from reporting.tables import CHASSIS_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = utc_now,
    sources: Sources | None = None,
    platform: CityPlatform | None = None,
) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        topic_handlers=TOPIC_HANDLERS,
        clock=clock,
        consumer_group=settings.read_model_group,
    )
    key = settings.internal_token_key.get_secret_value()
    owners = outbound_client(timeout=settings.source_timeout_seconds)
    outbound = outbound_client(timeout=settings.city_platform_timeout_seconds)
    runtime.on_stop(owners.aclose)
    runtime.on_stop(outbound.aclose)
    sources = sources or Sources(
        beds=IntakeBeds(owners, settings.intake_url, key),
        devices=IotDevices(owners, settings.iot_ingest_url, key),
        visits=RecordsVisits(owners, settings.service_records_url, key),
    )
    platform = platform or HttpCityPlatform(
        outbound, settings.city_platform_url, settings.city_platform_secret.get_secret_value()
    )
    if settings.push_enabled:
        runtime.every(
            settings.check_seconds,
            partial(
                run_daily_push,
                uow_factory=runtime.uow,
                clock=runtime.clock,
                sources=sources,
                platform=platform,
                config=DeliveryConfig(
                    backfill_days=settings.backfill_days,
                    retry_base_seconds=settings.retry_base_seconds,
                    retry_max_seconds=settings.retry_max_seconds,
                ),
            ),
            name="city-report-push",
        )
    return create_service_app(
        runtime=runtime, title="HomeBed reporting (T+1 城市平台归集与监管)", routers=ROUTERS
    )
