"""Signed webhook: a POST to the recipient's URL, signed per Standard Webhooks (webhook-id is
the delivery id, so a receiver dedupes retries)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import orjson

from chassis.db import UnitOfWork
from notify.channels.base import ChannelFailed, OutgoingMessage
from notify.domain import signing
from notify.domain.recipients import Channel


class WebhookChannel:
    channel: Channel = Channel.WEBHOOK

    def __init__(self, client: httpx.AsyncClient, *, unix_now: Callable[[], int]) -> None:
        self.client = client
        self.unix_now = unix_now

    async def send(self, message: OutgoingMessage, *, uow: UnitOfWork) -> None:
        contact = message.contact
        if not contact.webhook_url or not contact.webhook_secret:
            raise ChannelFailed("no webhook configured")
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
        except httpx.HTTPError as exc:
            raise ChannelFailed(f"webhook unreachable: {type(exc).__name__}") from exc
        if answer.status_code >= 300:
            raise ChannelFailed(f"webhook answered {answer.status_code}")
