"""Signed webhook: a POST to the recipient's URL, signed per Standard Webhooks (webhook-id is
the delivery id, so a receiver dedupes retries). The URL is checked again before each send and
the connection pinned to a checked address (`webhook_guard.py`): a refusal is a failed attempt
with its reason, and the next channel takes the message."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import orjson

from chassis.db import UnitOfWork
from notify.channels.base import ChannelFailed, OutgoingMessage
from notify.channels.webhook_guard import WebhookGuard
from notify.domain import signing
from notify.domain.recipients import Channel
from notify.domain.webhook_targets import WebhookRefused


class WebhookChannel:
    channel: Channel = Channel.WEBHOOK

    def __init__(
        self, client: httpx.AsyncClient, *, guard: WebhookGuard, unix_now: Callable[[], int]
    ) -> None:
        """`client`: the guard's pinned client in production (`WebhookGuard.client`)."""
        self.client, self.guard, self.unix_now = client, guard, unix_now

    async def send(self, message: OutgoingMessage, *, uow: UnitOfWork) -> None:
        contact = message.contact
        if not contact.webhook_url or not contact.webhook_secret:
            raise ChannelFailed("no webhook configured")
        try:
            await self.guard.check(contact.webhook_url)
        except WebhookRefused as refused:
            raise ChannelFailed(f"webhook refused: {refused.reason}") from refused
        body = orjson.dumps(
            {
                "type": "notification",
                "delivery_id": message.delivery_id,
                "subject": message.subject,
                "title": message.title,
                "body": message.body,
                "safety": message.safety,
            }
        )
        headers = signing.headers(
            contact.webhook_secret,
            msg_id=f"ntf_{message.delivery_id}",
            timestamp=self.unix_now(),
            body=body,
        )
        headers["content-type"] = "application/json"
        try:
            answer = await self.client.post(contact.webhook_url, content=body, headers=headers)
        except WebhookRefused as refused:  # at the connection: the name resolved elsewhere now
            raise ChannelFailed(f"webhook refused: {refused.reason}") from refused
        except httpx.HTTPError as exc:
            raise ChannelFailed(f"webhook unreachable: {type(exc).__name__}") from exc
        if answer.status_code >= 300:
            raise ChannelFailed(f"webhook answered {answer.status_code}")
