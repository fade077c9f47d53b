"""Composition root: settings, runtime, the sweep and the webhook worker, routers; nothing
connects before the lifespan."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from random import Random

import httpx
from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.clock import Clock, utc_now
from chassis.http import outbound_client
from chassis.runtime import ServiceRuntime
from referral.api import ROUTERS
from referral.api.fhir_errors import answer_fhir_failures_as_outcomes
from referral.clients import ArchiveSources
from referral.consumers import TOPIC_HANDLERS
from referral.domain.backoff import Backoff
from referral.sealing import SecretSealer
from referral.service.metrics import refresh_metrics
from referral.service.referrals import sweep_deadlines
from referral.service.webhooks import deliver_due
from referral.settings import Settings
from referral.tables import CHASSIS_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = utc_now,
    webhook_http: httpx.AsyncClient | None = None,
    archive_http: httpx.AsyncClient | None = None,
) -> FastAPI:
    settings = settings or Settings()
    sealer = SecretSealer(settings.webhook_secret_key.get_secret_value())
    runtime = ServiceRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        topic_handlers=TOPIC_HANDLERS,
        clock=clock,
    )
    runtime.every(
        settings.sweep_seconds,
        partial(sweep_deadlines, uow_factory=runtime.uow, clock=runtime.clock),
        name="referral-deadline-sweep",
    )
    runtime.every(
        settings.metrics_seconds,
        partial(refresh_metrics, uow_factory=runtime.uow, clock=runtime.clock),
        name="referral-metrics",
    )
    if settings.webhooks_enabled:
        http = webhook_http or outbound_client(follow_redirects=False)
        runtime.every(
            settings.webhook_poll_seconds,
            partial(
                deliver_due,
                uow_factory=runtime.uow,
                clock=runtime.clock,
                http=http,
                backoff=Backoff(),
                rng=Random(),
                sealer=sealer,
                timeout_seconds=settings.webhook_timeout_seconds,
            ),
            name="referral-webhook-delivery",
        )
        if webhook_http is None:
            runtime.on_stop(http.aclose)
    sources_http = archive_http or outbound_client(follow_redirects=False)
    if archive_http is None:
        runtime.on_stop(sources_http.aclose)
    app = create_service_app(runtime=runtime, title="HomeBed referral (转介转养)", routers=ROUTERS)
    answer_fhir_failures_as_outcomes(app)
    app.state.webhook_sealer = sealer
    app.state.archive_sources = ArchiveSources(
        sources_http,
        intake_url=settings.intake_url,
        service_records_url=settings.service_records_url,
        iot_ingest_url=settings.iot_ingest_url,
        key=settings.internal_token_key.get_secret_value(),
    )
    return app
