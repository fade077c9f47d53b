"""Monitoring use cases: care-plan rule overrides per bed, the provider's escalation chain,
latest values and minute aggregates of a bed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import NotFound, Unprocessable
from iot_ingest.domain.alarms.escalation import EscalationPolicy, EscalationStep
from iot_ingest.domain.rules.rule import BedRuleOverrides, Rule, RuleBook
from iot_ingest.repository.devices import BedRepository
from iot_ingest.repository.monitoring import (
    EscalationPolicyRepository,
    ReadingsRepository,
    RuleOverridesRepository,
)
from iot_ingest.schemas import (
    EscalationPolicyRead,
    EscalationPolicyUpdate,
    EscalationStepRead,
    LatestValueRead,
    MinuteAggregateRead,
)
from iot_ingest.service.access import provider_scope, require_admin, visible

DEFAULT_AGGREGATE_WINDOW = timedelta(hours=1)


class EffectiveRules(msgspec.Struct):
    """The bed's overrides and the rules in force (defaults with the overrides applied)."""

    overrides: BedRuleOverrides | None
    rules: list[Rule]


async def set_bed_rules(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    bed_id: str,
    overrides: BedRuleOverrides,
    forget_bed: Callable[[str], None],
) -> BedRuleOverrides:
    """Per-bed overrides from the care plan (rules replaced or added by id, rules disabled).

    A rule engine in another process picks them up at its next tick.
    """
    async with uow:
        await _visible_bed(uow, ctx, bed_id)
        require_admin(ctx.principal)
        await uow.repo(RuleOverridesRepository).save(
            bed_id, overrides, by=ctx.principal.sub, at=ctx.now
        )
        await uow.commit()
    forget_bed(bed_id)
    return overrides


async def get_bed_rules(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str, rule_book: RuleBook
) -> EffectiveRules:
    """The effective rules of the bed: defaults with its overrides applied."""
    async with uow:
        await _visible_bed(uow, ctx, bed_id)
        overrides = await uow.repo(RuleOverridesRepository).of_bed(bed_id)
    rules = [compiled.rule for compiled in rule_book.rules_for(overrides)]
    return EffectiveRules(overrides=overrides, rules=rules)


async def set_escalation_policy(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: EscalationPolicyUpdate
) -> EscalationPolicyRead:
    """The caller's provider's escalation chain (a provider admin's; ops has no provider)."""
    provider_id = _own_provider(ctx)
    require_admin(ctx.principal)
    policy = EscalationPolicy(
        steps=tuple(
            EscalationStep(
                level=s.level,
                unmet=s.unmet,
                after=timedelta(seconds=s.after_seconds),
                notify=s.notify,
            )
            for s in cmd.steps
        )
    )
    async with uow:
        await uow.repo(EscalationPolicyRepository).save(
            provider_id, policy, by=ctx.principal.sub, at=ctx.now
        )
        await uow.commit()
    return policy_read(provider_id, policy)


async def get_escalation_policy(*, uow: UnitOfWork, ctx: RequestContext) -> EscalationPolicyRead:
    """The caller's provider's chain (the default one until its admin sets one)."""
    provider_id = _own_provider(ctx)
    async with uow:
        policy = await uow.repo(EscalationPolicyRepository).for_provider(provider_id)
    return policy_read(provider_id, policy)


async def latest_values(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str, limit: int, offset: int
) -> Page[LatestValueRead]:
    """The last value of each metric of each device of the bed."""
    async with uow:
        await _visible_bed(uow, ctx, bed_id)
        found, total = await uow.repo(ReadingsRepository).latest(bed_id, limit=limit, offset=offset)
    items = [
        LatestValueRead(device_id=v.device_id, metric=v.metric, value=v.value, ts=v.ts, seq=v.seq)
        for v in found
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


async def minute_aggregates(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    bed_id: str,
    metric: str,
    since: datetime | None,
    limit: int,
    offset: int,
) -> Page[MinuteAggregateRead]:
    """One-minute aggregates of a metric of the bed, oldest first (default: the last hour)."""
    since = since or ctx.now - DEFAULT_AGGREGATE_WINDOW
    async with uow:
        await _visible_bed(uow, ctx, bed_id)
        found, total = await uow.repo(ReadingsRepository).minutes(
            bed_id, metric, since=since, limit=limit, offset=offset
        )
    items = [
        MinuteAggregateRead(
            minute=m.minute,
            count=m.count,
            mean=m.total / m.count if m.count else None,
            min=m.minimum,
            max=m.maximum,
        )
        for m in found
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


async def _visible_bed(uow: UnitOfWork, ctx: RequestContext, bed_id: str) -> None:
    scope = provider_scope(ctx.principal)
    bed = await uow.repo(BedRepository).get(bed_id)
    if bed is None or not visible(scope, bed.provider_id):
        raise NotFound("Bed")


def _own_provider(ctx: RequestContext) -> str:
    scope = provider_scope(ctx.principal)
    if scope is None:
        raise Unprocessable.field(
            "provider", "Ops has no provider: read or set a provider's policy as its admin."
        )
    return scope


def policy_read(provider_id: str, policy: EscalationPolicy) -> EscalationPolicyRead:
    return EscalationPolicyRead(
        provider_id=provider_id,
        steps=[
            EscalationStepRead(
                level=s.level,
                unmet=s.unmet,
                after_seconds=s.after.total_seconds(),
                notify=s.notify,
            )
            for s in policy.steps
        ],
    )
