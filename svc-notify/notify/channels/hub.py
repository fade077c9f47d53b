"""In-process hand-over to open SSE streams: whoever commits inbox rows (the consumer's instant
in-app path, the dispatcher, the repeat sweep) publishes those very rows after the commit, and
the owner's streams send them without reading the database again. A publish without rows only
wakes the streams (they read the inbox). Other instances' streams learn of the rows from
PostgreSQL (notify/signals.py: a NOTIFY with the commit) or, failing that, by polling."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

# a stream that stopped reading (a stalled phone) keeps at most this many pushed rows; beyond
# that it reads the inbox from its last id instead (nothing is lost, the frames come from there)
MAX_PENDING = 1000


@dataclass(frozen=True)
class PushedItem:
    """An inbox row as committed: what a stream frame shows."""

    id: int
    owner: str
    subject: str
    title: str
    body: str
    safety: bool
    created_at: datetime


@dataclass(eq=False)  # hashed by identity: one per open stream
class Subscription:
    owner: str
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    pending: deque[PushedItem] = field(default_factory=deque)
    overflowed: bool = False  # rows were dropped: the stream must read the inbox
    # ids of rows another process or instance committed (NOTIFY): the stream reads them
    announced: set[int] = field(default_factory=set)

    def take(self) -> tuple[list[PushedItem], bool]:
        """The pushed rows in hand and whether the stream must also read the inbox."""
        items, self.pending = list(self.pending), deque()
        read_inbox, self.overflowed = self.overflowed, False
        self.wake.clear()
        return items, read_inbox

    def take_announced(self) -> set[int]:
        ids, self.announced = self.announced, set()
        return ids


class InboxHub:
    def __init__(self) -> None:
        self._subscriptions: dict[str, set[Subscription]] = defaultdict(set)
        # this instance, in the NOTIFY it sends with its inbox rows (it ignores its own)
        self.instance = uuid.uuid4().hex

    def announce(self, rows: dict[str, list[int]]) -> None:
        """Another process or instance committed these rows (owner → ids): the owners' open
        streams read them by id."""
        for owner, ids in rows.items():
            for subscription in self._subscriptions.get(owner, ()):
                if len(subscription.announced) + len(ids) > MAX_PENDING:
                    subscription.overflowed = True  # a stalled stream: it reads from its last id
                else:
                    subscription.announced.update(ids)
                subscription.wake.set()

    def subscribe(self, owner: str) -> Subscription:
        subscription = Subscription(owner)
        self._subscriptions[owner].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscriptions = self._subscriptions.get(subscription.owner)
        if subscriptions is not None:
            subscriptions.discard(subscription)
            if not subscriptions:
                del self._subscriptions[subscription.owner]

    def publish(self, owner: str, items: Iterable[PushedItem] = ()) -> None:
        """Hand committed rows to the owner's streams; without rows: make them read the inbox."""
        subscriptions = self._subscriptions.get(owner)
        if not subscriptions:
            return
        batch = list(items)
        for subscription in subscriptions:
            if not batch or len(subscription.pending) + len(batch) > MAX_PENDING:
                subscription.overflowed = True
                subscription.pending.clear()  # the inbox read from the last id brings them
            else:
                subscription.pending.extend(batch)
            subscription.wake.set()

    def has_streams(self, owner: str) -> bool:
        return bool(self._subscriptions.get(owner))
