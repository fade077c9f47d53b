"""Care-plan rule overrides per bed, the provider's escalation chain, latest values, aggregates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from fastapi import APIRouter, Request, Response

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.errors import Unprocessable
from chassis.problems import problem_responses
from iot_ingest.api.capped_body import request_body
from iot_ingest.api.components import components
from iot_ingest.api.openapi_bodies import msgspec_body
from iot_ingest.domain.rules.rule import BedRuleOverrides
from iot_ingest.schemas import (
    DisabledRulesRead,
    EscalationPolicyRead,
    EscalationPolicyUpdate,
    LatestValueRead,
    MinuteAggregateRead,
    MonitoringChangeRead,
)
from iot_ingest.service import monitoring

router = APIRouter(tags=["monitoring"])
READ = problem_responses(401, 403, 404, 422)
OVERSIGHT = problem_responses(401, 403, 422)
RULES_BODY_BYTES = 64 * 1024


class BedRulesUpdate(BedRuleOverrides, frozen=True, kw_only=True):
    """Body of PUT /v1/beds/{id}/rules: the care plan's overrides and why they change."""

    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]


_rules_decoder = msgspec.json.Decoder(BedRulesUpdate)


async def rules_body(request: Request) -> tuple[BedRuleOverrides, str]:
    """The rules body (64 KiB), decoded with msgspec: the domain's overrides and the reason."""
    body = await request_body(request, RULES_BODY_BYTES)
    try:
        update = _rules_decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise Unprocessable.field("body", str(exc)) from None
    fields = {f: getattr(update, f) for f in BedRuleOverrides.__struct_fields__}
    return BedRuleOverrides(**fields), update.reason.strip()


def _json(value: object) -> Response:
    return Response(msgspec.json.encode(value), media_type="application/json")


@router.put(
    "/v1/beds/{bed_id}/rules",
    responses=problem_responses(401, 403, 404, 413, 422),
    openapi_extra=msgspec_body(
        BedRulesUpdate, "rules replaced or added by id, rule ids disabled, and a reason"
    ),
)
async def put_rules(bed_id: str, request: Request, uow: UowDep, ctx: ContextDep) -> Response:
    """Per-bed overrides from the care plan (rules replaced or added by id, rules disabled),
    with a reason (audited)."""
    overrides, reason = await rules_body(request)
    saved = await monitoring.set_bed_rules(
        uow=uow,
        ctx=ctx,
        bed_id=bed_id,
        overrides=overrides,
        reason=reason,
        forget_bed=components(request).rule_engine.forget_bed,
    )
    return _json(saved)


@router.get("/v1/beds/{bed_id}/rules", responses=READ)
async def get_rules(bed_id: str, request: Request, uow: UowDep, ctx: ContextDep) -> Response:
    """The effective rules of the bed: defaults with its overrides applied."""
    rule_book = components(request).rule_engine.rule_book
    return _json(
        await monitoring.get_bed_rules(uow=uow, ctx=ctx, bed_id=bed_id, rule_book=rule_book)
    )


@router.put("/v1/escalation-policy", responses=problem_responses(401, 403, 422))
async def put_policy(
    body: EscalationPolicyUpdate, uow: UowDep, ctx: ContextDep
) -> EscalationPolicyRead:
    return await monitoring.set_escalation_policy(uow=uow, ctx=ctx, cmd=body)


@router.get("/v1/escalation-policy", responses=problem_responses(401, 403, 404, 422))
async def get_policy(
    uow: UowDep, ctx: ContextDep, provider_id: str | None = None
) -> EscalationPolicyRead:
    return await monitoring.get_escalation_policy(uow=uow, ctx=ctx, provider_id=provider_id)


@router.get("/v1/monitoring/changes", responses=OVERSIGHT)
async def changes(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    bed_id: str | None = None,
    kind: str | None = None,
) -> Page[MonitoringChangeRead]:
    """Who changed which rules or escalation chain, when, what and why."""
    return await monitoring.monitoring_changes(
        uow=uow, ctx=ctx, bed_id=bed_id, kind=kind, limit=page.limit, offset=page.offset
    )


@router.get("/v1/monitoring/disabled-rules", responses=OVERSIGHT)
async def disabled_rules(uow: UowDep, ctx: ContextDep, page: PageDep) -> Page[DisabledRulesRead]:
    """Beds running with rules switched off (officers: beds of their regions)."""
    return await monitoring.disabled_rules(uow=uow, ctx=ctx, limit=page.limit, offset=page.offset)


@router.get("/v1/beds/{bed_id}/latest", responses=READ)
async def latest(bed_id: str, uow: UowDep, ctx: ContextDep, page: PageDep) -> Page[LatestValueRead]:
    return await monitoring.latest_values(
        uow=uow, ctx=ctx, bed_id=bed_id, limit=page.limit, offset=page.offset
    )


@router.get("/v1/beds/{bed_id}/aggregates", responses=READ)
async def aggregates(
    bed_id: str,
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    metric: str,
    since: datetime | None = None,
) -> Page[MinuteAggregateRead]:
    return await monitoring.minute_aggregates(
        uow=uow,
        ctx=ctx,
        bed_id=bed_id,
        metric=metric,
        since=since,
        limit=page.limit,
        offset=page.offset,
    )
