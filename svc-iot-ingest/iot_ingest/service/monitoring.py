"""Monitoring use cases: care-plan rule overrides per bed, the provider's escalation chain,
latest values and minute aggregates of a bed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import NotFound, Unprocessable
from chassis.principal import Role
from iot_ingest.domain.alarms.escalation import (
    EscalationPolicy,
    EscalationStep,
    require_regulator_step,
)
from iot_ingest.domain.devices import KnownBed
from iot_ingest.domain.rules.rule import BedRuleOverrides, Rule, RuleBook
from iot_ingest.repository.devices import BedRepository
from iot_ingest.repository.monitoring import (
    EscalationPolicyRepository,
    MonitoringChange,
    MonitoringChangeRepository,
    ReadingsRepository,
    RuleOverridesRepository,
    steps_json,
)
from iot_ingest.schemas import (
    DisabledRulesRead,
    EscalationPolicyRead,
    EscalationPolicyUpdate,
    EscalationStepRead,
    LatestValueRead,
    MinuteAggregateRead,
    MonitoringChangeRead,
)
from iot_ingest.service.access import (
    oversight_scope,
    provider_scope,
    require_admin,
    require_provider_admin,
    visible,
)

DEFAULT_AGGREGATE_WINDOW = timedelta(hours=1)
BED_RULES = "bed_rules"
ESCALATION_POLICY = "escalation_policy"


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
    reason: str,
    forget_bed: Callable[[str], None],
) -> BedRuleOverrides:
    """Per-bed overrides from the care plan (rules replaced or added by id, rules disabled),
    with a reason; audited (who, when, before, after, why). Officers see beds with rules off.

    A rule engine in another process picks them up at its next tick.
    """
    async with uow:
        bed = await _visible_bed(uow, ctx, bed_id)
        require_admin(ctx.principal)
        rules = uow.repo(RuleOverridesRepository)
        before = await rules.of_bed(bed_id)
        await rules.save(bed_id, overrides, by=ctx.principal.sub, at=ctx.now, reason=reason)
        await uow.repo(MonitoringChangeRepository).add(
            MonitoringChange(
                kind=BED_RULES,
                provider_id=bed.provider_id,
                bed_id=bed_id,
                region_code=bed.region_code,
                changed_by=ctx.principal.sub,
                changed_at=ctx.now,
                reason=reason,
                before=None if before is None else msgspec.to_builtins(before),
                after=msgspec.to_builtins(overrides),
            )
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
    """The caller's provider's escalation chain (its admins only), with a reason; audited.
    The street office's step of the 15-minute rule (001 §四(三)2) can never be removed."""
    require_provider_admin(ctx.principal)
    provider_id = provider_scope(ctx.principal)
    assert provider_id is not None  # a provider admin always has one
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
    require_regulator_step(policy)
    async with uow:
        policies = uow.repo(EscalationPolicyRepository)
        before = await policies.for_provider(provider_id)
        await policies.save(
            provider_id, policy, by=ctx.principal.sub, at=ctx.now, reason=cmd.reason
        )
        await uow.repo(MonitoringChangeRepository).add(
            MonitoringChange(
                kind=ESCALATION_POLICY,
                provider_id=provider_id,
                bed_id=None,
                region_code=None,
                changed_by=ctx.principal.sub,
                changed_at=ctx.now,
                reason=cmd.reason,
                before=steps_json(before),
                after=steps_json(policy),
            )
        )
        await uow.commit()
    return policy_read(provider_id, policy)


async def get_escalation_policy(
    *, uow: UnitOfWork, ctx: RequestContext, provider_id: str | None
) -> EscalationPolicyRead:
    """The provider's chain (the default one until its admin sets one): a provider admin's
    own; ops name the provider (`?provider_id=`)."""
    require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.OPS)
    scope = provider_scope(ctx.principal)
    if scope is None:
        if provider_id is None:
            raise Unprocessable.field("provider_id", "ops: name the provider (?provider_id=)")
        scope = provider_id
    elif provider_id is not None and provider_id != scope:
        raise NotFound("Escalation policy")
    async with uow:
        policy = await uow.repo(EscalationPolicyRepository).for_provider(scope)
    return policy_read(scope, policy)


async def monitoring_changes(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    bed_id: str | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> Page[MonitoringChangeRead]:
    """The audit of rule and escalation-chain changes: a provider's admins theirs, officers
    their regions', ops all; newest first."""
    scope = oversight_scope(ctx.principal)
    if kind is not None and kind not in (BED_RULES, ESCALATION_POLICY):
        raise Unprocessable.field("kind", f"one of {BED_RULES}, {ESCALATION_POLICY}")
    async with uow:
        found, total = await uow.repo(MonitoringChangeRepository).page(
            scope, bed_id=bed_id, kind=kind, limit=limit, offset=offset
        )
    items = [
        MonitoringChangeRead(
            id=c.id,
            kind=c.kind,
            provider_id=c.provider_id,
            bed_id=c.bed_id,
            region_code=c.region_code,
            changed_by=c.changed_by,
            changed_at=c.changed_at,
            reason=c.reason,
            before=c.before,
            after=c.after,
        )
        for c in found
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


async def disabled_rules(
    *, uow: UnitOfWork, ctx: RequestContext, limit: int, offset: int
) -> Page[DisabledRulesRead]:
    """Beds running with rules switched off (officers: in their regions)."""
    scope = oversight_scope(ctx.principal)
    async with uow:
        found, total = await uow.repo(RuleOverridesRepository).disabled_page(
            scope, limit=limit, offset=offset
        )
    items = [
        DisabledRulesRead(
            bed_id=d.bed_id,
            provider_id=d.provider_id,
            region_code=d.region_code,
            disabled=list(d.disabled),
            reason=d.reason,
            updated_by=d.updated_by,
            updated_at=d.updated_at,
        )
        for d in found
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


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


async def _visible_bed(uow: UnitOfWork, ctx: RequestContext, bed_id: str) -> KnownBed:
    scope = provider_scope(ctx.principal)
    bed = await uow.repo(BedRepository).get(bed_id)
    if bed is None or not visible(scope, bed.provider_id):
        raise NotFound("Bed")
    return bed


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
