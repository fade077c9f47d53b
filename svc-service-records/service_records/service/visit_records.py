"""What every visit use case shares: detection of EVV exceptions (the domain's checks on this
visit's facts), the verify step (rollup + event), snapshots for versions, and the read model."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chassis.clock import shanghai_date
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Unprocessable
from service_records.domain import evv
from service_records.domain.evv import ExceptionCode, GeoPoint, WorkerVisit
from service_records.domain.vocabulary import VisitMode
from service_records.policies.loader import load_profile
from service_records.policies.model import RecordsProfile
from service_records.repository import RollupRepository, RosterRepository, VisitRepository
from service_records.schemas.visits import ExceptionRead, ObservationRead, VisitRead
from service_records.service.archive import record_visit
from service_records.service.events import VISITS_TOPIC, visit_payload
from service_records.service.plan import complete_tasks
from service_records.service.rollups import count_visit
from service_records.service.roster import bed_facts
from service_records.tables import RosterBedRow, VisitExceptionRow, VisitRow, VisitVersionRow

FUTURE_SLACK = timedelta(minutes=5)
OPEN, EXCEPTION, VERIFIED, REJECTED, VOIDED = "open", "exception", "verified", "rejected", "voided"


def require_not_future(at: datetime, now: datetime, field: str) -> None:
    if at.tzinfo is None:
        raise Unprocessable.field(field, "a time needs a UTC offset")
    if at > now + FUTURE_SLACK:
        raise Unprocessable.field(field, "more than 5 minutes in the future")


def check_items(profile: RecordsProfile, items: list[str], field: str) -> None:
    for index, code in enumerate(items):
        if profile.catalogue.item(code) is None:
            raise Unprocessable.field(
                f"{field}.{index}", f"unknown item code {code!r} in {profile.catalogue.id}"
            )


def categories(profile: RecordsProfile, items: list[str]) -> list[str]:
    found = (profile.catalogue.item(code) for code in items)
    return sorted({item.category.value for item in found if item is not None})


def _place(capture: dict[str, Any] | None) -> GeoPoint | None:
    location = (capture or {}).get("location")
    return GeoPoint(lat=location["lat"], lon=location["lon"]) if location else None


async def detect(
    uow: UnitOfWork,
    visit: VisitRow,
    bed: RosterBedRow,
    profile: RecordsProfile,
    *,
    tolerance_m: float,
    corroboration: str | None,
) -> list[tuple[ExceptionCode, str]]:
    """The exceptions a checked-out visit shows (codes and details), from the domain's checks."""
    found: list[tuple[ExceptionCode, str]] = []
    assert visit.check_out_at is not None
    home = (
        GeoPoint(lat=bed.latitude, lon=bed.longitude)
        if bed.latitude is not None and bed.longitude is not None
        else None
    )
    place = _place(visit.check_in)
    on_site = visit.mode == "on_site"
    if on_site and home and place and evv.checkin_too_far(place, home, tolerance_m):
        metres = round(evv.haversine_m(place, home))
        found.append((ExceptionCode.CHECKIN_TOO_FAR, f"check-in {metres} m from the bed"))
    if evv.duration_over(visit.check_in_at, visit.check_out_at):
        found.append((ExceptionCode.DURATION_OVER_12H, "the visit lasted more than 12 hours"))
    facts = bed_facts(bed, await uow.repo(RosterRepository).suspensions(bed.bed_id))
    if facts is None or evv.bed_not_in_service(facts, visit.service_date, bed.contract_end):
        found.append(
            (ExceptionCode.BED_NOT_IN_SERVICE, f"bed not in service on {visit.service_date}")
        )
    for code in visit.items:
        item = profile.catalogue.item(code)
        if item is not None and evv.role_not_allowed(visit.worker_role, item.roles_allowed):
            found.append(
                (ExceptionCode.ROLE_NOT_ALLOWED, f"{visit.worker_role} may not deliver {code}")
            )
    if evv.caregiver_absent(visit.caregiver_present, profile.caregiver_present_required):
        found.append((ExceptionCode.CAREGIVER_ABSENT, "no family caregiver present"))
    if corroboration == "no_activity":
        found.append((ExceptionCode.NO_ACTIVITY, "the home's sensors saw no activity"))
    found.extend(await _worker_checks(uow, visit))
    return found


async def _worker_checks(uow: UnitOfWork, visit: VisitRow) -> list[tuple[ExceptionCode, str]]:
    """Overlap and impossible travel against the same worker's neighbouring visits."""
    others = [
        v
        for v in await uow.repo(VisitRepository).of_worker_between(
            visit.worker_id,
            visit.service_date - timedelta(days=1),
            visit.service_date + timedelta(days=1),
        )
        if v.id != visit.id and v.check_out_at is not None
    ]
    visits = [visit, *others]
    shaped = [
        WorkerVisit(
            start=v.check_in_at, end=v.check_out_at or v.check_in_at, place=_place(v.check_in)
        )
        for v in visits
    ]
    found: list[tuple[ExceptionCode, str]] = []
    overlaps = [
        visits[j if i == 0 else i].id for i, j in evv.overlapping_pairs(shaped) if 0 in (i, j)
    ]
    if overlaps:
        found.append((ExceptionCode.OVERLAPPING_VISITS, f"overlaps visit {overlaps[0]}"))
    if 0 in evv.travel_exceptions(shaped):
        found.append((ExceptionCode.IMPOSSIBLE_TRAVEL, "too far from the previous visit in time"))
    return found


async def open_exceptions(
    uow: UnitOfWork, visit: VisitRow, found: list[tuple[ExceptionCode, str]], now: datetime
) -> None:
    """Open the exceptions not already recorded (a resolved one stays resolved)."""
    repo = uow.repo(VisitRepository)
    known = {e.code for e in await repo.exceptions(visit.id)}
    for code, detail in found:
        if code.value not in known:
            repo.add_exception(
                VisitExceptionRow(visit_id=visit.id, code=code.value, detail=detail, opened_at=now)
            )
            known.add(code.value)
    await uow.session.flush()


async def settle(
    uow: UnitOfWork,
    visit: VisitRow,
    profile: RecordsProfile,
    now: datetime,
    *,
    event: str,
    reason: str | None = None,
) -> None:
    """Verified when checked out and no exception is open (and none was rejected)."""
    exceptions = await uow.repo(VisitRepository).exceptions(visit.id)
    if visit.check_out_at is None:
        return
    if any(e.reason_code == evv.ResolutionReason.REJECTED.value for e in exceptions):
        visit.status = REJECTED
        return
    if any(e.resolved_at is None for e in exceptions):
        visit.status = EXCEPTION
        return
    visit.status = VERIFIED
    await count_visit(uow.repo(RollupRepository), visit)
    await complete_tasks(uow, visit, now)
    await record_visit(uow, visit, event, now, reason)
    await uow.emit(
        topic=VISITS_TOPIC,
        key=visit.bed_id,
        type_=event,
        subject=visit.id,
        data=visit_payload(
            visit, categories=categories(profile, visit.items), now=now, reason=reason
        ),
    )


def snapshot(visit: VisitRow) -> dict[str, Any]:
    return {
        "version": visit.version,
        "status": visit.status,
        "worker_id": visit.worker_id,
        "worker_role": visit.worker_role,
        "mode": visit.mode,
        "service_date": visit.service_date.isoformat(),
        "check_in": visit.check_in,
        "check_out": visit.check_out,
        "items": list(visit.items),
        "caregiver_present": visit.caregiver_present,
        "corroboration": visit.corroboration,
        "confirmation": visit.confirmation,
    }


def record_version(
    uow: UnitOfWork, visit: VisitRow, ctx: RequestContext, action: str, reason: str | None = None
) -> None:
    uow.repo(VisitRepository).add_version(
        VisitVersionRow(
            visit_id=visit.id,
            version=visit.version,
            action=action,
            snapshot=snapshot(visit),
            actor_sub=ctx.principal.sub,
            actor_role=ctx.principal.role.value,
            reason=reason,
            at=ctx.now,
        )
    )


def profile_of(bed: RosterBedRow) -> RecordsProfile:
    return load_profile(bed.jurisdiction)


def service_date_of(at: datetime) -> Any:
    return shanghai_date(at)


ACTIONS: dict[str, list[str]] = {
    OPEN: ["check_out", "void"],
    EXCEPTION: ["resolve", "correct", "void"],
    VERIFIED: ["correct", "void", "confirm", "dispute"],
    REJECTED: ["correct", "void"],
    VOIDED: [],
}


async def visit_read(uow: UnitOfWork, visit: VisitRow) -> VisitRead:
    repo = uow.repo(VisitRepository)
    return VisitRead(
        id=visit.id,
        version=visit.version,
        bed_id=visit.bed_id,
        worker_id=visit.worker_id,
        worker_role=visit.worker_role,
        mode=VisitMode(visit.mode),
        status=visit.status,
        service_date=visit.service_date,
        check_in_at=visit.check_in_at,
        check_out_at=visit.check_out_at,
        provider_id=visit.provider_id,
        elder_id=visit.elder_id,
        check_in=visit.check_in,
        check_out=visit.check_out,
        items=list(visit.items),
        caregiver_present=visit.caregiver_present,
        corroboration=visit.corroboration,
        confirmation=visit.confirmation,
        confirmation_note=visit.confirmation_note,
        exceptions=[
            ExceptionRead(
                id=e.id,
                code=e.code,
                detail=e.detail,
                opened_at=e.opened_at,
                resolved_at=e.resolved_at,
                resolved_by=e.resolved_by,
                reason_code=e.reason_code,
                note=e.note,
            )
            for e in await repo.exceptions(visit.id)
        ],
        observations=[
            ObservationRead(
                kind=o.kind, value=o.value, value2=o.value2, unit=o.unit, observed_at=o.observed_at
            )
            for o in await repo.observations(visit.id)
        ],
        allowed_actions=ACTIONS.get(visit.status, []),
    )
