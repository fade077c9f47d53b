"""Escalation chains per provider, care-plan rule overrides per bed, latest values, aggregates."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.upsert import upsert
from iot_ingest.domain.alarms.escalation import (
    DEFAULT_POLICY,
    EscalationPolicy,
    EscalationStep,
    Milestone,
)
from iot_ingest.domain.rules.rule import BedRuleOverrides
from iot_ingest.tables import (
    bed_rule_overrides,
    escalation_policies,
    latest_values,
    minute_aggregates,
)

_overrides_decoder = msgspec.json.Decoder(BedRuleOverrides)


def decode_overrides(raw: bytes) -> BedRuleOverrides:
    """Overrides from their JSON (stored, or a request body); msgspec errors when invalid."""
    return _overrides_decoder.decode(raw)


def _steps_to_json(policy: EscalationPolicy) -> list[dict[str, Any]]:
    return [
        {
            "level": s.level,
            "unmet": s.unmet.value,
            "after_seconds": s.after.total_seconds(),
            "notify": s.notify,
        }
        for s in policy.steps
    ]


def _policy_from_json(steps: list[dict[str, Any]]) -> EscalationPolicy:
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


class EscalationPolicyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_provider(self, provider_id: str) -> EscalationPolicy:
        """The provider's chain, or the default when it has none."""
        steps = await self.session.scalar(
            select(escalation_policies.c.steps).where(
                escalation_policies.c.provider_id == provider_id
            )
        )
        return DEFAULT_POLICY if steps is None else _policy_from_json(steps)

    async def save(
        self, provider_id: str, policy: EscalationPolicy, *, by: str, at: datetime
    ) -> None:
        row = {
            "provider_id": provider_id,
            "steps": _steps_to_json(policy),
            "updated_by": by,
            "updated_at": at,
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
        self, bed_id: str, overrides: BedRuleOverrides, *, by: str, at: datetime
    ) -> None:
        row = {
            "bed_id": bed_id,
            "overrides": msgspec.json.encode(overrides),
            "updated_by": by,
            "updated_at": at,
        }
        await upsert(self.session, bed_rule_overrides, [row], keys=["bed_id"])


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
