"""Two notify instances on one PostgreSQL database: inbox rows one instance commits reach the
other instance's open streams at once (LISTEN/NOTIFY, notify/signals.py), not at its next poll
(`STREAM_POLL_SECONDS`, set to 5 minutes here so that only the notification can explain the
frame); the deliveries one instance leaves for the dispatcher wake another's dispatcher (the
API process and the worker)."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.testing.eventually import eventually
from notify.channels.hub import InboxHub
from notify.service.inbox import inbox_events
from notify.signals import Listener
from notify.sms_stub import StubState
from notify.tables import DeliveryRow
from notify.testing import (
    ALARMS,
    DEVICES,
    Notify,
    alarm_envelope,
    notify_settings,
    offline_envelope,
    running_notify,
    staff_with_schedules,
    stub_channels,
)

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai

pytestmark = [pytest.mark.postgres]


async def _listening(notify: Notify) -> None:
    listener: Listener = notify.app.state.listener
    await asyncio.wait_for(listener.listening.wait(), 30)


async def _connected() -> bool:
    return False


@pytest.mark.parametrize("budget", [7000, 0], ids=["notice-in-the-write", "notice-apart"])
async def test_rows_written_by_one_instance_reach_the_other_instances_stream(
    postgres_url: str, budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inbox NOTIFY goes in the consumer's one statement (`one_statement`), or, when its
    payload could exceed PostgreSQL's limit (budget 0 here), apart (`announce_inbox`)."""
    monkeypatch.setattr("notify.service.writer._NOTIFY_BUDGET", budget)
    clock = ManualClock(START)
    settings = notify_settings(postgres_url, stream_poll_seconds=300)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(running_notify(settings, clock=clock))
        second = await stack.enter_async_context(running_notify(settings, clock=clock))
        await _listening(first)
        await _listening(second)
        await staff_with_schedules(first, clock)
        hub: InboxHub = second.app.state.notify.hub
        stream = inbox_events(
            uow_factory=second.app.state.runtime.uow,
            hub=hub,
            owner="cg-1",
            last_event_id=None,
            poll_seconds=300,
            disconnected=_connected,
        )
        try:
            assert await anext(stream) == b"retry: 2000\n\n"
            frame = asyncio.create_task(anext(stream))
            await asyncio.sleep(0)  # the stream waits for its hub (its first read is done)
            raised = alarm_envelope(
                "alarm.raised", alarm_id="al-x", bed_id="bed-x", raised_at=clock(), at=clock()
            )
            assert await first.feed(ALARMS, raised) == 2  # written by the first instance
            sent = await asyncio.wait_for(frame, 10)
        finally:
            await stream.aclose()
        head, _, data = sent.partition(b"data: ")
        assert b"event: notification" in head
        item = orjson.loads(data)
        assert (item["subject"], item["title"], item["unread"]) == ("al-x", "【家床告警】跌倒", 1)


async def test_deliveries_left_by_the_api_process_wake_the_workers_dispatcher(
    postgres_url: str,
) -> None:
    """The API process's consumer makes a device-offline message (not instant: it waits for the
    dispatcher, which the API process does not run); the worker's dispatcher, polling every 5
    minutes here, is woken by the commit's NOTIFY and sends it."""
    clock = ManualClock(START)
    api = notify_settings(postgres_url, role="api", background_dispatch=True)
    worker = notify_settings(
        postgres_url, role="worker", background_dispatch=True, dispatch_poll_seconds=300
    )
    async with AsyncExitStack() as stack:
        channels = await stack.enter_async_context(stub_channels(StubState()))
        first = await stack.enter_async_context(running_notify(api, clock=clock))
        second = await stack.enter_async_context(
            running_notify(worker, clock=clock, channels=channels)
        )
        await _listening(second)
        await staff_with_schedules(first, clock)
        assert await first.feed(DEVICES, offline_envelope("dev-1", bed_id="bed-o", at=clock())) == 1

        async def statuses() -> list[str]:
            async with first.app.state.runtime.uow() as uow:
                return list(await uow.session.scalars(select(DeliveryRow.status)))

        assert await eventually(statuses, until=lambda s: s == ["sent"], within=10) == ["sent"]


async def test_the_workers_reminders_reach_the_api_processs_stream(postgres_url: str) -> None:
    """Nobody acknowledged a fall: the worker's sweep writes the reminder to the caregiver's
    inbox, and the API process's open stream shows it at once (its poll is 5 minutes)."""
    clock = ManualClock(START)
    api = notify_settings(postgres_url, role="api", stream_poll_seconds=300)
    worker = notify_settings(
        postgres_url, role="worker", background_dispatch=True, sweep_seconds=0.1
    )
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(running_notify(api, clock=clock))
        await _listening(first)
        await staff_with_schedules(first, clock)
        raised = alarm_envelope(
            "alarm.raised", alarm_id="al-r", bed_id="bed-r", raised_at=clock(), at=clock()
        )
        assert await first.feed(ALARMS, raised) == 2
        hub: InboxHub = first.app.state.notify.hub
        subscription = hub.subscribe("cg-1")
        try:
            clock.advance(timedelta(minutes=1))  # step 1 repeats every minute
            await stack.enter_async_context(running_notify(worker, clock=clock))
            await asyncio.wait_for(subscription.wake.wait(), 10)
            [announced] = subscription.take_announced()  # the reminder's row, by id
        finally:
            hub.unsubscribe(subscription)
        inbox = await first.inbox("cg-1")
        reminder, fall = inbox["items"]
        assert reminder["id"] == announced
        assert (reminder["title"], fall["title"]) == (
            "（第2次提醒）【家床告警】跌倒",
            "【家床告警】跌倒",
        )


async def test_a_row_below_the_last_sent_id_still_reaches_the_stream(postgres_url: str) -> None:
    """Ids are taken at insert, rows commit in another order: a row another instance committed
    late (a lower id than a row this instance already pushed) still reaches the open stream,
    because the notice names its id."""
    clock = ManualClock(START)
    settings = notify_settings(postgres_url, stream_poll_seconds=300)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(running_notify(settings, clock=clock))
        second = await stack.enter_async_context(running_notify(settings, clock=clock))
        await _listening(second)
        await staff_with_schedules(first, clock)
        hub: InboxHub = second.app.state.notify.hub
        stream = inbox_events(
            uow_factory=second.app.state.runtime.uow,
            hub=hub,
            owner="cg-1",
            last_event_id=None,
            poll_seconds=300,
            disconnected=_connected,
        )
        try:
            assert await anext(stream) == b"retry: 2000\n\n"
            # the first instance inserts its rows and holds its transaction open ...
            async with first.app.state.runtime.uow() as late:
                raised = alarm_envelope(
                    "alarm.raised", alarm_id="al-1", bed_id="bed-1", raised_at=clock(), at=clock()
                )
                await first.notifications.on_event(late, ALARMS, raised)
                # ... while the second commits a later fall and pushes it to its stream
                later = alarm_envelope(
                    "alarm.raised", alarm_id="al-2", bed_id="bed-2", raised_at=clock(), at=clock()
                )
                await second.feed(ALARMS, later)
                pushed = orjson.loads((await anext(stream)).partition(b"data: ")[2])
                assert pushed["subject"] == "al-2"
                await late.commit()
            sent = await asyncio.wait_for(anext(stream), 10)
        finally:
            await stream.aclose()
        item = orjson.loads(sent.partition(b"data: ")[2])
        assert item["subject"] == "al-1"
        assert item["id"] < pushed["id"]
