"""Escalation chains per provider (stored as data); the default when a provider has none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from chassis.db import UnitOfWork
from chassis.upsert import upsert
from iot_ingest.domain.alarms.escalation import (
    DEFAULT_POLICY,
    EscalationPolicy,
    EscalationStep,
    Milestone,
)
from iot_ingest.tables import escalation_policies


def policy_to_json(policy: EscalationPolicy) -> list[dict[str, Any]]:
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


async def policy_for(uow: UnitOfWork, provider_id: str) -> EscalationPolicy:
    steps = await uow.session.scalar(
        select(escalation_policies.c.steps).where(escalation_policies.c.provider_id == provider_id)
    )
    return DEFAULT_POLICY if steps is None else policy_from_json(steps)


async def set_policy(
    *, uow: UnitOfWork, provider_id: str, policy: EscalationPolicy, actor: str
) -> None:
    async with uow:
        await upsert(
            uow,
            escalation_policies,
            [
                {
                    "provider_id": provider_id,
                    "steps": policy_to_json(policy),
                    "updated_by": actor,
                    "updated_at": datetime.now(UTC),
                }
            ],
            keys=["provider_id"],
        )
        await uow.commit()
