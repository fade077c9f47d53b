"""Bed targets and pilot periods (001 §三, 002 §二, 003 §四.5) with the progress made: officers see
the targets of their regions, ops all of them."""

from __future__ import annotations

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.principal import Principal, Role
from intake.domain.profile_sections import BedTarget
from intake.domain.targets import TargetProgress, target_progress
from intake.policies.loader import load_all_profiles
from intake.repository import TargetRepository
from intake.schemas.targets import BedTargetRead
from intake.service.context import IntakeContext


async def bed_target_progress(
    *, uow: UnitOfWork, ctx: IntakeContext, jurisdiction: str | None, limit: int, offset: int
) -> Page[BedTargetRead]:
    """Each visible target with its established/accepted counts, what remains and days left."""
    require_role(ctx.principal, Role.OFFICER, Role.OPS)
    targets = [
        (code, target)
        for code, profile in sorted(load_all_profiles().items())
        if jurisdiction in (None, code)
        for target in profile.bed_targets
        if _visible(ctx.principal, target)
    ]
    page = targets[offset : offset + limit]
    async with uow:
        repo = uow.repo(TargetRepository)
        items = []
        for code, target in page:
            counts = await repo.counts(target.region_code, start=target.start, end=target.end)
            items.append(_read(code, target_progress(target, counts, today=ctx.today)))
    return Page[BedTargetRead](items=items, total=len(targets), limit=limit, offset=offset)


def _visible(principal: Principal, target: BedTarget) -> bool:
    return principal.role is Role.OPS or principal.in_region(target.region_code)


def _read(jurisdiction: str, progress: TargetProgress) -> BedTargetRead:
    target = progress.target
    return BedTargetRead(
        id=target.id,
        jurisdiction=jurisdiction,
        region_code=target.region_code,
        region_name=target.region_name,
        target_beds=target.min_beds,
        counted_when=target.counted_when,
        optional=target.optional,
        period_start=target.start,
        period_end=target.end,
        period_status=progress.period_status,
        days_left=progress.days_left,
        established=progress.counts.established,
        accepted=progress.counts.accepted,
        live=progress.counts.live,
        remaining=progress.remaining,
        met=progress.met,
        citation=target.citation.text,
        basis=target.basis,
        period_citation=target.period_citation.text if target.period_citation else None,
        note=target.note,
    )
