"""Rate limits: an in-process token bucket by default, the `limits` library's strategies on Redis
(or any `limits` storage) when configured.

Why not `limits`' own memory storage by default: its async moving window sweeps every key on a
worker thread after each hit, and its sync one every 10 ms on a timer thread; with thousands of
principals that sweep costs more than the rest of the gateway together (bench/gateway_bench.py
showed a 30x slowdown). The token bucket below is O(1) per hit and sweeps idle buckets lazily.
`limits` also has no token bucket; with Redis its moving window is the accurate choice (it keeps
every hit's time, so no burst at a window edge) and the sliding-window counter the cheap one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from limits import RateLimitItem, parse
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.storage import storage_from_string

TOKEN_BUCKET = "token-bucket"  # noqa: S105 - a strategy name, not a secret
LIMITS_STRATEGIES: dict[str, type[RateLimiter]] = {
    "moving-window": MovingWindowRateLimiter,
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
    "fixed-window": FixedWindowRateLimiter,
}


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """RateLimit-* (IETF draft) on every limited response; Retry-After on refusals."""
        headers = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(max(1, self.reset_seconds)).encode()))
        return headers


@lru_cache(maxsize=64)
def parse_limit(text: str) -> RateLimitItem:
    """'600/minute', '10/second', '1000 per hour'."""
    return parse(text)


class EdgeRateLimiter(Protocol):
    async def hit(self, limit: RateLimitItem, key: str) -> RateDecision:
        """Count one request against `key`; the decision carries what the headers need."""
        ...


class TokenBucketLimiter:
    """Buckets of `amount` tokens refilled at amount/period per second, one per key.

    Bursts up to the limit pass, then the refill rate rules. A refusal's Retry-After is the time
    until one token is back; RateLimit-Reset is the time until the bucket is full again.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sweep_every: int = 10_000
    ) -> None:
        self._buckets: dict[tuple[str, int, int], tuple[float, float]] = {}
        self._clock = clock
        self._sweep_every = sweep_every
        self._hits = 0

    async def hit(self, limit: RateLimitItem, key: str) -> RateDecision:
        return self.hit_now(limit, key)

    def hit_now(self, limit: RateLimitItem, key: str) -> RateDecision:
        capacity, period = limit.amount, limit.get_expiry()
        rate = capacity / period
        now = self._clock()
        bucket_key = (key, capacity, period)
        tokens, updated = self._buckets.get(bucket_key, (float(capacity), now))
        tokens = min(float(capacity), tokens + (now - updated) * rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[bucket_key] = (tokens, now)
        self._hits += 1
        if self._hits % self._sweep_every == 0:
            self._sweep(now)
        if allowed:
            reset = math.ceil((capacity - tokens) / rate)
        else:
            reset = math.ceil((1.0 - tokens) / rate)
        return RateDecision(allowed, capacity, int(tokens), max(0, reset))

    def _sweep(self, now: float) -> None:
        """Forget buckets that have refilled completely: they behave exactly like new ones."""
        full = [
            bucket_key
            for bucket_key, (tokens, updated) in self._buckets.items()
            if tokens + (now - updated) * bucket_key[1] / bucket_key[2] >= bucket_key[1]
        ]
        for bucket_key in full:
            del self._buckets[bucket_key]

    def __len__(self) -> int:
        return len(self._buckets)


class LimitsRateLimiter:
    """The `limits` library's async strategies over any of its storages (Redis in production)."""

    def __init__(
        self,
        storage_uri: str,
        strategy: str = "moving-window",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if strategy not in LIMITS_STRATEGIES:
            raise ValueError(f"unknown rate-limit strategy {strategy!r}")
        uri = storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}"
        self._limiter = LIMITS_STRATEGIES[strategy](storage_from_string(uri))
        self._clock = clock

    async def hit(self, limit: RateLimitItem, key: str) -> RateDecision:
        allowed = await self._limiter.hit(limit, key)
        stats = await self._limiter.get_window_stats(limit, key)
        reset = max(0, math.ceil(stats.reset_time - self._clock()))
        return RateDecision(
            allowed=allowed,
            limit=limit.amount,
            remaining=max(0, stats.remaining),
            reset_seconds=reset,
        )


def build_rate_limiter(
    storage_uri: str,
    strategy: str,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
) -> EdgeRateLimiter:
    """Token bucket in memory; anything else through `limits`."""
    if strategy == TOKEN_BUCKET:
        if storage_uri not in ("memory://", "async+memory://"):
            raise ValueError("the token bucket is in memory only; use a `limits` strategy on Redis")
        return TokenBucketLimiter(clock=monotonic)
    if strategy not in LIMITS_STRATEGIES:
        known = [TOKEN_BUCKET, *LIMITS_STRATEGIES]
        raise ValueError(f"unknown rate-limit strategy {strategy!r}; one of {known}")
    return LimitsRateLimiter(storage_uri, strategy, clock=wall)
