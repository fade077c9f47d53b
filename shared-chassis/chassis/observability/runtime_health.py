"""How well the process keeps up: event-loop lag and garbage-collector pauses, as metrics.

A request that waits for the event loop (another coroutine is running, the process is not
scheduled, a collection stops the world) shows in no route's handler time; these two say why the
answer was late anyway. The alarm lane's benchmark reads them from `/metrics`.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from prometheus_client import Histogram

PAUSE_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

EVENT_LOOP_LAG = Histogram(
    "homebed_event_loop_lag_seconds",
    "How late a timer of the event loop fired (sampled every 100 ms): the wait of a ready task.",
    ["service"],
    buckets=PAUSE_BUCKETS,
)
GC_PAUSE = Histogram(
    "homebed_gc_pause_seconds",
    "Garbage-collector pauses (the whole process stops), by generation.",
    ["service", "generation"],
    buckets=PAUSE_BUCKETS,
)


async def watch_event_loop_lag(service: str, *, every: float = 0.1) -> None:
    """Sleep `every` seconds in a loop and record how much later than asked each wake-up came."""
    observe = EVENT_LOOP_LAG.labels(service).observe
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(every)
        observe(max(0.0, time.perf_counter() - asked - every))


class GcPauseTimer:
    """Times every collection through `gc.callbacks`; `install()` once, `remove()` at shutdown."""

    def __init__(self, service: str) -> None:
        self._by_generation = [GC_PAUSE.labels(service, str(g)) for g in range(3)]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            generation = min(int(info.get("generation", 2)), 2)
            self._by_generation[generation].observe(time.perf_counter() - self._started)

    def install(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def remove(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)
