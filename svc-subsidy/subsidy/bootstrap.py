"""Composition root: settings, runtime, routers; nothing connects before the lifespan."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.clock import Clock, utc_now
from chassis.runtime import ServiceRuntime
from subsidy import metrics
from subsidy.api import ROUTERS
from subsidy.consumers import topic_handlers
from subsidy.domain.policy import LINE_KINDS
from subsidy.policies.loader import configured_profile, known_jurisdictions
from subsidy.service.metrics import refresh_anomaly_metrics, refresh_settlement_metrics
from subsidy.settings import Settings
from subsidy.tables import CHASSIS_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    settings = settings or Settings()
    # a broken policy file or setting fails at start-up
    profiles = {
        code: configured_profile(code, settings.rule_configuration)
        for code in known_jurisdictions()
    }
    kinds = {
        code: [r.kind for r in profile.rules if r.kind in LINE_KINDS]
        for code, profile in profiles.items()
    }
    metrics.initialise(kinds)
    runtime = ServiceRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        topic_handlers=topic_handlers(clock),
        consumer_group=settings.consumer_group,
        clock=clock,
    )
    runtime.every(
        settings.metrics_seconds,
        partial(
            refresh_settlement_metrics,
            uow_factory=runtime.uow,
            clock=runtime.clock,
            kinds_by_jurisdiction=kinds,
        ),
        name="subsidy-metrics",
    )
    runtime.every(
        settings.anomaly_metrics_seconds,
        partial(refresh_anomaly_metrics, uow_factory=runtime.uow, profiles=profiles),
        name="subsidy-anomaly-metrics",
    )
    return create_service_app(runtime=runtime, title="HomeBed subsidy (补贴结算)", routers=ROUTERS)
