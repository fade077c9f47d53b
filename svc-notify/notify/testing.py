"""Test helpers of svc-notify: settings, a running app with its client, event builders."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from chassis.clock import Clock, ManualClock, utc_now
from chassis.principal import Role
from chassis.testing.principals import principal_headers
from homebed_schemas.envelope import Envelope
from notify.bootstrap import create_app
from notify.channels.base import ChannelAdapter
from notify.channels.sms import HttpSmsProvider, SmsChannel, VoiceChannel
from notify.channels.webhook_guard import WebhookGuard
from notify.service.dispatch import Dispatcher
from notify.service.escalation import repeat_due_steps
from notify.service.notifications import Notifications
from notify.settings import Settings
from notify.sms_stub import StubState, create_stub


def notify_settings(database_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_enabled": False,
        "log_json": False,
        "background_dispatch": False,
    }
    return Settings(**(values | extra))


def admin(provider_id: str = "p1", sub: str = "admin-1") -> dict[str, str]:
    return principal_headers(Role.PROVIDER_ADMIN, sub, provider_id=provider_id)


def ops() -> dict[str, str]:
    return principal_headers(Role.OPS, "ops-1")


def officer(*regions: str, sub: str = "officer-1") -> dict[str, str]:
    return principal_headers(Role.OFFICER, sub, regions=regions)


def person(sub: str, role: Role = Role.CAREGIVER, provider_id: str = "p1") -> dict[str, str]:
    return principal_headers(role, sub, provider_id=provider_id)


@dataclass
class Notify:
    app: FastAPI
    client: httpx.AsyncClient
    clock: Clock

    @property
    def dispatcher(self) -> Dispatcher:
        found: Dispatcher = self.app.state.dispatcher
        return found

    @property
    def notifications(self) -> Notifications:
        found: Notifications = self.app.state.notifications
        return found

    async def feed(self, topic: str, envelope: Envelope) -> int:
        """Apply an event as the consumer runner does (handler, then commit)."""
        async with self.app.state.runtime.uow() as uow:
            if topic == "intake.beds.v1":
                await self.notifications.on_bed_event(uow, envelope)
                created = 0
            else:
                created = await self.notifications.on_event(uow, topic, envelope)
            await uow.commit()
        return created

    async def dispatch(self) -> int:
        total = 0
        while done := await self.dispatcher.dispatch_due():
            total += done
        return total

    async def sweep(self) -> int:
        return await repeat_due_steps(
            uow_factory=self.app.state.runtime.uow,
            clock=self.clock,
            wake=lambda: None,
            writer=self.notifications.writer,
        )

    async def put_recipient(
        self, person_id: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        answer = await self.client.put(
            f"/v1/recipients/{person_id}", json=body, headers=headers or admin()
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def inbox(self, sub: str, role: Role = Role.CAREGIVER) -> dict[str, Any]:
        answer = await self.client.get("/v1/inbox", headers=person(sub, role))
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def record(self, alarm_id: str, headers: dict[str, str]) -> httpx.Response:
        return await self.client.get(
            f"/v1/notification-deliveries/alarms/{alarm_id}", headers=headers
        )


@asynccontextmanager
async def stub_channels(state: StubState) -> AsyncIterator[dict[str, ChannelAdapter]]:
    """SMS and voice through the provider stub (notify.sms_stub), in-process."""
    stub_app = create_stub(Settings(), state=state)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=stub_app), base_url="http://sms")
    provider = HttpSmsProvider(
        http, base_url="http://sms", api_key=Settings().sms_gateway_key.get_secret_value()
    )
    try:
        yield {"sms": SmsChannel(provider), "voice": VoiceChannel(provider)}
    finally:
        await http.aclose()


@asynccontextmanager
async def running_notify(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    channels: dict[str, ChannelAdapter] | None = None,
    webhook_guard: WebhookGuard | None = None,
) -> AsyncIterator[Notify]:
    app = create_app(settings, clock=clock, channels=channels, webhook_guard=webhook_guard)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:
            yield Notify(app=app, client=client, clock=clock)


def bed_envelope(
    bed_id: str, *, provider_id: str = "p1", region_code: str = "330102", at: datetime
) -> Envelope:
    return Envelope(
        type="bed.established",
        source="svc-intake",
        subject=bed_id,
        time=at,
        data={
            "bed_id": bed_id,
            "application_id": f"app-{bed_id}",
            "elder_id": f"elder-{bed_id}",
            "provider_id": provider_id,
            "jurisdiction": region_code,
            "region_code": region_code,
            "status": "established",
            "economic_status": "dibao",
            "package_fee_fen": 100_000,
            "contract_start": "2026-01-01",
            "contract_end": "2026-12-31",
            "elder_name_masked": "张**",
            "address_masked": "梅园路 * 号 *** 室",
            "occurred_at": at.isoformat(),
        },
    )


def alarm_envelope(
    event_type: str,
    *,
    alarm_id: str,
    bed_id: str,
    raised_at: datetime,
    at: datetime,
    provider_id: str = "p1",
    alarm_type: str = "fall_detected",
    status: str = "raised",
    escalation_level: int | None = None,
    escalation_target: str | None = None,
    actor: str | None = None,
) -> Envelope:
    """An iot.alarms.v1 event as iot-ingest publishes it (AlarmEvent)."""
    return Envelope(
        id=uuid.uuid4(),
        type=event_type,
        source="svc-iot-ingest",
        subject=alarm_id,
        time=at,
        data={
            "alarm_id": alarm_id,
            "bed_id": bed_id,
            "provider_id": provider_id,
            "alarm_type": alarm_type,
            "severity": "critical" if alarm_type == "fall_detected" else "medium",
            "status": status,
            "count": 1,
            "raised_at": raised_at.isoformat(),
            "arrival_deadline": (raised_at + timedelta(minutes=15)).isoformat(),
            "escalation_level": escalation_level,
            "escalation_target": escalation_target,
            "actor": actor,
            "occurred_at": at.isoformat(),
        },
    )


def offline_envelope(
    device_id: str, *, bed_id: str, at: datetime, provider_id: str = "p1"
) -> Envelope:
    return Envelope(
        type="device.offline",
        source="svc-iot-ingest",
        subject=device_id,
        time=at,
        data={
            "device_id": device_id,
            "bed_id": bed_id,
            "provider_id": provider_id,
            "device_type": "smoke",
            "serial": f"sn-{device_id}",
            "occurred_at": at.isoformat(),
            "last_seen_at": (at - timedelta(minutes=5)).isoformat(),
        },
    )


ALARMS = "iot.alarms.v1"
DEVICES = "iot.devices.v1"


async def staff_with_schedules(notify: Notify, clock: ManualClock) -> None:
    """cg-1/cg-2 take 12-hour caregiver turns (cg-1 now); dm-1 is the duty manager by SMS;
    off-1 is the street office of 330102."""
    for person_id, roles, channels, phone in (
        ("cg-1", ["caregiver"], ["in_app"], "13900000001"),
        ("cg-2", ["caregiver"], ["in_app"], None),
        ("dm-1", ["duty_manager"], ["sms", "in_app"], "13900000002"),
    ):
        body = {
            "kind": "worker" if person_id.startswith("cg") else "duty_manager",
            "display_name": person_id,
            "roles": roles,
            "channels": channels,
        }
        if phone:
            body["phone"] = phone
        await notify.put_recipient(person_id, body)
    await notify.put_recipient(
        "off-1",
        {
            "kind": "officer",
            "display_name": "街道 王",
            "region_codes": ["330102"],
            "channels": ["in_app"],
        },
        headers=ops(),
    )
    for role, members in (("caregiver", ["cg-1", "cg-2"]), ("duty_manager", ["dm-1"])):
        answer = await notify.client.put(
            f"/v1/on-call-schedules/{role}",
            json={
                "members": members,
                "starts_at": (clock() - timedelta(hours=1)).isoformat(),
                "shift_hours": 12,
            },
            headers=admin(),
        )
        assert answer.status_code == 200, answer.text
