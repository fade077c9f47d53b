"""Wait for an eventual condition with a deadline (polling, not a fixed sleep)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    *,
    until: Callable[[T], bool] = bool,
    within: float = 30.0,
    interval: float = 0.05,
    what: str = "condition",
    while_progressing: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call `probe` until `until(result)` holds; fail with the last result after `within` s.

    With `while_progressing`, `within` counts from the probe's last change instead of the
    start: a drain that moves slowly on a loaded machine is waited for, one that stalls for
    `within` seconds fails. The verdict is the same on an idle and a busy box; only a real
    stall (nothing applied for `within` s) is a failure."""
    deadline = clock() + within
    last: T | None = None
    while True:
        result = await probe()
        if until(result):
            return result
        if while_progressing and result != last:
            deadline = clock() + within
            last = result
        if clock() > deadline:
            how = " without progress" if while_progressing else ""
            raise AssertionError(
                f"{what} not reached in {within:.0f} s{how}; last value: {result!r}"
            )
        await asyncio.sleep(interval)
