"""Escalation chains per provider, care-plan rule overrides per bed, latest values, aggregates."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import and_, bindparam, false, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.upsert import upsert
from iot_ingest.domain.alarms.escalation import (
    DEFAULT_POLICY,
    EscalationPolicy,
    EscalationStep,
    Milestone,
)
from iot_ingest.domain.oversight import OversightScope
from iot_ingest.domain.rules.rule import BedRuleOverrides
from iot_ingest.tables import (
    bed_rule_overrides,
    beds,
    escalation_policies,
    latest_values,
    minute_aggregates,
    monitoring_changes,
)

_overrides_decoder = msgspec.json.Decoder(BedRuleOverrides)


def decode_overrides(raw: bytes) -> BedRuleOverrides:
    """Overrides from their JSON (stored, or a request body); msgspec errors when invalid."""
    return _overrides_decoder.decode(raw)


def steps_json(policy: EscalationPolicy) -> list[dict[str, Any]]:
    return [
        {
            "level": s.level,
            "unmet": s.unmet.value,
            "after_seconds": s.after.total_seconds(),
            "notify": s.notify,
        }
        for s in policy.steps
    ]


def policy_from_json(steps: list[dict[str, Any]]) -> EscalationPolicy:
    return EscalationPolicy(
        steps=tuple(
            EscalationStep(
                level=int(s["level"]),
                unmet=Milestone(s["unmet"]),
                after=timedelta(seconds=float(s["after_seconds"])),
                notify=str(s["notify"]),
            )
            for s in steps
        )
    )


# built once (the alarm lane reads it for every fall; see repository/alarms.py)
_POLICY = select(escalation_policies.c.steps).where(
    escalation_policies.c.provider_id == bindparam("provider_id")
)
_POLICIES = select(escalation_policies.c.provider_id, escalation_policies.c.steps).where(
    escalation_policies.c.provider_id.in_(bindparam("provider_ids", expanding=True))
)


class EscalationPolicyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_provider(self, provider_id: str) -> EscalationPolicy:
        """The provider's chain, or the default when it has none."""
        steps = await self.session.scalar(_POLICY, {"provider_id": provider_id})
        return DEFAULT_POLICY if steps is None else policy_from_json(steps)

    async def for_providers(self, provider_ids: Collection[str]) -> dict[str, EscalationPolicy]:
        """The chains of several providers with one query (the default for those without)."""
        found = {provider_id: DEFAULT_POLICY for provider_id in provider_ids}
        rows = await self.session.execute(_POLICIES, {"provider_ids": sorted(found)})
        for provider_id, steps in rows.all():
            found[provider_id] = policy_from_json(steps)
        return found

    async def save(
        self, provider_id: str, policy: EscalationPolicy, *, by: str, at: datetime, reason: str
    ) -> None:
        row = {
            "provider_id": provider_id,
            "steps": steps_json(policy),
            "updated_by": by,
            "updated_at": at,
            "reason": reason,
        }
        await upsert(self.session, escalation_policies, [row], keys=["provider_id"])


class RuleOverridesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_bed(self, bed_id: str) -> BedRuleOverrides | None:
        raw = await self.session.scalar(
            select(bed_rule_overrides.c.overrides).where(bed_rule_overrides.c.bed_id == bed_id)
        )
        return None if raw is None else decode_overrides(raw)

    async def of_beds(self, bed_ids: Collection[str]) -> dict[str, BedRuleOverrides]:
        rows = (
            await self.session.execute(
                select(bed_rule_overrides.c.bed_id, bed_rule_overrides.c.overrides).where(
                    bed_rule_overrides.c.bed_id.in_(list(bed_ids))
                )
            )
        ).all()
        return {r.bed_id: decode_overrides(r.overrides) for r in rows}

    async def changed_since(self, since: datetime | None) -> list[tuple[str, datetime]]:
        """(bed_id, updated_at) of overrides changed after `since` (all when None)."""
        query = select(bed_rule_overrides.c.bed_id, bed_rule_overrides.c.updated_at)
        if since is not None:
            query = query.where(bed_rule_overrides.c.updated_at > since)
        return [(r.bed_id, r.updated_at) for r in (await self.session.execute(query)).all()]

    async def save(
        self,
        bed_id: str,
        overrides: BedRuleOverrides,
        *,
        by: str,
        at: datetime,
        reason: str | None = None,
    ) -> None:
        row = {
            "bed_id": bed_id,
            "overrides": msgspec.json.encode(overrides),
            "updated_by": by,
            "updated_at": at,
            "disabled": sorted(overrides.disabled) or None,  # NULL: nothing switched off
            "reason": reason,
        }
        await upsert(self.session, bed_rule_overrides, [row], keys=["bed_id"])

    async def disabled_page(
        self, scope: OversightScope, *, limit: int, offset: int
    ) -> tuple[list[DisabledRules], int]:
        """Beds running with rules switched off, in the scope, most recently changed first."""
        where = [bed_rule_overrides.c.disabled.is_not(None), *_scope_where(scope)]
        source = bed_rule_overrides.join(beds, beds.c.bed_id == bed_rule_overrides.c.bed_id)
        total = await self.session.scalar(select(func.count()).select_from(source).where(*where))
        rows = (
            await self.session.execute(
                select(
                    bed_rule_overrides.c.bed_id,
                    beds.c.provider_id,
                    beds.c.region_code,
                    bed_rule_overrides.c.disabled,
                    bed_rule_overrides.c.reason,
                    bed_rule_overrides.c.updated_by,
                    bed_rule_overrides.c.updated_at,
                )
                .select_from(source)
                .where(*where)
                .order_by(bed_rule_overrides.c.updated_at.desc(), bed_rule_overrides.c.bed_id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        return [DisabledRules(**r._mapping) for r in rows], int(total or 0)


@dataclass(frozen=True)
class DisabledRules:
    bed_id: str
    provider_id: str
    region_code: str | None
    disabled: list[str]
    reason: str | None
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class MonitoringChange:
    kind: str  # bed_rules | escalation_policy
    provider_id: str
    bed_id: str | None
    region_code: str | None
    changed_by: str
    changed_at: datetime
    reason: str
    before: Any
    after: Any
    id: int = 0


def _scope_where(scope: OversightScope) -> list[Any]:
    """Rows of beds (joined `beds`) in the scope."""
    where: list[Any] = []
    if scope.provider_id is not None:
        where.append(beds.c.provider_id == scope.provider_id)
    if scope.region_prefixes is not None:
        where.append(
            or_(false(), *(beds.c.region_code.startswith(p) for p in scope.region_prefixes))
        )
    return where


class MonitoringChangeRepository:
    """The audit of rule and escalation-chain changes (append only)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, change: MonitoringChange) -> None:
        values = asdict(change)
        values.pop("id")
        await self.session.execute(insert(monitoring_changes).values(**values))

    async def page(
        self,
        scope: OversightScope,
        *,
        bed_id: str | None,
        kind: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[MonitoringChange], int]:
        """Newest first. Officers: changes of beds in their regions, and escalation-chain
        changes of providers with beds there."""
        t = monitoring_changes
        where: list[Any] = []
        if scope.provider_id is not None:
            where.append(t.c.provider_id == scope.provider_id)
        if scope.region_prefixes is not None:
            in_region = or_(
                false(), *(t.c.region_code.startswith(p) for p in scope.region_prefixes)
            )
            providers_there = select(beds.c.provider_id).where(
                or_(false(), *(beds.c.region_code.startswith(p) for p in scope.region_prefixes))
            )
            where.append(
                or_(in_region, and_(t.c.bed_id.is_(None), t.c.provider_id.in_(providers_there)))
            )
        if bed_id is not None:
            where.append(t.c.bed_id == bed_id)
        if kind is not None:
            where.append(t.c.kind == kind)
        total = await self.session.scalar(select(func.count()).select_from(t).where(*where))
        rows = (
            await self.session.execute(
                select(t).where(*where).order_by(t.c.id.desc()).limit(limit).offset(offset)
            )
        ).all()
        return [MonitoringChange(**r._mapping) for r in rows], int(total or 0)


@dataclass(frozen=True)
class LatestValue:
    device_id: str
    metric: str
    value: float
    ts: datetime
    seq: int


@dataclass(frozen=True)
class MinuteAggregate:
    minute: datetime
    count: int
    total: float
    minimum: float
    maximum: float


class ReadingsRepository:
    """What the storage projector wrote: latest value per device and metric, minute aggregates."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(
        self, bed_id: str, *, limit: int, offset: int
    ) -> tuple[list[LatestValue], int]:
        where = latest_values.c.bed_id == bed_id
        total = await self.session.scalar(
            select(func.count()).select_from(latest_values).where(where)
        )
        rows = (
            await self.session.execute(
                select(latest_values)
                .where(where)
                .order_by(latest_values.c.device_id, latest_values.c.metric)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        items = [LatestValue(r.device_id, r.metric, r.value, r.ts, int(r.seq)) for r in rows]
        return items, int(total or 0)

    async def minutes(
        self, bed_id: str, metric: str, *, since: datetime, limit: int, offset: int
    ) -> tuple[list[MinuteAggregate], int]:
        where = (
            minute_aggregates.c.bed_id == bed_id,
            minute_aggregates.c.metric == metric,
            minute_aggregates.c.minute >= since,
        )
        total = await self.session.scalar(
            select(func.count()).select_from(minute_aggregates).where(*where)
        )
        rows = (
            await self.session.execute(
                select(minute_aggregates)
                .where(*where)
                .order_by(minute_aggregates.c.minute)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        items = [
            MinuteAggregate(r.minute, int(r._mapping["count"]), r.total, r.minimum, r.maximum)
            for r in rows
        ]
        return items, int(total or 0)

    async def activity_between(
        self, bed_id: str, metrics: Collection[str], *, since: datetime, until: datetime
    ) -> tuple[datetime | None, datetime | None]:
        """First and last minute in [since, until) with a reading >= 1 of these metrics."""
        start = since.replace(second=0, microsecond=0)
        row = (
            await self.session.execute(
                select(
                    func.min(minute_aggregates.c.minute), func.max(minute_aggregates.c.minute)
                ).where(
                    minute_aggregates.c.bed_id == bed_id,
                    minute_aggregates.c.metric.in_(list(metrics)),
                    minute_aggregates.c.minute >= start,
                    minute_aggregates.c.minute < until,
                    minute_aggregates.c.maximum >= 1,
                )
            )
        ).one()
        return _aware(row[0]), _aware(row[1])


def _aware(value: datetime | str | None) -> datetime | None:
    # min()/max() lose the column type on SQLite: the value may come back as a naive string
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
