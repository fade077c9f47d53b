"""Per-device token buckets; time is passed in so tests control it."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class DeviceRateLimiter:
    """`rate` requests per second with bursts up to `burst`; refuses with seconds to wait."""

    def __init__(self, *, rate: float, burst: float, max_devices: int = 200_000) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._rate = rate
        self._burst = burst
        self._max_devices = max_devices
        self._buckets: dict[str, _Bucket] = {}

    def try_acquire(self, device_id: str, now: float) -> int | None:
        """None when allowed; otherwise whole seconds to wait (for Retry-After)."""
        bucket = self._buckets.get(device_id)
        if bucket is None:
            if len(self._buckets) >= self._max_devices:
                self._evict_full(now)
            bucket = self._buckets[device_id] = _Bucket(self._burst, now)
        elapsed = now - bucket.updated
        if elapsed > 0:
            bucket.tokens = min(self._burst, bucket.tokens + elapsed * self._rate)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) / self._rate))

    def _evict_full(self, now: float) -> None:
        # buckets that have refilled carry no information: dropping them changes nothing
        full_after = self._burst / self._rate
        self._buckets = {
            device: bucket
            for device, bucket in self._buckets.items()
            if now - bucket.updated < full_after
        }
