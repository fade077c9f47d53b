"""Garbage-collector settings for a process that serves alarms while telemetry streams through.

Measured in `make bench-alarm` (20,000 readings/s): with CPython's defaults the API process ran
a full collection every ~5 s, each one stopping the event loop for 120-280 ms while it walked
every object the imports left behind (FastAPI, SQLAlchemy, pydantic, aiokafka). Every alarm in
flight waited that long. Two changes:
- `gc.freeze()` once started: the import-time heap moves to the permanent generation, so a full
  collection walks only what the service allocated since, a small fraction;
- a larger young generation: a telemetry request's objects (100 decoded readings, its futures)
  are garbage a few milliseconds later, and collecting the young generation every 700
  allocations promoted many of them while still in flight, feeding the full collections.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def tune_gc() -> None:
    """Call once the service has started (imports done, runtime built)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
