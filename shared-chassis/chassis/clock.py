"""Time for every use case and loop: injected, never read from the wall inside domain code.

Stored times are UTC; the dates of the domain (deadlines, service days) are Shanghai dates.
Tests drive a `ManualClock` instead of racing the real one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def shanghai_date(moment: datetime) -> date:
    """The calendar date of a UTC instant in Asia/Shanghai (the date people see)."""
    return moment.astimezone(SHANGHAI).date()


class ManualClock:
    """A clock that moves only when told to: `clock()` reads it, `advance(...)` moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware start time")
        self._now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, *, seconds: float = 0.0) -> datetime:
        self._now += (delta or timedelta()) + timedelta(seconds=seconds)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


# --- the demo clock (make demo): simulated time shared by every process of a dev stack -------
# A month of a district must pass in minutes, with deadlines, T+1 and month-end happening for
# real. Each process reads the same schedule file (path in HOMEBED_DEMO_CLOCK): a list of knots
# (real instant, simulated instant, rate); simulated now = sim + (real now - real) × rate of the
# last knot already reached. The driver appends knots a little in the future (`schedule_rate`),
# so every process has re-read the file before a change takes effect and all agree on the time.
# Refused in production, like the other dev defaults.

DEMO_CLOCK_ENV = "HOMEBED_DEMO_CLOCK"
Knot = tuple[float, float, float]  # (real unix seconds, simulated unix seconds, rate)


class DemoClockRefused(RuntimeError):
    """HOMEBED_DEMO_CLOCK is set in production."""


class DemoClock:
    """Simulated time from a schedule file; re-read when it changes (checked every `poll_seconds`)."""

    def __init__(
        self, path: str | Path, *, wall: Callable[[], float] = time.time, poll_seconds: float = 0.2
    ) -> None:
        self.path = Path(path)
        self._wall = wall
        self._poll_seconds = poll_seconds
        self._checked_at = float("-inf")
        self._mtime_ns = -1
        self._knots: list[Knot] = read_knots(self.path)

    def __call__(self) -> datetime:
        real = self._wall()
        if real - self._checked_at >= self._poll_seconds:
            self._refresh(real)
        return datetime.fromtimestamp(simulated_at(self._knots, real), UTC)

    def _refresh(self, real: float) -> None:
        self._checked_at = real
        try:
            mtime_ns = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return  # keep the last schedule: the file is being replaced
        if mtime_ns != self._mtime_ns:
            self._knots = read_knots(self.path)
            self._mtime_ns = mtime_ns


def simulated_at(knots: list[Knot], real: float) -> float:
    """The simulated unix time at a real one: the last knot reached, run at its rate."""
    current = knots[0]
    for knot in knots:
        if knot[0] <= real:
            current = knot
    real_at, simulated, rate = current
    return simulated + (real - real_at) * rate


def read_knots(path: Path) -> list[Knot]:
    data = json.loads(path.read_text(encoding="utf-8"))
    knots = [(float(r), float(s), float(rate)) for r, s, rate in data["knots"]]
    if not knots or any(rate < 0 for _, _, rate in knots):
        raise ValueError(f"{path}: a demo clock needs knots with rates >= 0")
    return sorted(knots)


def write_knots(path: Path, knots: list[Knot]) -> None:
    """Atomically: readers see the old schedule or the new one, never half of it."""
    spare = path.with_name(path.name + ".tmp")
    spare.write_text(json.dumps({"knots": knots}), encoding="utf-8")
    os.replace(spare, path)


def start_demo_clock(
    path: Path, start: datetime, rate: float, *, real: float | None = None
) -> None:
    """A new schedule: simulated `start` now, running `rate` times faster than the wall."""
    real = time.time() if real is None else real
    write_knots(path, [(real, start.timestamp(), rate)])


def schedule_rate(path: Path, rate: float, *, lead_seconds: float = 1.0) -> datetime:
    """Change the rate `lead_seconds` from now (every process re-reads the file before then).
    Returns the simulated instant the change takes effect."""
    knots = read_knots(path)
    real = time.time() + lead_seconds
    knots = [k for k in knots if k[0] <= real]  # a later scheduled change is replaced
    simulated = simulated_at(knots, real)
    write_knots(path, [*knots, (real, simulated, rate)])
    return datetime.fromtimestamp(simulated, UTC)


def service_clock() -> Clock:
    """What a service process runs on: the wall clock, or the demo clock in a dev demo stack."""
    path = os.environ.get(DEMO_CLOCK_ENV)
    if not path:
        return utc_now
    if os.environ.get("HOMEBED_ENV", "dev") in {"prod", "production"}:
        raise DemoClockRefused(f"{DEMO_CLOCK_ENV} is a development setting; refused in production")
    return DemoClock(path)


def plan_run(
    path: Path, *, until: datetime, rate: float, then: float, lead_seconds: float = 0.3
) -> float:
    """Run at `rate` from `lead_seconds` from now until simulated `until`, then at `then`.
    Returns the real (unix) instant `until` is reached: the caller sleeps until then."""
    knots = read_knots(path)
    start = time.time() + lead_seconds
    knots = [k for k in knots if k[0] <= start]
    simulated = simulated_at(knots, start)
    target = until.timestamp()
    if target <= simulated or rate <= 0:  # already there: change the rate at once
        write_knots(path, [*knots, (start, simulated, then)])
        return start
    reached = start + (target - simulated) / rate
    write_knots(path, [*knots, (start, simulated, rate), (reached, target, then)])
    return reached
