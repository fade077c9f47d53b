"""Electronic visit verification (EVV): the published exception and resolution codes, and the
pure checks that raise them.

A visit that trips a check is recorded with its exception code and does not count toward the
minimums until a supervisor resolves it with a resolution reason (then it is `verified`).
Thresholds are defaults a provider's settings may tighten:

- `checkin_too_far`: check-in farther than 200 m from the bed's address (GPS fixes in a city
  are good to tens of metres; 200 m absorbs tall buildings and a lift ride).
- `no_checkout_12h` / `duration_over_12h`: 12 hours, longer than any item of 001 附件3 / 002
  附件2 on one visit; a 24-hour hospital escort (002 附件2 (四)2 住院陪护) is recorded as
  several visits.
- `impossible_travel`: one worker would have to move faster than 100 km/h between the end of a
  visit and the start of the next (the service radius is about 15 minutes, 001 §四(二)2;
  100 km/h leaves room for urban expressways), ignoring moves shorter than twice the check-in
  tolerance (GPS noise).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise

from service_records.domain.minimums import BedFacts

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
CHECKIN_TOLERANCE_M = 200.0
MAX_VISIT = timedelta(hours=12)
MAX_TRAVEL_SPEED_KMH = 100.0


class ExceptionCode(StrEnum):
    NO_CHECKOUT_12H = "no_checkout_12h"
    CHECKIN_TOO_FAR = "checkin_too_far"
    DURATION_OVER_12H = "duration_over_12h"
    OVERLAPPING_VISITS = "overlapping_visits"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    BED_NOT_IN_SERVICE = "bed_not_in_service"
    ROLE_NOT_ALLOWED = "role_not_allowed"
    CAREGIVER_ABSENT = "caregiver_absent"
    NO_ACTIVITY = "no_activity"


EXCEPTION_DESCRIPTIONS: dict[ExceptionCode, str] = {
    ExceptionCode.NO_CHECKOUT_12H: "checked in, no check-out 12 hours later",
    ExceptionCode.CHECKIN_TOO_FAR: "check-in farther than the tolerance (200 m) from the bed",
    ExceptionCode.DURATION_OVER_12H: "the visit lasted more than 12 hours",
    ExceptionCode.OVERLAPPING_VISITS: "the worker was in two visits at once",
    ExceptionCode.IMPOSSIBLE_TRAVEL: "the worker could not travel from the previous visit in time",
    ExceptionCode.BED_NOT_IN_SERVICE: "the bed was suspended or outside its contract that day",
    ExceptionCode.ROLE_NOT_ALLOWED: "the worker's role may not deliver this service item",
    ExceptionCode.CAREGIVER_ABSENT: "no family caregiver present (001 §五(三), 002 §七(一)3)",
    ExceptionCode.NO_ACTIVITY: "the home's devices saw no activity during the visit",
}


class ResolutionReason(StrEnum):
    """Why a supervisor accepted (or rejected) a visit with an exception."""

    GPS_INACCURATE = "gps_inaccurate"  # the device's fix was off; address confirmed otherwise
    FORGOT_CHECKOUT = "forgot_checkout"  # end time corrected from the worker's report
    DEVICE_FAILURE = "device_failure"  # phone or home device down; visit confirmed otherwise
    SERVICE_OFF_SITE = "service_off_site"  # escort to a clinic or outing (陪同诊疗 / 陪同外出)
    EMERGENCY = "emergency"  # alarm response or emergency aid (应急援助)
    ELDER_CONFIRMED = "elder_confirmed"  # the elder or family confirmed the visit
    SCHEDULE_CORRECTED = "schedule_corrected"  # times or worker entered wrongly, corrected
    CAREGIVER_UNAVAILABLE = "caregiver_unavailable"  # documented reason, supervisor accepts
    REJECTED = "rejected"  # the visit did not happen as recorded: it stays uncounted


RESOLUTION_DESCRIPTIONS: dict[ResolutionReason, str] = {
    ResolutionReason.GPS_INACCURATE: "GPS fix inaccurate; presence confirmed another way",
    ResolutionReason.FORGOT_CHECKOUT: "worker forgot to check out; end time corrected",
    ResolutionReason.DEVICE_FAILURE: "worker's phone or home device failed",
    ResolutionReason.SERVICE_OFF_SITE: "service delivered away from home (escort, outing)",
    ResolutionReason.EMERGENCY: "emergency response; normal rules suspended",
    ResolutionReason.ELDER_CONFIRMED: "elder or family confirmed the visit",
    ResolutionReason.SCHEDULE_CORRECTED: "times or worker corrected after a data-entry error",
    ResolutionReason.CAREGIVER_UNAVAILABLE: "family caregiver unavailable, documented",
    ResolutionReason.REJECTED: "visit rejected; it does not count",
}

EXCEPTION_CODES: tuple[str, ...] = tuple(code.value for code in ExceptionCode)
RESOLUTION_REASONS: tuple[str, ...] = tuple(reason.value for reason in ResolutionReason)


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat <= 90.0 and -180.0 <= self.lon <= 180.0):
            raise ValueError("latitude in [-90, 90], longitude in [-180, 180]")


@dataclass(frozen=True)
class WorkerVisit:
    """One worker's visit for the cross-visit checks (overlap, travel)."""

    start: datetime
    end: datetime
    place: GeoPoint | None = None


def haversine_m(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi = phi2 - phi1
    dlmb = math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def checkin_too_far(
    checkin: GeoPoint, home: GeoPoint, tolerance_m: float = CHECKIN_TOLERANCE_M
) -> bool:
    return haversine_m(checkin, home) > tolerance_m


def no_checkout(start: datetime, now: datetime, limit: timedelta = MAX_VISIT) -> bool:
    """Still open (no end) more than `limit` after check-in."""
    return now - start > limit


def duration_over(start: datetime, end: datetime, limit: timedelta = MAX_VISIT) -> bool:
    return end - start > limit


def travel_speed_kmh(a: WorkerVisit, b: WorkerVisit) -> float | None:
    """Speed needed from the end of `a` to the start of `b` (None without both places)."""
    if a.place is None or b.place is None:
        return None
    metres = haversine_m(a.place, b.place)
    seconds = (b.start - a.end).total_seconds()
    if seconds <= 0:
        return math.inf if metres > 0 else 0.0
    return metres / seconds * 3.6


def impossible_travel(
    a: WorkerVisit,
    b: WorkerVisit,
    max_speed_kmh: float = MAX_TRAVEL_SPEED_KMH,
    noise_m: float = 2 * CHECKIN_TOLERANCE_M,
) -> bool:
    """`b` follows `a` for one worker, and getting there needs more than `max_speed_kmh`."""
    if a.place is None or b.place is None or haversine_m(a.place, b.place) <= noise_m:
        return False
    speed = travel_speed_kmh(a, b)
    return speed is not None and speed > max_speed_kmh


def overlapping_pairs(visits: Sequence[WorkerVisit]) -> list[tuple[int, int]]:
    """Index pairs (i < j) of one worker's visits that overlap in time (touching is fine).

    Sort-and-sweep, O(n log n + overlaps).
    """
    order = sorted(range(len(visits)), key=lambda i: (visits[i].start, visits[i].end))
    pairs: list[tuple[int, int]] = []
    active: list[int] = []
    for i in order:
        start = visits[i].start
        active = [j for j in active if visits[j].end > start]
        pairs.extend((min(i, j), max(i, j)) for j in active)
        active.append(i)
    return sorted(pairs)


def travel_exceptions(
    visits: Sequence[WorkerVisit], max_speed_kmh: float = MAX_TRAVEL_SPEED_KMH
) -> list[int]:
    """Indexes of visits a worker could not have reached in time from the previous one."""
    order = sorted(range(len(visits)), key=lambda i: visits[i].start)
    return sorted(
        b
        for a, b in pairwise(order)
        if visits[b].start >= visits[a].end
        and impossible_travel(visits[a], visits[b], max_speed_kmh)
    )


def bed_not_in_service(bed: BedFacts, day: date, contract_end: date | None = None) -> bool:
    """Suspended that day, before the established date, after the end, or after the contract."""
    if contract_end is not None and day > contract_end:
        return True
    return not bed.is_active(day)


def role_not_allowed(role: str, roles_allowed: Collection[str]) -> bool:
    return role not in roles_allowed


def caregiver_absent(caregiver_present: bool | None, required: bool) -> bool:
    """The jurisdiction requires a family caregiver present and the visit says there was none."""
    return required and caregiver_present is False


def no_activity(
    start: datetime,
    end: datetime,
    device_events: Iterable[datetime],
    slack: timedelta = timedelta(minutes=5),
) -> bool:
    """The home's sensors (PIR, door contact, mattress) saw nothing from start to end (± slack).

    Only meaningful where the bed has activity sensors; the caller decides that.
    """
    lo, hi = start - slack, end + slack
    return not any(lo <= moment <= hi for moment in device_events)
