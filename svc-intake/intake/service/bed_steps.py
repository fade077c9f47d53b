"""The sub-steps of a bed's actions for `allowed_actions` / `blocked_actions`: the installation
steps a consent guards (and `sign_contract`'s consent), and the acceptance workflow."""

from __future__ import annotations

from dataclasses import dataclass

from chassis.db import UnitOfWork
from intake.domain.acceptance import AcceptanceStatus, AcceptanceStep, step_problems
from intake.domain.bed import accept_problems
from intake.domain.bed_steps import with_steps
from intake.domain.lifecycle import BED_ACTIONS, BedAction, BedStatus
from intake.domain.policy import PolicyProfile
from intake.repository import AcceptanceRepository
from intake.service.consent_checks import consent_unmet
from intake.service.context import IntakeContext
from intake.tables import BedRow


@dataclass(frozen=True)
class BedSteps:
    actions: list[str]  # the state's actions with their sub-steps
    unmet: dict[str, list[str]]  # what blocks the guarded steps (role aside)


async def bed_steps(
    uow: UnitOfWork, ctx: IntakeContext, bed: BedRow, profile: PolicyProfile
) -> BedSteps:
    """The bed's actions now, with the unmet consents and acceptance steps (001 §四(五))."""
    status = BedStatus(bed.status)
    actions = with_steps([a.value for a in BED_ACTIONS[status]])
    unmet = await consent_unmet(uow, bed, profile)
    if BedAction.ACCEPT in BED_ACTIONS[status]:
        latest = await uow.repo(AcceptanceRepository).latest(bed.id)
        latest_status = AcceptanceStatus(latest.status) if latest else None
        acceptance = step_problems(latest_status, attempt=latest.attempt if latest else None)
        waiting = accept_problems(
            profile, established_on=bed.established_on or ctx.today, on=ctx.today
        )
        for step, problems in acceptance.items():
            unmet.setdefault(step, []).extend(problems)
        if waiting:
            unmet.setdefault(AcceptanceStep.APPLY.value, []).extend(waiting)
    return BedSteps(actions=actions, unmet=unmet)
