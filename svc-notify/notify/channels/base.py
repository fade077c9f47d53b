"""The one interface every channel implements, and what it is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chassis.db import UnitOfWork
from notify.domain.recipients import Channel


class ChannelFailed(Exception):
    """The channel did not take the message (provider down, refused, unreachable, no address)."""


@dataclass(frozen=True)
class Contact:
    """Where a person is reached, decrypted for the send only (never logged)."""

    owner: str  # person_id, or centre:<provider_id> for a monitoring centre
    phone: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    delivery_id: int
    subject: str  # the alarm (or other object) the message is about
    title: str
    body: str
    safety: bool
    contact: Contact
    at: datetime  # the dispatcher's now (injected clock)


class ChannelAdapter(Protocol):
    channel: Channel

    async def send(self, message: OutgoingMessage, *, uow: UnitOfWork) -> None:
        """Hand the message over; raise ChannelFailed when this channel cannot take it.
        `uow` is the dispatcher's transaction (the in-app inbox writes in it)."""
        ...


CENTRE_PREFIX = "centre:"


def centre_owner(provider_id: str) -> str:
    return f"{CENTRE_PREFIX}{provider_id}"
