"""EVV: the published codes and the pure checks (thresholds documented in domain/evv.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from service_records.domain.evv import (
    EXCEPTION_CODES,
    EXCEPTION_DESCRIPTIONS,
    RESOLUTION_DESCRIPTIONS,
    RESOLUTION_REASONS,
    ExceptionCode,
    GeoPoint,
    WorkerVisit,
    bed_not_in_service,
    caregiver_absent,
    checkin_too_far,
    duration_over,
    haversine_m,
    impossible_travel,
    no_activity,
    no_checkout,
    overlapping_pairs,
    role_not_allowed,
    travel_exceptions,
)
from service_records.domain.minimums import BedFacts, Suspension

T0 = datetime(2022, 6, 1, 1, 0, tzinfo=UTC)
XUANCHENG_OFFICE = GeoPoint(30.9406, 118.7588)


def test_the_published_codes() -> None:
    assert EXCEPTION_CODES == (
        "no_checkout_12h",
        "checkin_too_far",
        "duration_over_12h",
        "overlapping_visits",
        "impossible_travel",
        "bed_not_in_service",
        "role_not_allowed",
        "caregiver_absent",
        "no_activity",
    )
    assert set(EXCEPTION_DESCRIPTIONS) == set(ExceptionCode)
    assert set(RESOLUTION_DESCRIPTIONS) == set(RESOLUTION_REASONS)
    assert "rejected" in RESOLUTION_REASONS


def test_haversine() -> None:
    # one degree of latitude is about 111.2 km
    assert haversine_m(GeoPoint(30, 118), GeoPoint(31, 118)) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(XUANCHENG_OFFICE, XUANCHENG_OFFICE) == 0


def test_checkin_tolerance_is_200_m() -> None:
    near = GeoPoint(XUANCHENG_OFFICE.lat + 0.0017, XUANCHENG_OFFICE.lon)  # ~189 m
    far = GeoPoint(XUANCHENG_OFFICE.lat + 0.0019, XUANCHENG_OFFICE.lon)  # ~211 m
    assert not checkin_too_far(near, XUANCHENG_OFFICE)
    assert checkin_too_far(far, XUANCHENG_OFFICE)


def test_twelve_hour_limits() -> None:
    assert not no_checkout(T0, T0 + timedelta(hours=12))
    assert no_checkout(T0, T0 + timedelta(hours=12, seconds=1))
    assert duration_over(T0, T0 + timedelta(hours=12, seconds=1))
    assert not duration_over(T0, T0 + timedelta(hours=12))


def test_overlapping_visits_of_one_worker() -> None:
    visits = [
        WorkerVisit(T0, T0 + timedelta(hours=2)),
        WorkerVisit(T0 + timedelta(hours=2), T0 + timedelta(hours=3)),  # touches: fine
        WorkerVisit(T0 + timedelta(hours=1), T0 + timedelta(hours=1, minutes=30)),
    ]
    assert overlapping_pairs(visits) == [(0, 2)]


def test_impossible_travel_above_100_kmh() -> None:
    """15 km in 5 minutes is 180 km/h; in 15 minutes it is 60 km/h."""
    a = WorkerVisit(T0, T0 + timedelta(hours=1), XUANCHENG_OFFICE)
    there = GeoPoint(XUANCHENG_OFFICE.lat + 15_000 / 111_195, XUANCHENG_OFFICE.lon)
    fast = WorkerVisit(T0 + timedelta(hours=1, minutes=5), T0 + timedelta(hours=2), there)
    slow = WorkerVisit(T0 + timedelta(hours=1, minutes=15), T0 + timedelta(hours=2), there)
    assert impossible_travel(a, fast)
    assert not impossible_travel(a, slow)
    assert travel_exceptions([fast, a]) == [0]
    # GPS noise: a 300 m jump at once is not travel
    next_door = GeoPoint(XUANCHENG_OFFICE.lat + 300 / 111_195, XUANCHENG_OFFICE.lon)
    assert not impossible_travel(a, WorkerVisit(a.end, a.end, next_door))


def test_bed_not_in_service() -> None:
    bed = BedFacts(date(2022, 6, 1), (Suspension(date(2022, 6, 10), date(2022, 6, 12)),))
    assert bed_not_in_service(bed, date(2022, 5, 31))
    assert bed_not_in_service(bed, date(2022, 6, 12))
    assert not bed_not_in_service(bed, date(2022, 6, 13))
    assert bed_not_in_service(bed, date(2022, 12, 2), contract_end=date(2022, 12, 1))


def test_role_caregiver_and_activity_checks() -> None:
    assert role_not_allowed("caregiver", ("nurse", "doctor"))
    assert not role_not_allowed("nurse", ("nurse", "doctor"))
    assert caregiver_absent(False, required=True)
    assert not caregiver_absent(None, required=True)
    assert not caregiver_absent(False, required=False)
    end = T0 + timedelta(hours=1)
    assert no_activity(T0, end, [T0 - timedelta(hours=1)])
    assert not no_activity(T0, end, [T0 + timedelta(minutes=30)])
