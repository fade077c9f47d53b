"""Officer use cases: assessment, review by level (street, then district where the profile says),
rejection. The last review level approves the application and opens the bed (status preparing)
with its bed-setup guidance list (建床指导清单)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.errors import Conflict, PreconditionFailed
from chassis.principal import Role
from intake.domain.application import (
    Assessment,
    approve,
    check_assessment,
    next_review_level,
)
from intake.domain.guidance import build_guidance
from intake.domain.lifecycle import (
    ApplicationAction,
    ApplicationStatus,
    BedStatus,
    application_target,
    check_application_action,
)
from intake.policies.loader import load_catalogue, load_profile
from intake.repository import SqlRepository
from intake.schemas.applications import ApplicationRead, AssessmentIn, RejectIn, ReviewIn
from intake.service.applications import (
    SAME_OFFICER,
    application_answer,
    bed_problems,
    visible_application,
)
from intake.service.context import IntakeContext
from intake.service.events import emit_application_event
from intake.service.facts import eligibility_snapshot, evaluate_application, facts_of
from intake.tables import ApplicationRow, BedRow, ElderRow


async def assess_application(
    *, uow: UnitOfWork, ctx: IntakeContext, application_id: str, cmd: AssessmentIn
) -> ApplicationRead:
    """Record the ability (or care-needs) assessment; eligibility is re-evaluated with it."""
    async with uow:
        row, elder = await _for_officer(uow, ctx, application_id)
        status = application_target(ApplicationStatus(row.status), ApplicationAction.ASSESS)
        profile = load_profile(row.jurisdiction)
        assessment = Assessment(
            scale=cmd.scale,
            assessor=cmd.assessor,
            assessed_on=cmd.assessed_on,
            ability_level=cmd.ability_level,
            care_needs_level=cmd.care_needs_level,
        )
        check_assessment(assessment, profile_scale=profile.assessment_scale)
        if cmd.assessed_on > ctx.today:
            raise PreconditionFailed(action="assess", problems=["assessed_on lies in the future"])
        row.status = status.value
        row.assessment = {
            "scale": cmd.scale,
            "ability_level": cmd.ability_level.value if cmd.ability_level else None,
            "care_needs_level": cmd.care_needs_level,
            "assessor": cmd.assessor,
            "assessed_on": cmd.assessed_on.isoformat(),
        }
        row.ability_level = cmd.ability_level.value if cmd.ability_level else None
        row.care_needs_level = cmd.care_needs_level
        row.eligibility = eligibility_snapshot(row, elder, as_of=ctx.today)
        row.updated_at = ctx.now
        priority = bool(row.eligibility["priority"])
        await emit_application_event(uow, row, "assessed", priority=priority)
        answer = await application_answer(uow, ctx, row, elder)
        await uow.commit()
        return answer


async def review_application(
    *, uow: UnitOfWork, ctx: IntakeContext, application_id: str, cmd: ReviewIn
) -> ApplicationRead:
    """Pass one review level; the last one approves and opens the bed (`bed_id` answers it)."""
    async with uow:
        row, elder = await _for_officer(uow, ctx, application_id)
        profile = load_profile(row.jurisdiction)
        done = [r["level"] for r in row.reviews if r["decision"] == "passed"]
        check_application_action(ApplicationStatus(row.status), ApplicationAction.APPROVE)
        if any(r["officer"] == ctx.principal.sub for r in row.reviews):
            raise Conflict(SAME_OFFICER)
        result = evaluate_application(row, elder, as_of=ctx.today)
        status = approve(
            ApplicationStatus(row.status),
            level=cmd.level,
            required=profile.review.levels,
            done=done,
            unmet_rules=result.unmet,
        )
        problems = await bed_problems(uow, row)
        if problems:
            raise PreconditionFailed(action="approve", problems=problems)
        review = {
            "level": cmd.level,
            "officer": ctx.principal.sub,
            "decision": "passed",
            "note": cmd.note,
            "at": ctx.now.isoformat(),
        }
        row.reviews = [*row.reviews, review]
        row.status = status.value
        row.updated_at = ctx.now
        if status is ApplicationStatus.APPROVED:
            row.decided_at = ctx.now
            row.active_elder_id = None
            repo = uow.repo(SqlRepository)
            await repo.flush()  # free the elder's active slot before the bed takes it
            bed = _open_bed(ctx, row, elder)
            repo.add(bed)
            await emit_application_event(uow, row, "approved", priority=result.priority)
        answer = await application_answer(uow, ctx, row, elder)
        await uow.commit()
        return answer


async def reject_application(
    *, uow: UnitOfWork, ctx: IntakeContext, application_id: str, cmd: RejectIn
) -> ApplicationRead:
    """Reject the application at the review level it has reached; it frees the elder."""
    async with uow:
        row, elder = await _for_officer(uow, ctx, application_id)
        done = [r["level"] for r in row.reviews if r["decision"] == "passed"]
        level = next_review_level(load_profile(row.jurisdiction).review.levels, done)
        row.status = application_target(
            ApplicationStatus(row.status), ApplicationAction.REJECT
        ).value
        row.decision_reason = cmd.reason
        row.reviews = [
            *row.reviews,
            {
                "level": level or "street",
                "officer": ctx.principal.sub,
                "decision": "rejected",
                "note": cmd.reason,
                "at": ctx.now.isoformat(),
            },
        ]
        row.active_elder_id = None
        row.decided_at = row.updated_at = ctx.now
        await emit_application_event(uow, row, "rejected")
        answer = await application_answer(uow, ctx, row, elder)
        await uow.commit()
        return answer


async def _for_officer(
    uow: UnitOfWork, ctx: IntakeContext, application_id: str
) -> tuple[ApplicationRow, ElderRow]:
    row, elder = await visible_application(uow.repo(SqlRepository), ctx, application_id)
    require_role(ctx.principal, Role.OFFICER)
    return row, elder


def _open_bed(ctx: IntakeContext, row: ApplicationRow, elder: ElderRow) -> BedRow:
    assert row.provider_id is not None
    assert row.economic_status is not None
    guidance = build_guidance(
        load_profile(row.jurisdiction), load_catalogue(), facts_of(row, elder), as_of=ctx.today
    )
    return BedRow(
        id=str(uuid.uuid4()),
        application_id=row.id,
        elder_id=row.elder_id,
        active_elder_id=row.elder_id,
        applicant_sub=row.applicant_sub,
        provider_id=row.provider_id,
        jurisdiction=row.jurisdiction,
        region_code=row.region_code,
        status=BedStatus.PREPARING.value,
        ability_level=row.ability_level,
        care_needs_level=row.care_needs_level,
        economic_status=row.economic_status,
        guidance=_jsonable(dataclasses.asdict(guidance)),
        inspections=[],
        created_at=ctx.now,
        updated_at=ctx.now,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
