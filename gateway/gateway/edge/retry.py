"""Retries: only idempotent methods, only for failures that say nothing reached the application,
spaced by exponential backoff with full jitter (so retrying gateways do not march in step)."""

from __future__ import annotations

import random
from dataclasses import dataclass

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    base_delay_seconds: float = 0.05
    max_delay_seconds: float = 0.5

    def may_retry(self, method: str, attempt: int) -> bool:
        """`attempt` counts from 0 (the first try); may another try follow it?"""
        return method in IDEMPOTENT_METHODS and attempt < self.max_retries

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * (2**attempt))
        return (rng or random).uniform(0.0, ceiling)
