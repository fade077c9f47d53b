"""`eventually`: a fixed deadline, or a deadline from the probe's last change (chaos drains)."""

from __future__ import annotations

import pytest

from chassis.testing.eventually import eventually


class SteppedClock:
    """Each probe call advances this clock by `step` seconds: time never comes from the wall."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        return self.now


def counter(clock: SteppedClock, values: list[int]):
    calls = iter(values)

    async def probe() -> int:
        clock.now += clock.step
        return next(calls)

    return probe


async def test_a_fixed_deadline_fails_a_slow_but_moving_drain() -> None:
    clock = SteppedClock(step=10.0)
    probe = counter(clock, list(range(100)))
    with pytest.raises(AssertionError, match=r"drained not reached in 30 s; last value: 3"):
        await eventually(
            probe, until=lambda n: n >= 50, within=30, interval=0, what="drained", clock=clock
        )


async def test_while_progressing_waits_for_a_slow_drain_past_within() -> None:
    clock = SteppedClock(step=10.0)
    probe = counter(clock, list(range(100)))
    result = await eventually(
        probe,
        until=lambda n: n >= 50,
        within=30,
        interval=0,
        while_progressing=True,
        what="drained",
        clock=clock,
    )
    assert result == 50
    assert clock.now == pytest.approx(510.0)  # far past `within`: it moved every call


async def test_while_progressing_fails_once_the_value_stalls_for_within() -> None:
    clock = SteppedClock(step=10.0)
    probe = counter(clock, [1, 2, 3] + [3] * 20)
    with pytest.raises(
        AssertionError, match=r"not reached in 30 s without progress; last value: 3"
    ):
        await eventually(
            probe,
            until=lambda n: n >= 50,
            within=30,
            interval=0,
            while_progressing=True,
            what="drained",
            clock=clock,
        )
    assert clock.now == pytest.approx(70.0)  # stalled at 30 s, failed 4 probes later
