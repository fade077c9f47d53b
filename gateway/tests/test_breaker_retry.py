"""Circuit breaker state machine (controlled clock) and the retry policy."""

from __future__ import annotations

import random

import pytest

from gateway.edge.breaker import BreakerState, CircuitBreaker
from gateway.edge.retry import RetryPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def changes() -> list[tuple[str, BreakerState]]:
    return []


@pytest.fixture
def breaker(clock: Clock, changes: list[tuple[str, BreakerState]]) -> CircuitBreaker:
    return CircuitBreaker(
        "intake",
        failure_threshold=3,
        open_seconds=10,
        clock=clock,
        on_state_change=lambda name, state: changes.append((name, state)),
    )


def test_opens_after_n_consecutive_failures(breaker: CircuitBreaker) -> None:
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()


def test_a_success_resets_the_failure_count(breaker: CircuitBreaker) -> None:
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_half_open_lets_one_probe_through_and_closes_on_success(
    breaker: CircuitBreaker, clock: Clock, changes: list[tuple[str, BreakerState]]
) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 9.9
    assert not breaker.allow()
    assert breaker.retry_after_seconds() == 1
    clock.now += 0.2
    assert breaker.allow()
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allow()  # the probe is in flight
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()
    assert changes == [
        ("intake", BreakerState.OPEN),
        ("intake", BreakerState.HALF_OPEN),
        ("intake", BreakerState.CLOSED),
    ]


def test_a_failed_probe_opens_again_for_a_full_period(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert breaker.retry_after_seconds() == 10
    clock.now += 5
    assert not breaker.allow()


def test_a_probe_that_never_reports_frees_its_slot(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    clock.now += 5
    assert not breaker.allow()
    clock.now += 5
    assert breaker.allow()


def test_retries_only_idempotent_methods_and_bounded() -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.may_retry("GET", 0)
    assert policy.may_retry("PUT", 1)
    assert not policy.may_retry("GET", 2)
    assert not policy.may_retry("POST", 0)
    assert not policy.may_retry("PATCH", 0)


def test_backoff_is_jittered_within_the_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay_seconds=0.1, max_delay_seconds=0.3)
    rng = random.Random(7)
    delays = [[policy.delay(attempt, rng) for _ in range(200)] for attempt in range(4)]
    for attempt, samples in enumerate(delays):
        ceiling = min(0.3, 0.1 * 2**attempt)
        assert all(0 <= delay <= ceiling for delay in samples)
        assert len(set(samples)) > 100  # jitter, not a constant
    assert max(delays[3]) > 0.2
