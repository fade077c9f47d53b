"""Care-plan rule overrides per bed, the provider's escalation chain, latest values, aggregates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from chassis.api import PrincipalDep, UowDep
from iot_ingest.access import provider_scope, visible
from iot_ingest.alarms.policies import policy_for, policy_from_json, policy_to_json, set_policy
from iot_ingest.api.components import components
from iot_ingest.api.device_lanes import read_capped
from iot_ingest.api.schemas import EscalationPolicyIn
from iot_ingest.domain.rules.rule import BedRuleOverrides
from iot_ingest.errors import NotFound, Unprocessable
from iot_ingest.registry.beds import find_bed
from iot_ingest.streams.rule_engine import set_bed_overrides
from iot_ingest.tables import bed_rule_overrides, latest_values, minute_aggregates

router = APIRouter(tags=["monitoring"])
_overrides_decoder = msgspec.json.Decoder(BedRuleOverrides)


async def _require_bed(uow: UowDep, scope: str | None, bed_id: str) -> None:
    async with uow:
        bed = await find_bed(uow, bed_id)
    if bed is None or not visible(scope, str(bed["provider_id"])):
        raise NotFound("Bed not found.")


@router.put("/v1/beds/{bed_id}/rules")
async def put_rules(
    bed_id: str, request: Request, uow: UowDep, principal: PrincipalDep
) -> Response:
    """Per-bed overrides from the care plan (rules replaced or added by id, rules disabled)."""
    scope = provider_scope(principal, admin_only=True)
    await _require_bed(uow, scope, bed_id)
    body = await read_capped(request, 64 * 1024)
    try:
        overrides = _overrides_decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise Unprocessable(str(exc)) from None
    await set_bed_overrides(uow=uow, bed_id=bed_id, overrides=overrides, actor=principal.sub)
    components(request).rule_engine.forget_bed(bed_id)
    return Response(msgspec.json.encode(overrides), media_type="application/json")


@router.get("/v1/beds/{bed_id}/rules")
async def get_rules(
    bed_id: str, request: Request, uow: UowDep, principal: PrincipalDep
) -> Response:
    """The effective rules of the bed: defaults with its overrides applied."""
    await _require_bed(uow, provider_scope(principal), bed_id)
    async with uow:
        raw = await uow.session.scalar(
            select(bed_rule_overrides.c.overrides).where(bed_rule_overrides.c.bed_id == bed_id)
        )
    overrides = _overrides_decoder.decode(raw) if raw is not None else None
    rule_book = components(request).rule_engine.rule_book
    rules = [compiled.rule for compiled in rule_book.rules_for(overrides)]
    return Response(
        msgspec.json.encode({"overrides": overrides, "rules": rules}),
        media_type="application/json",
    )


@router.put("/v1/escalation-policy")
async def put_policy(
    body: EscalationPolicyIn, uow: UowDep, principal: PrincipalDep
) -> list[dict[str, Any]]:
    scope = provider_scope(principal, admin_only=True)
    if scope is None:
        raise Unprocessable("Ops has no provider: set a provider's policy as its admin.")
    try:
        policy = policy_from_json([s.model_dump() for s in body.steps])
    except ValueError as exc:
        raise Unprocessable(str(exc)) from None
    await set_policy(uow=uow, provider_id=scope, policy=policy, actor=principal.sub)
    return policy_to_json(policy)


@router.get("/v1/escalation-policy")
async def get_policy(uow: UowDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    scope = provider_scope(principal)
    if scope is None:
        raise Unprocessable("Ops has no provider.")
    async with uow:
        return policy_to_json(await policy_for(uow, scope))


@router.get("/v1/beds/{bed_id}/latest")
async def latest(bed_id: str, uow: UowDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    await _require_bed(uow, provider_scope(principal), bed_id)
    async with uow:
        rows = (
            await uow.session.execute(select(latest_values).where(latest_values.c.bed_id == bed_id))
        ).all()
    return [
        {"device_id": r.device_id, "metric": r.metric, "value": r.value, "ts": r.ts, "seq": r.seq}
        for r in rows
    ]


@router.get("/v1/beds/{bed_id}/aggregates")
async def aggregates(
    bed_id: str,
    uow: UowDep,
    principal: PrincipalDep,
    metric: str,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1440)] = 60,
) -> list[dict[str, Any]]:
    await _require_bed(uow, provider_scope(principal), bed_id)
    since = since or datetime.now(UTC) - timedelta(hours=1)
    async with uow:
        rows = (
            await uow.session.execute(
                select(minute_aggregates)
                .where(
                    minute_aggregates.c.bed_id == bed_id,
                    minute_aggregates.c.metric == metric,
                    minute_aggregates.c.minute >= since,
                )
                .order_by(minute_aggregates.c.minute)
                .limit(limit)
            )
        ).all()
    return [
        {
            "minute": r.minute,
            "count": r._mapping["count"],
            "mean": r.total / r._mapping["count"] if r._mapping["count"] else None,
            "min": r.minimum,
            "max": r.maximum,
        }
        for r in rows
    ]
