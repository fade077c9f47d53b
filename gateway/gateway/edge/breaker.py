"""A circuit breaker per upstream (Envoy/Hystrix style).

Closed: calls pass; `failure_threshold` consecutive failures open it. Open: calls are refused at
once (503 without waiting for a dead upstream) for `open_seconds`. Then half-open: one probe
passes; its success closes the breaker, its failure opens it again. A probe that never reports
(its caller vanished) frees its slot after another `open_seconds`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum


class BreakerState(IntEnum):
    """Values are what the state gauge shows."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        open_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        on_state_change: Callable[[str, BreakerState], None] | None = None,
    ) -> None:
        if failure_threshold < 1 or open_seconds <= 0:
            raise ValueError("failure_threshold >= 1 and open_seconds > 0 required")
        self.name = name
        self._threshold = failure_threshold
        self._open_seconds = open_seconds
        self._clock = clock
        self._on_state_change = on_state_change
        self._state = BreakerState.CLOSED
        self._consecutive_failures = 0
        self._opened_at = 0.0
        self._probe_started_at: float | None = None

    @property
    def state(self) -> BreakerState:
        return self._state

    def allow(self) -> bool:
        """May a call go to the upstream now? In half-open, only one probe at a time."""
        if self._state is BreakerState.CLOSED:
            return True
        now = self._clock()
        if self._state is BreakerState.OPEN:
            if now - self._opened_at < self._open_seconds:
                return False
            self._set_state(BreakerState.HALF_OPEN)
        if self._probe_started_at is None or now - self._probe_started_at >= self._open_seconds:
            self._probe_started_at = now
            return True
        return False

    def record_success(self) -> None:
        self._consecutive_failures = 0
        self._probe_started_at = None
        if self._state is not BreakerState.CLOSED:
            self._set_state(BreakerState.CLOSED)

    def record_failure(self) -> None:
        self._consecutive_failures += 1
        self._probe_started_at = None
        if self._state is BreakerState.HALF_OPEN or (
            self._state is BreakerState.CLOSED and self._consecutive_failures >= self._threshold
        ):
            self._opened_at = self._clock()
            self._set_state(BreakerState.OPEN)

    def retry_after_seconds(self) -> int:
        """When an open breaker will let a probe through (for Retry-After), at least 1."""
        if self._state is not BreakerState.OPEN:
            return 1
        remaining = self._open_seconds - (self._clock() - self._opened_at)
        return max(1, int(remaining + 0.999))

    def _set_state(self, state: BreakerState) -> None:
        self._state = state
        if self._on_state_change is not None:
            self._on_state_change(self.name, state)
