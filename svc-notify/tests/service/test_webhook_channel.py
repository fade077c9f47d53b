"""The signed webhook channel: a POST signed per Standard Webhooks (the receiver verifies it with
its secret; webhook-id is the delivery's, so a retry is recognisable), a refusal falls back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from chassis.clock import ManualClock
from chassis.principal import Role
from notify.channels.webhook import WebhookChannel
from notify.domain import signing
from notify.testing import DEVICES, Notify, admin, notify_settings, offline_envelope, running_notify

SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"


@pytest.fixture
async def hooked(
    sqlite_url: str, clock: ManualClock
) -> AsyncIterator[tuple[Notify, list[httpx.Request], list[int]]]:
    received: list[httpx.Request] = []
    answers = [204]

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(answers[0])

    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    channel = WebhookChannel(client, unix_now=lambda: int(clock().timestamp()))
    async with running_notify(
        notify_settings(sqlite_url), clock=clock, channels={"webhook": channel}
    ) as notify:
        yield notify, received, answers
    await client.aclose()


async def test_signed_post_and_fallback(
    hooked: tuple[Notify, list[httpx.Request], list[int]], clock: ManualClock
) -> None:
    notify, received, answers = hooked
    await notify.put_recipient(
        "team-1",
        {
            "kind": "duty_manager",
            "display_name": "调度系统",
            "roles": ["duty_manager"],
            "channels": ["webhook", "in_app"],
            "webhook_url": "https://dispatch.example.cn/hooks/homebed",
            "webhook_secret": SECRET,
        },
    )
    await notify.feed(DEVICES, offline_envelope("dev-1", bed_id="bed-1", at=clock()))
    await notify.dispatch()
    [request] = received
    assert str(request.url) == "https://dispatch.example.cn/hooks/homebed"
    assert signing.verify(
        SECRET, received=dict(request.headers), body=request.content, now=int(clock().timestamp())
    )
    assert request.headers["webhook-id"].startswith("ntf_")
    answers[0] = 500  # the receiver is down: the next channel takes it
    await notify.feed(DEVICES, offline_envelope("dev-2", bed_id="bed-2", at=clock()))
    await notify.dispatch()
    assert len(received) == 2
    assert (await notify.inbox("team-1", Role.PROVIDER_ADMIN))["total"] == 1
    listed = await notify.client.get("/v1/recipients/team-1", headers=admin())
    assert SECRET not in listed.text
