"""Rate-limit decisions and headers (limits, in memory); request id sanity."""

from __future__ import annotations

import pytest

from gateway.edge.ratelimit import (
    RateDecision,
    TokenBucketLimiter,
    build_rate_limiter,
    parse_limit,
)
from gateway.edge.request_id import is_sane, request_id_from


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_token_bucket_allows_a_burst_then_the_refill_rate() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(clock=clock)
    limit = parse_limit("3/minute")  # 3 tokens, one back every 20 s
    decisions = [await limiter.hit(limit, "sub:officer-7") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[3].limit == 3
    assert decisions[3].reset_seconds == 20  # until one token is back
    assert decisions[2].reset_seconds == 60  # until the bucket is full
    clock.now += 19.9
    assert not (await limiter.hit(limit, "sub:officer-7")).allowed
    clock.now += 0.2
    refilled = await limiter.hit(limit, "sub:officer-7")
    assert refilled.allowed
    assert refilled.remaining == 0
    # Another key has its own bucket.
    assert (await limiter.hit(limit, "sub:officer-8")).allowed


async def test_token_bucket_never_holds_more_than_its_capacity() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(clock=clock)
    limit = parse_limit("2/second")
    clock.now += 3600
    results = [(await limiter.hit(limit, "k")).allowed for _ in range(3)]
    assert results == [True, True, False]


def test_token_bucket_forgets_idle_buckets() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(clock=clock, sweep_every=10)
    limit = parse_limit("5/second")
    for index in range(9):
        limiter.hit_now(limit, f"k{index}")
    assert len(limiter) == 9
    clock.now += 1.0  # every bucket is full again
    limiter.hit_now(limit, "fresh")  # the 10th hit sweeps
    assert len(limiter) == 1


@pytest.mark.parametrize("strategy", ["moving-window", "sliding-window-counter", "fixed-window"])
async def test_limits_strategies_refuse_after_the_quota(strategy: str) -> None:
    limiter = build_rate_limiter("memory://", strategy)
    limit = parse_limit("3/minute")
    decisions = [await limiter.hit(limit, "p:officer-7") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert 0 < decisions[3].reset_seconds <= 60
    assert (await limiter.hit(limit, "p:officer-8")).allowed


def test_headers_carry_ratelimit_fields_and_retry_after_only_on_refusal() -> None:
    allowed = dict(RateDecision(True, 10, 9, 60).headers())
    assert allowed == {
        b"ratelimit-limit": b"10",
        b"ratelimit-remaining": b"9",
        b"ratelimit-reset": b"60",
    }
    refused = dict(RateDecision(False, 10, 0, 0).headers())
    assert refused[b"retry-after"] == b"1"
    assert refused[b"ratelimit-remaining"] == b"0"


def test_unknown_strategy_and_token_bucket_on_redis_are_refused() -> None:
    with pytest.raises(ValueError, match="leaky"):
        build_rate_limiter("memory://", "leaky-bucket")
    with pytest.raises(ValueError, match="memory only"):
        build_rate_limiter("redis://127.0.0.1:6379", "token-bucket")


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("abc-123_XYZ.9:1", True),
        ("0f8e2c1a-9b7d-4e3f-8a2b-1c0d9e8f7a6b", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("bad id", False),
        ("x\r\nSet-Cookie: a=b", False),
        ("short", False),
        ("", False),
        (None, False),
    ],
)
def test_request_id_is_kept_only_when_sane(incoming: str | None, kept: bool) -> None:
    result = request_id_from(incoming)
    assert (result == incoming) is kept
    assert is_sane(result)
