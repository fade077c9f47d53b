"""SMS and voice through a provider adapter.

`HttpSmsProvider` speaks a small JSON protocol (`POST {url}/v1/messages`, bearer key): the
`make run` stub (notify.sms_stub) implements it, and so does a thin relay in front of a real SMS
gateway (Aliyun, Tencent Cloud: see the README, "Plugging in a real SMS provider"). The
delivery id travels as `out_id`, the provider's idempotency key: a retry after a crash between
the provider's answer and our commit is not sent twice.
"""

from __future__ import annotations

from typing import Literal, Protocol

import httpx

from chassis.db import UnitOfWork
from notify.channels.base import ChannelFailed, OutgoingMessage
from notify.domain.recipients import Channel

Kind = Literal["sms", "voice"]


class SmsProvider(Protocol):
    async def send(self, *, kind: Kind, to: str, text: str, out_id: str) -> None:
        """Raise ChannelFailed when the provider does not accept the message."""
        ...


class HttpSmsProvider:
    def __init__(self, client: httpx.AsyncClient, *, base_url: str, api_key: str) -> None:
        self.client, self.base_url, self.api_key = client, base_url.rstrip("/"), api_key

    async def send(self, *, kind: Kind, to: str, text: str, out_id: str) -> None:
        try:
            answer = await self.client.post(
                f"{self.base_url}/v1/messages",
                json={"kind": kind, "to": to, "text": text, "out_id": out_id},
                headers={"authorization": f"Bearer {self.api_key}"},
            )
        except httpx.HTTPError as exc:
            raise ChannelFailed(f"{kind} provider unreachable: {type(exc).__name__}") from exc
        if answer.status_code >= 300:
            raise ChannelFailed(f"{kind} provider answered {answer.status_code}")


class SmsChannel:
    channel: Channel = Channel.SMS
    kind: Kind = "sms"

    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    async def send(self, message: OutgoingMessage, *, uow: UnitOfWork) -> None:
        if not message.contact.phone:
            raise ChannelFailed("no phone number")
        await self.provider.send(
            kind=self.kind,
            to=message.contact.phone,
            text=f"{message.title}{message.body}",
            out_id=f"ntf_{message.delivery_id}",
        )


class VoiceChannel(SmsChannel):
    """A voice call reading the message (text-to-speech at the provider)."""

    channel: Channel = Channel.VOICE
    kind: Kind = "voice"
