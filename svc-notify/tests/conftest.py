"""Fixtures of svc-notify's tests: the app on SQLite with a ManualClock, the dispatcher driven
by the test (no background loop), the SMS provider stub in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from chassis.clock import ManualClock
from notify.channels.sms import HttpSmsProvider, SmsChannel, VoiceChannel
from notify.settings import Settings
from notify.sms_stub import StubState, create_stub
from notify.testing import Notify, notify_settings, running_notify

# 10:00 in Shanghai
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def stub() -> StubState:
    return StubState()


@pytest.fixture
async def notify(sqlite_url: str, clock: ManualClock, stub: StubState) -> AsyncIterator[Notify]:
    settings = notify_settings(sqlite_url)
    stub_app = create_stub(Settings(), state=stub)
    sms_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=stub_app), base_url="http://sms")
    provider = HttpSmsProvider(
        sms_http, base_url="http://sms", api_key=settings.sms_gateway_key.get_secret_value()
    )
    channels = {"sms": SmsChannel(provider), "voice": VoiceChannel(provider)}
    async with running_notify(settings, clock=clock, channels=channels) as running:
        yield running
    await sms_http.aclose()
