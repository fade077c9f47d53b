"""The demo clock (make demo): simulated time shared through a schedule file, never in production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chassis.clock import (
    DEMO_CLOCK_ENV,
    DemoClock,
    DemoClockRefused,
    plan_run,
    read_knots,
    service_clock,
    start_demo_clock,
    utc_now,
    write_knots,
)

START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


class Wall:
    """A hand-moved wall clock (unix seconds) for the demo clock to scale."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_simulated_time_runs_at_the_rate_and_follows_scheduled_changes(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    wall = Wall(1000.0)
    start_demo_clock(path, START, rate=1440, real=1000.0)
    clock = DemoClock(path, wall=wall, poll_seconds=0)
    assert clock() == START
    wall.now = 1060.0  # a real minute is a simulated day at 1440×
    assert clock() == START + timedelta(days=1)
    # slowed to real time from real 1070 (written ahead, as schedule_rate does)
    knots = read_knots(path)
    write_knots(path, [*knots, (1070.0, START.timestamp() + 1440 * 70, 1.0)])
    wall.now = 1065.0
    assert clock() == START + timedelta(seconds=1440 * 65)  # not yet in effect
    wall.now = 1080.0
    assert clock() == START + timedelta(seconds=1440 * 70 + 10)


def test_a_missing_file_keeps_the_last_schedule(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    wall = Wall(0.0)
    start_demo_clock(path, START, rate=2, real=0.0)
    clock = DemoClock(path, wall=wall, poll_seconds=0)
    path.unlink()
    wall.now = 5.0
    assert clock() == START + timedelta(seconds=10)


def test_service_clock_is_the_wall_unless_the_demo_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DEMO_CLOCK_ENV, raising=False)
    assert service_clock() is utc_now
    path = tmp_path / "clock.json"
    start_demo_clock(path, START, rate=0)
    monkeypatch.setenv(DEMO_CLOCK_ENV, str(path))
    monkeypatch.setenv("HOMEBED_ENV", "dev")
    assert service_clock()() == START


@pytest.mark.parametrize("env", ["prod", "production"])
def test_the_demo_clock_is_refused_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    path = tmp_path / "clock.json"
    start_demo_clock(path, START, rate=1)
    monkeypatch.setenv(DEMO_CLOCK_ENV, str(path))
    monkeypatch.setenv("HOMEBED_ENV", env)
    with pytest.raises(DemoClockRefused):
        service_clock()


def test_plan_run_lands_on_the_instant_then_changes_rate(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    start_demo_clock(path, START, rate=0)  # frozen
    reached = plan_run(path, until=START + timedelta(hours=2), rate=7200, then=0)
    knots = read_knots(path)
    assert knots[-1] == (reached, (START + timedelta(hours=2)).timestamp(), 0)
    wall = Wall(reached + 100)  # long after: frozen on the instant
    assert DemoClock(path, wall=wall, poll_seconds=0)() == START + timedelta(hours=2)
    wall.now = reached - 0.5  # half a real second before: an hour earlier at 7200×
    assert DemoClock(path, wall=wall, poll_seconds=0)() == START + timedelta(hours=1)
