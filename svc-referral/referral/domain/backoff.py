"""Webhook retry schedule: exponential backoff with jitter for up to 24 h, then dead-lettered.

Attempt n (1-based) failed → wait base·2^(n-1), capped, times a jitter factor in [1-j, 1+j]
(so a partner coming back up is not hit by every retry at once). A retry that would fall more
than `give_up_after` past the delivery's creation is not scheduled: the delivery is dead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random


@dataclass(frozen=True)
class Backoff:
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=4)
    jitter: float = 0.2
    give_up_after: timedelta = timedelta(hours=24)

    def delay(self, failed_attempts: int, rng: Random) -> timedelta:
        raw = min(self.base * (2 ** max(failed_attempts - 1, 0)), self.cap)
        factor: float = rng.uniform(1 - self.jitter, 1 + self.jitter)
        return timedelta(seconds=raw.total_seconds() * factor)

    def next_attempt(
        self, *, created_at: datetime, now: datetime, failed_attempts: int, rng: Random
    ) -> datetime | None:
        """When to try again, or None when the 24 h are spent (dead-lettered)."""
        at = now + self.delay(failed_attempts, rng)
        return None if at > created_at + self.give_up_after else at
