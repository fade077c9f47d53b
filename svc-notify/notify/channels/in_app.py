"""In-app: the message lands in the owner's inbox in the caller's transaction (exactly once:
one inbox row per delivery); after the commit the rows themselves go to the owner's open streams
through the hub (no second read of the inbox)."""

from __future__ import annotations

from chassis.db import UnitOfWork
from notify.channels.base import OutgoingMessage
from notify.channels.hub import InboxHub, PushedItem
from notify.domain.recipients import Channel
from notify.repository import InboxRepository
from notify.runtime import after_commit
from notify.signals import announce_inbox
from notify.tables import InboxRow

_WRITTEN = "notify.inbox_written"  # the session's inbox rows, published after its commit


class InAppChannel:
    channel: Channel = Channel.IN_APP

    def __init__(self, hub: InboxHub | None = None) -> None:
        self.hub = hub

    async def send(self, message: OutgoingMessage, *, uow: UnitOfWork) -> None:
        row = uow.repo(InboxRepository).add(
            owner=message.contact.owner,
            delivery_id=message.delivery_id,
            subject=message.subject,
            title=message.title,
            body=message.body,
            safety=message.safety,
            at=message.at,
        )
        if self.hub is None:
            return
        info = uow.session.info
        written: list[InboxRow] | None = info.get(_WRITTEN)
        if written is None:
            written = info[_WRITTEN] = []
            hub = self.hub
            after_commit(uow, lambda: _publish(hub, info.pop(_WRITTEN, [])))
        written.append(row)
        announce_inbox(uow, self.hub.instance, [row])


def _publish(hub: InboxHub, rows: list[InboxRow]) -> None:
    by_owner: dict[str, list[PushedItem]] = {}
    unflushed: set[str] = set()
    for row in rows:
        if row.id is None:  # a plain unit of work ran this before its commit: streams read
            unflushed.add(row.owner)
            continue
        by_owner.setdefault(row.owner, []).append(
            PushedItem(
                id=row.id,
                owner=row.owner,
                subject=row.subject,
                title=row.title,
                body=row.body,
                safety=row.safety,
                created_at=row.created_at,
            )
        )
    for owner in unflushed:
        hub.publish(owner)
    for owner, items in by_owner.items():
        if owner not in unflushed:
            hub.publish(owner, items)


class MonitoringCentreChannel(InAppChannel):
    """A provider's monitoring-centre screen: the inbox of `centre:<provider_id>`, streamed to
    the provider's staff (`GET /v1/monitoring-centre/stream`)."""

    channel: Channel = Channel.MONITORING_CENTRE
