"""In-app: the message lands in the owner's inbox in the dispatcher's transaction (exactly once:
one inbox row per delivery), and the owner's open streams are woken after the commit."""

from __future__ import annotations

from chassis.db import UnitOfWork
from notify.channels.base import OutgoingMessage
from notify.domain.recipients import Channel
from notify.repository import InboxRepository


class InAppChannel:
    channel: Channel = Channel.IN_APP

    async def send(self, message: OutgoingMessage, *, uow: UnitOfWork) -> None:
        await uow.repo(InboxRepository).add(
            owner=message.contact.owner,
            delivery_id=message.delivery_id,
            subject=message.subject,
            title=message.title,
            body=message.body,
            safety=message.safety,
            at=message.at,
        )


class MonitoringCentreChannel(InAppChannel):
    """A provider's monitoring-centre screen: the inbox of `centre:<provider_id>`, streamed to
    the provider's staff (`GET /v1/monitoring-centre/stream`)."""

    channel: Channel = Channel.MONITORING_CENTRE
