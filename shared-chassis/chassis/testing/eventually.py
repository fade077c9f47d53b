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
) -> T:
    """Call `probe` until `until(result)` holds; fail with the last result after `within` s."""
    deadline = time.monotonic() + within
    while True:
        result = await probe()
        if until(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {within:.0f} s; last value: {result!r}")
        await asyncio.sleep(interval)
