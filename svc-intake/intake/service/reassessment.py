"""Re-assessment after establishment (001 §四(四)5, 002 §六(六)): a new ability assessment or
care-needs level updates the bed, is published (`bed.reassessed`, with the level before), and the
care plan is due for revision until the provider records a new one ("根据老年人身体状况变化，
及时调整服务计划")."""

from __future__ import annotations

import uuid

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.errors import Unprocessable
from chassis.principal import Role
from homebed_schemas.events.intake import AbilityLevel
from intake.bed_change_repository import BedChangeRepository
from intake.domain.application import Assessment, check_assessment
from intake.domain.lifecycle import BedAction, BedStatus, check_bed_action
from intake.policies.loader import load_profile
from intake.repository import SqlRepository
from intake.schemas.bed_changes import ReassessmentIn
from intake.schemas.beds import BedRead
from intake.service.beds import bed_answer, visible_bed
from intake.service.context import IntakeContext
from intake.service.events import emit_bed_event
from intake.tables import BedAssessmentRow


async def reassess_bed(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: ReassessmentIn
) -> BedRead:
    """Record the officer's new assessment of an established bed's elder; the care plan becomes
    due for revision; publishes bed.reassessed with the old and the new level."""
    async with uow:
        repo = uow.repo(SqlRepository)
        bed = await visible_bed(repo, ctx, bed_id)
        require_role(ctx.principal, Role.OFFICER)
        check_bed_action(BedStatus(bed.status), BedAction.REASSESS)
        profile = load_profile(bed.jurisdiction)
        check_assessment(
            Assessment(
                scale=cmd.scale,
                assessor=cmd.assessor,
                assessed_on=cmd.assessed_on,
                ability_level=cmd.ability_level,
                care_needs_level=cmd.care_needs_level,
            ),
            profile_scale=profile.assessment_scale,
        )
        established_on = bed.established_on or ctx.today
        if not established_on <= cmd.assessed_on <= ctx.today:
            raise Unprocessable(
                [
                    (
                        "body.assessed_on",
                        f"lies between the establishment ({established_on}) and today",
                    )
                ]
            )
        previous_ability, previous_level = bed.ability_level, bed.care_needs_level
        uow.repo(BedChangeRepository).add(
            BedAssessmentRow(
                id=str(uuid.uuid4()),
                bed_id=bed.id,
                scale=cmd.scale,
                ability_level=cmd.ability_level.value if cmd.ability_level else None,
                care_needs_level=cmd.care_needs_level,
                previous_ability_level=previous_ability,
                previous_care_needs_level=previous_level,
                assessor=cmd.assessor,
                assessed_on=cmd.assessed_on,
                note=cmd.note,
                recorded_by=ctx.principal.sub,
                recorded_at=ctx.now,
            )
        )
        bed.ability_level = cmd.ability_level.value if cmd.ability_level else None
        bed.care_needs_level = cmd.care_needs_level
        bed.care_plan_revision_due_since = cmd.assessed_on
        bed.updated_at = ctx.now
        contract = await repo.latest_contract(bed.id)
        assert contract is not None, "an established bed always has a contract"
        details = {
            "previous_ability_level": AbilityLevel(previous_ability) if previous_ability else None,
            "previous_care_needs_level": previous_level,
            "assessed_on": cmd.assessed_on,
        }
        await emit_bed_event(uow, bed, contract, "reassessed", now=ctx.now, details=details)
        answer = await bed_answer(uow, ctx, bed)
        await uow.commit()
        return answer
