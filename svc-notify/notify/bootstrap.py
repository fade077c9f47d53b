"""Composition root: settings, runtime, channels, dispatcher, sweeps, routers; nothing connects
before the lifespan."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial
from pathlib import Path

import httpx
from fastapi import FastAPI

from chassis.app import create_service_app
from chassis.clock import Clock, utc_now
from chassis.http import outbound_client
from chassis.observability.runtime_health import watch_event_loop_lag
from chassis.runtime import ServiceRuntime
from notify import metrics
from notify.api import ROUTERS
from notify.channels.base import ChannelAdapter
from notify.channels.hub import InboxHub
from notify.channels.in_app import InAppChannel, MonitoringCentreChannel
from notify.channels.sms import HttpSmsProvider, SmsChannel, VoiceChannel
from notify.channels.webhook import WebhookChannel
from notify.channels.webhook_guard import WebhookGuard
from notify.clients import IotAlarms
from notify.components import Components
from notify.consumers import batch_handlers
from notify.domain.delivery import FloodPolicy
from notify.domain.templates import ALARM_TYPE_LABELS
from notify.policies.loader import load_rules, load_templates
from notify.runtime import NotifyRuntime
from notify.service.audience import OnCallCache
from notify.service.dispatch import Dispatcher, RetryPolicy
from notify.service.escalation import repeat_due_steps
from notify.service.notifications import Notifications
from notify.service.writer import DeliveryWriter
from notify.settings import Settings
from notify.signals import Listener
from notify.tables import CHASSIS_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = utc_now,
    channels: dict[str, ChannelAdapter] | None = None,
    webhook_guard: WebhookGuard | None = None,
) -> FastAPI:
    """`channels` replaces channel adapters by name (tests: an SMS provider that fails);
    `webhook_guard` the settings' one (tests: a resolver that answers without DNS)."""
    settings = settings or Settings()
    templates = load_templates()
    rules = load_rules()
    hub = InboxHub()
    http = outbound_client(timeout=settings.sms_gateway_timeout_seconds)
    unix_now = lambda: int(clock().timestamp())  # noqa: E731 - the webhook's timestamp
    webhook_guard = webhook_guard or settings.webhook_guard()
    webhook_http = webhook_guard.client(timeout=settings.webhook_timeout_seconds)
    adapters: dict[str, ChannelAdapter] = {
        "in_app": InAppChannel(hub),
        "monitoring_centre": MonitoringCentreChannel(hub),
        "webhook": WebhookChannel(webhook_http, guard=webhook_guard, unix_now=unix_now),
        "sms": SmsChannel(_sms_provider(settings, http)),
        "voice": VoiceChannel(_sms_provider(settings, http)),
    }
    adapters.update(channels or {})
    metrics.show_from_the_start(adapters, alarm_kinds=ALARM_TYPE_LABELS)
    # set after a commit that created deliveries; the dispatcher waits on it between polls
    due = asyncio.Event()
    on_call = OnCallCache(ttl=timedelta(seconds=settings.on_call_cache_seconds))
    writer = DeliveryWriter(hub=hub, instant_in_app=settings.instant_in_app)
    notifications = Notifications(
        rules=rules,
        templates=templates,
        clock=clock,
        wake=due.set,
        on_call=on_call,
        writer=writer,
        instance=hub.instance,
    )
    consumes = settings.role != "worker"  # the worker process reads no topic
    dispatches = settings.background_dispatch and settings.role != "api"
    runtime: ServiceRuntime = NotifyRuntime(
        settings=settings,
        tables=CHASSIS_TABLES,
        migrations=MIGRATIONS,
        batch_handlers=batch_handlers(notifications) if consumes else {},
        consumer_group=settings.consumer_group,
        clock=clock,
    )
    dispatcher = Dispatcher(
        due=due,
        uow_factory=runtime.uow,
        clock=clock,
        channels=adapters,
        cipher=settings.field_cipher(),
        flood=FloodPolicy(
            threshold=settings.flood_threshold,
            window=timedelta(seconds=settings.flood_window_seconds),
        ),
        retry=RetryPolicy(
            max_attempts=settings.max_attempts,
            backoff=timedelta(seconds=settings.retry_backoff_seconds),
        ),
        digest_template=templates["digest"],
        batch_size=settings.dispatch_batch_size,
    )

    async def run_dispatcher(_runtime: ServiceRuntime) -> None:
        await dispatcher.run_forever(settings.dispatch_poll_seconds)

    if dispatches:
        runtime.add_task(run_dispatcher)
        runtime.every(
            settings.sweep_seconds,
            partial(
                repeat_due_steps,
                uow_factory=runtime.uow,
                clock=clock,
                wake=dispatcher.wake,
                writer=writer,
            ),
            name="repeat-steps",
        )
    listener: Listener | None = None
    if settings.listen_notify and settings.database_url.startswith("postgresql"):
        listener = Listener(
            database_url=settings.database_url,
            instance=hub.instance,
            on_inbox=hub.announce if settings.role != "worker" else None,
            on_due=dispatcher.wake if dispatches else None,
        )

        async def listen(_runtime: ServiceRuntime) -> None:
            await listener.run_forever()

        runtime.add_task(listen)

    # how late the event loop runs a ready task (homebed_event_loop_lag_seconds, in the bench):
    # a long synchronous section (a batch, a stream) shows here
    async def event_loop_lag(_runtime: ServiceRuntime) -> None:
        await watch_event_loop_lag(f"{settings.service_name}-{settings.role}")

    runtime.add_task(event_loop_lag)
    runtime.on_stop(http.aclose)
    runtime.on_stop(webhook_http.aclose)
    app = create_service_app(runtime=runtime, title="HomeBed notify (通知与升级)", routers=ROUTERS)
    app.state.notify = Components(
        settings=settings,
        cipher=settings.field_cipher(),
        blind_index_key=settings.blind_index_key_bytes(),
        hub=hub,
        acknowledger=IotAlarms(
            http, settings.iot_ingest_url, settings.internal_token_key.get_secret_value()
        ),
        on_call=on_call,
        webhook_guard=webhook_guard,
    )
    app.state.dispatcher = dispatcher
    app.state.listener = listener  # None: SQLite, or LISTEN off (the polls alone)
    app.state.notifications = notifications
    return app


def _sms_provider(settings: Settings, http: httpx.AsyncClient) -> HttpSmsProvider:
    return HttpSmsProvider(
        http, base_url=settings.sms_gateway_url, api_key=settings.sms_gateway_key.get_secret_value()
    )
