"""In-process wake-ups for open SSE streams: the dispatcher tells the hub after its commit, the
streams of that owner read the inbox at once. Other instances' streams fall back to polling."""

from __future__ import annotations

import asyncio
from collections import defaultdict


class InboxHub:
    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    def subscribe(self, owner: str) -> asyncio.Event:
        event = asyncio.Event()
        self._waiters[owner].add(event)
        return event

    def unsubscribe(self, owner: str, event: asyncio.Event) -> None:
        waiters = self._waiters.get(owner)
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                del self._waiters[owner]

    def publish(self, owner: str) -> None:
        for event in self._waiters.get(owner, ()):
            event.set()
