"""Composition root: settings, runtime, the jobs it runs, the app; connects only in the lifespan."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.clock import Clock, utc_now
from chassis.runtime import ServiceRuntime
from service_records.api import ROUTERS
from service_records.consumers import TOPIC_HANDLERS
from service_records.policies.loader import load_all_profiles, load_survey_templates
from service_records.service.closing import close_days
from service_records.service.corroboration import (
    ActivityProbe,
    HttpActivityProbe,
    NoActivityEndpoint,
)
from service_records.service.plan import sweep_tasks
from service_records.service.surveys import send_monthly_surveys
from service_records.service.sweeps import sweep_open_visits
from service_records.settings import Settings
from service_records.tables import CHASSIS_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    settings = settings or Settings()
    load_all_profiles()  # a broken policy file fails at start-up, not at the first request
    load_survey_templates()
    runtime = ServiceRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        topic_handlers=TOPIC_HANDLERS,
        consumer_group=settings.beds_group,
        clock=clock,
    )
    if settings.close_job_enabled:
        runtime.every(
            settings.close_job_seconds,
            partial(close_days, uow_factory=runtime.uow, clock=runtime.clock),
            name="close_days",
        )
    if settings.sweep_enabled:
        runtime.every(
            settings.sweep_seconds,
            partial(sweep_open_visits, uow_factory=runtime.uow, clock=runtime.clock),
            name="sweep_open_visits",
        )
        runtime.every(
            settings.sweep_seconds,
            partial(sweep_tasks, uow_factory=runtime.uow, clock=runtime.clock),
            name="sweep_tasks",
        )
        runtime.every(
            settings.sweep_seconds,
            partial(
                send_monthly_surveys,
                uow_factory=runtime.uow,
                clock=runtime.clock,
                day=settings.survey_day_of_month,
            ),
            name="send_monthly_surveys",
        )
    probe: ActivityProbe = NoActivityEndpoint()
    if settings.iot_ingest_url:
        http_probe = HttpActivityProbe(
            settings.iot_ingest_url, timeout_seconds=settings.iot_timeout_seconds
        )
        runtime.on_stop(http_probe.close)
        probe = http_probe
    app = create_service_app(
        runtime=runtime, title="HomeBed service records (服务记录)", routers=ROUTERS
    )
    app.state.activity_probe = probe
    return app
