"""What followed a running bed (its contracts with every provider, referrals, re-assessments,
provider changes) and the provider's follow-up worklist: care plans to revise after a
re-assessment (001 §四(四)5) and contracts the new provider must sign after a provider change."""

from __future__ import annotations

from datetime import date

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from intake.bed_change_repository import BedChangeRepository
from intake.domain.lifecycle import BedStatus
from intake.repository import SqlRepository
from intake.schemas.bed_changes import (
    AssessmentHistoryRead,
    BedHistoryRead,
    ContractHistoryRead,
    FollowUpItem,
    ProviderChangeRead,
    ReferralRead,
)
from intake.service.beds import visible_bed
from intake.service.context import IntakeContext
from intake.service.views import bed_summary, new_contract_needed
from intake.service.worklists import WORKLIST_ROLES

RUNNING = (BedStatus.ESTABLISHED, BedStatus.ACCEPTED, BedStatus.SUSPENDED)


async def bed_history(*, uow: UnitOfWork, ctx: IntakeContext, bed_id: str) -> BedHistoryRead:
    """The bed's contracts, referrals, re-assessments and provider changes, newest first."""
    async with uow:
        bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
        changes = uow.repo(BedChangeRepository)
        return BedHistoryRead(
            bed_id=bed.id,
            contracts=[
                ContractHistoryRead(
                    id=c.id,
                    provider_id=c.provider_id,
                    start=c.start,
                    end=c.end,
                    base_package_fee_fen=c.base_package_fee_fen,
                    is_first=c.is_first,
                    signed_on=c.signed_on,
                    dissolved_on=c.dissolved_on,
                    dissolved_by=c.dissolved_by,
                    dissolution_reason=c.dissolution_reason,
                    expiry_notice_on=c.expiry_notice_on,
                )
                for c in await changes.contracts_of(bed.id)
            ],
            referrals=[
                ReferralRead(
                    referral_id=r.referral_id,
                    path=r.path,
                    status=r.status,
                    receiver_name=r.receiver_name,
                    admitted_on=r.admitted_on,
                    service_ended_on=r.service_ended_on,
                    source=r.source,
                    outcome=r.outcome,
                    updated_at=r.updated_at,
                )
                for r in await changes.referrals_of(bed.id)
            ],
            assessments=[
                AssessmentHistoryRead(
                    scale=a.scale,
                    ability_level=a.ability_level,
                    care_needs_level=a.care_needs_level,
                    previous_ability_level=a.previous_ability_level,
                    previous_care_needs_level=a.previous_care_needs_level,
                    assessor=a.assessor,
                    assessed_on=a.assessed_on,
                    note=a.note,
                    recorded_by=a.recorded_by,
                )
                for a in await changes.assessments_of(bed.id)
            ],
            provider_changes=[
                ProviderChangeRead(
                    from_provider_id=p.from_provider_id,
                    to_provider_id=p.to_provider_id,
                    changed_on=p.changed_on,
                    changed_by=p.changed_by,
                    reason=p.reason,
                )
                for p in await changes.provider_changes_of(bed.id)
            ],
        )


async def care_plan_revisions_worklist(
    *, uow: UnitOfWork, ctx: IntakeContext, limit: int, offset: int
) -> Page[FollowUpItem]:
    """Running beds re-assessed since their care plan was recorded: the plan must be revised
    (001 §四(四)5, 002 §六(六)); the longest waiting first."""
    items = await _follow_ups(uow, ctx)
    due = [i for i in items if i.care_plan_revision_due_since is not None]
    due.sort(key=lambda i: (i.care_plan_revision_due_since or date.max, i.bed.id))
    return _page(due, limit, offset)


async def new_contracts_worklist(
    *, uow: UnitOfWork, ctx: IntakeContext, limit: int, offset: int
) -> Page[FollowUpItem]:
    """Running beds that changed provider and whose new provider has not signed a contract."""
    items = await _follow_ups(uow, ctx)
    return _page([i for i in items if i.new_contract_needed], limit, offset)


async def _follow_ups(uow: UnitOfWork, ctx: IntakeContext) -> list[FollowUpItem]:
    require_role(ctx.principal, *WORKLIST_ROLES)
    async with uow:
        beds = await uow.repo(SqlRepository).visible_beds_in(
            ctx.principal, [s.value for s in RUNNING]
        )
        latest = await uow.repo(BedChangeRepository).latest_contracts_of([b.id for b in beds])
        return [
            FollowUpItem(
                bed=bed_summary(bed),
                care_plan_revision_due_since=bed.care_plan_revision_due_since,
                new_contract_needed=new_contract_needed(bed, latest.get(bed.id)),
            )
            for bed in beds
        ]


def _page(items: list[FollowUpItem], limit: int, offset: int) -> Page[FollowUpItem]:
    return Page[FollowUpItem](
        items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset
    )
