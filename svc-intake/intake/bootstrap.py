"""Composition root: settings, runtime (engine, clock, outbox relay, consumers), the app.

Nothing connects at import time; the runtime starts inside the FastAPI lifespan.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.clock import Clock, utc_now
from chassis.runtime import ServiceRuntime
from intake.api import ROUTERS
from intake.api.errors import install_error_handlers
from intake.consumers import topic_handlers
from intake.policies.loader import load_all_profiles
from intake.service.context import Pii
from intake.service.renewals import sweep_contracts
from intake.settings import Settings
from intake.tables import CHASSIS_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    settings = settings or Settings()
    load_all_profiles()  # a broken policy file fails at start-up, not at the first request
    runtime = ServiceRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        topic_handlers=topic_handlers(clock),
        consumer_group=settings.devices_group,
        clock=clock,
    )
    # expiry notices 30 days ahead and the end of unrenewed beds: a daily matter, checked hourly
    runtime.every(
        settings.contract_sweep_seconds,
        partial(sweep_contracts, uow_factory=runtime.uow, clock=runtime.clock),
        name="contract_sweep",
    )
    app = create_service_app(runtime=runtime, title="HomeBed intake", routers=list(ROUTERS))
    app.state.pii = Pii(cipher=settings.field_cipher(), index_key=settings.blind_index_bytes())
    install_error_handlers(app)
    return app
