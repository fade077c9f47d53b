"""Webhook routes for partners: subscriptions, the delivery log, re-sends."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from referral.schemas.webhooks import (
    DeliveryRead,
    ResendRange,
    ResendResult,
    SecretRotation,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)
from referral.sealing import SecretSealer
from referral.service import webhooks

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.post("/subscriptions", status_code=201, responses=problem_responses(403))
async def create_subscription(
    body: SubscriptionCreate, request: Request, uow: UowDep, ctx: ContextDep
) -> SubscriptionCreated:
    sealer: SecretSealer = request.app.state.webhook_sealer
    return await webhooks.create_subscription(uow=uow, ctx=ctx, cmd=body, sealer=sealer)


@router.get("/subscriptions", responses=problem_responses(403))
async def list_subscriptions(uow: UowDep, ctx: ContextDep) -> list[SubscriptionRead]:
    return await webhooks.list_subscriptions(uow=uow, ctx=ctx)


@router.post("/subscriptions/{subscription_id}/deactivate", responses=problem_responses(403, 404))
async def deactivate_subscription(
    subscription_id: str, uow: UowDep, ctx: ContextDep
) -> SubscriptionRead:
    return await webhooks.deactivate_subscription(uow=uow, ctx=ctx, subscription_id=subscription_id)


@router.post(
    "/subscriptions/{subscription_id}/rotate-secret", responses=problem_responses(403, 404, 409)
)
async def rotate_secret(
    subscription_id: str, body: SecretRotation, request: Request, uow: UowDep, ctx: ContextDep
) -> SubscriptionCreated:
    """A fresh signing secret, shown once; the old one also signs during `overlap_hours`."""
    sealer: SecretSealer = request.app.state.webhook_sealer
    return await webhooks.rotate_secret(
        uow=uow, ctx=ctx, subscription_id=subscription_id, cmd=body, sealer=sealer
    )


@router.get("/deliveries", responses=problem_responses(403))
async def delivery_log(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> Page[DeliveryRead]:
    return await webhooks.delivery_log(
        uow=uow, ctx=ctx, status=status, limit=page.limit, offset=page.offset
    )


@router.post("/deliveries/{delivery_id}/resend", responses=problem_responses(403, 404))
async def resend_one(delivery_id: str, uow: UowDep, ctx: ContextDep) -> DeliveryRead:
    return await webhooks.resend_one(uow=uow, ctx=ctx, delivery_id=delivery_id)


@router.post("/deliveries/resend", responses=problem_responses(403))
async def resend_range(body: ResendRange, uow: UowDep, ctx: ContextDep) -> ResendResult:
    return await webhooks.resend_range(uow=uow, ctx=ctx, cmd=body)
