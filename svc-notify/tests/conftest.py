"""Fixtures of svc-notify's tests: the app on SQLite and PostgreSQL with a ManualClock, the dispatcher driven
by the test (no background loop), the SMS provider stub in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from chassis.clock import ManualClock
from notify.sms_stub import StubState
from notify.testing import Notify, notify_settings, running_notify, stub_channels

# 10:00 in Shanghai
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def stub() -> StubState:
    return StubState()


@pytest.fixture
async def notify(database_url: str, clock: ManualClock, stub: StubState) -> AsyncIterator[Notify]:
    settings = notify_settings(database_url)
    async with (
        stub_channels(stub) as channels,
        running_notify(settings, clock=clock, channels=channels) as running,
    ):
        yield running
