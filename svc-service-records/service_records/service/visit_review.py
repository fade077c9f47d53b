"""After a visit: a provider admin resolves exceptions, corrects (a new version) or voids it;
the elder or family confirm or dispute it."""

from __future__ import annotations

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import IllegalTransition, NotFound, Unprocessable
from chassis.principal import Role
from service_records.repository import RollupRepository, RosterRepository, VisitRepository
from service_records.schemas.visits import (
    ExceptionResolve,
    VisitConfirm,
    VisitCorrect,
    VisitDispute,
    VisitRead,
    VisitVoid,
)
from service_records.service.access import scope_for
from service_records.service.archive import record_visit
from service_records.service.events import VISITS_TOPIC, visit_payload
from service_records.service.rollups import count_visit
from service_records.service.visit_records import (
    ACTIONS,
    EXCEPTION,
    VERIFIED,
    VOIDED,
    categories,
    check_items,
    detect,
    open_exceptions,
    profile_of,
    record_version,
    require_not_future,
    service_date_of,
    settle,
    visit_read,
)
from service_records.tables import VisitRow


async def _visible(uow: UnitOfWork, ctx: RequestContext, visit_id: str) -> VisitRow:
    visit = await uow.repo(VisitRepository).visible(visit_id, await scope_for(uow, ctx.principal))
    if visit is None:
        raise NotFound("Visit")
    return visit


def _require_action(visit: VisitRow, action: str) -> None:
    allowed = ACTIONS.get(visit.status, [])
    if action not in allowed:
        raise IllegalTransition(
            state=visit.status, action=action, allowed_actions=allowed, entity="visit"
        )


async def resolve_exception(
    *, uow: UnitOfWork, ctx: RequestContext, visit_id: str, exception_id: int, cmd: ExceptionResolve
) -> VisitRead:
    """Close an exception with a reason code and a note; the last one closed verifies the visit."""
    async with uow:
        visit = await _visible(uow, ctx, visit_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        _require_action(visit, "resolve")
        repo = uow.repo(VisitRepository)
        found = next((e for e in await repo.exceptions(visit.id) if e.id == exception_id), None)
        if found is None:
            raise NotFound("Exception")
        if found.resolved_at is not None:
            raise IllegalTransition(
                state="resolved", action="resolve", allowed_actions=[], entity="exception"
            )
        found.resolved_at, found.resolved_by = ctx.now, ctx.principal.sub
        found.reason_code, found.note = cmd.reason_code.value, cmd.note
        bed = await uow.repo(RosterRepository).get(visit.bed_id)
        assert bed is not None
        await uow.session.flush()
        await settle(uow, visit, profile_of(bed), ctx.now, event="visit.verified")
        visit.updated_at = ctx.now
        record_version(uow, visit, ctx, f"resolve:{found.code}", cmd.note)
        await uow.commit()
        return await visit_read(uow, visit)


async def correct_visit(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    visit_id: str,
    cmd: VisitCorrect,
    tolerance_m: float,
) -> VisitRead:
    """A new version of the visit with corrected facts; the old version stays readable."""
    async with uow:
        visit = await _visible(uow, ctx, visit_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        _require_action(visit, "correct")
        bed = await uow.repo(RosterRepository).get(visit.bed_id)
        assert bed is not None
        profile = profile_of(bed)
        was_verified = visit.status == VERIFIED
        check_in_at = cmd.check_in_at or visit.check_in_at
        check_out_at = cmd.check_out_at or visit.check_out_at
        require_not_future(check_in_at, ctx.now, "body.check_in_at")
        if check_out_at is not None:
            require_not_future(check_out_at, ctx.now, "body.check_out_at")
            if check_out_at <= check_in_at:
                raise Unprocessable.field("body.check_out_at", "check-out must be after check-in")
        if cmd.items is not None:
            check_items(profile, cmd.items, "body.items")
        if visit.counted:
            await count_visit(uow.repo(RollupRepository), visit, sign=-1)
        visit.version += 1
        visit.check_in_at, visit.check_out_at = check_in_at, check_out_at
        visit.check_in = {**visit.check_in, "at": check_in_at.isoformat()}
        if visit.check_out is not None and check_out_at is not None:
            visit.check_out = {**visit.check_out, "at": check_out_at.isoformat()}
        visit.service_date = service_date_of(check_in_at)
        if cmd.items is not None:
            visit.items = list(cmd.items)
        if cmd.caregiver_present is not None:
            visit.caregiver_present = cmd.caregiver_present
        if cmd.mode is not None:
            visit.mode = cmd.mode.value
        visit.status = EXCEPTION
        visit.updated_at = ctx.now
        found = await detect(
            uow, visit, bed, profile, tolerance_m=tolerance_m, corroboration=visit.corroboration
        )
        await open_exceptions(uow, visit, found, ctx.now)
        await settle(
            uow,
            visit,
            profile,
            ctx.now,
            event="visit.corrected" if was_verified else "visit.verified",
            reason=cmd.reason,
        )
        record_version(uow, visit, ctx, "correct", cmd.reason)
        await uow.commit()
        return await visit_read(uow, visit)


async def void_visit(
    *, uow: UnitOfWork, ctx: RequestContext, visit_id: str, cmd: VisitVoid
) -> VisitRead:
    """Void a visit (it did not happen, or was recorded twice); it stops counting."""
    async with uow:
        visit = await _visible(uow, ctx, visit_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        _require_action(visit, "void")
        bed = await uow.repo(RosterRepository).get(visit.bed_id)
        assert bed is not None
        if visit.counted:
            await count_visit(uow.repo(RollupRepository), visit, sign=-1)
        visit.version += 1
        visit.status = VOIDED
        visit.updated_at = ctx.now
        await uow.emit(
            topic=VISITS_TOPIC,
            key=visit.bed_id,
            type_="visit.voided",
            subject=visit.id,
            data=visit_payload(
                visit,
                categories=categories(profile_of(bed), visit.items),
                now=ctx.now,
                reason=cmd.reason,
            ),
        )
        await record_visit(uow, visit, "visit.voided", ctx.now, cmd.reason)
        record_version(uow, visit, ctx, "void", cmd.reason)
        await uow.commit()
        return await visit_read(uow, visit)


async def confirm_visit(
    *, uow: UnitOfWork, ctx: RequestContext, visit_id: str, cmd: VisitConfirm
) -> VisitRead:
    """The elder or family confirm the visit happened."""
    return await _answer(uow, ctx, visit_id, "confirmed", cmd.note)


async def dispute_visit(
    *, uow: UnitOfWork, ctx: RequestContext, visit_id: str, cmd: VisitDispute
) -> VisitRead:
    """The elder or family dispute the visit; the provider admin sees the note."""
    return await _answer(uow, ctx, visit_id, "disputed", cmd.note)


async def _answer(
    uow: UnitOfWork, ctx: RequestContext, visit_id: str, answer: str, note: str | None
) -> VisitRead:
    async with uow:
        visit = await _visible(uow, ctx, visit_id)
        require_role(ctx.principal, Role.ELDER, Role.FAMILY)
        _require_action(visit, "confirm")
        visit.confirmation, visit.confirmation_note = answer, note
        visit.updated_at = ctx.now
        record_version(uow, visit, ctx, answer, note)
        await uow.commit()
        return await visit_read(uow, visit)
