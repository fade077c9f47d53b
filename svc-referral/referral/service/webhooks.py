"""Signed webhooks to partners (Standard Webhooks): subscriptions, the delivery worker, the
delivery log and re-sends (OpenHIM's re-run).

A status change stages one delivery row per matching subscription in its own transaction (the
table is the outbox of webhooks); the worker (`deliver_due`, on the runtime's timer) signs and
POSTs each due delivery, logs the attempt (status code, latency), and reschedules failures with
exponential backoff and jitter for up to 24 h, then marks them dead. A receiver that times out or
answers 500 never loses a delivery.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from random import Random
from typing import Any

import httpx
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from chassis.access import require_role
from chassis.clock import Clock
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import Conflict, NotFound, Unprocessable
from chassis.principal import Role
from homebed_schemas.events.referral import REFERRAL_EVENTS
from referral.domain.backoff import Backoff
from referral.schemas.webhooks import (
    AttemptRead,
    DeliveryRead,
    ResendRange,
    ResendResult,
    SecretRotation,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)
from referral.sealing import SecretSealer
from referral.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookSubscriptionRow

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
BATCH = 50


async def stage_deliveries(
    uow: UnitOfWork,
    *,
    event_id: str,
    event_type: str,
    referral_id: str,
    partners: Iterable[str],
    body: dict[str, Any],
    now: datetime,
) -> None:
    """One pending delivery per active subscription of the referral's parties to this type."""
    subscriptions = await uow.session.scalars(
        select(WebhookSubscriptionRow).where(
            WebhookSubscriptionRow.partner_id.in_(set(partners)),
            WebhookSubscriptionRow.active.is_(True),
        )
    )
    for sub in subscriptions:
        if sub.event_types and event_type not in sub.event_types:
            continue
        uow.session.add(
            WebhookDeliveryRow(
                id=f"msg_{uuid.uuid4().hex}",
                subscription_id=sub.id,
                partner_id=sub.partner_id,
                event_id=event_id,
                event_type=event_type,
                referral_id=referral_id,
                payload=body,
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )


def signed_request(
    delivery: WebhookDeliveryRow, secrets: Sequence[str], now: datetime
) -> tuple[bytes, dict[str, str]]:
    """The body and the Standard Webhooks headers over it (id, timestamp, one `v1,` signature
    per secret, space-separated: any of them verifies). `secrets`: the opened `whsec_…` ones."""
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    signature = " ".join(Webhook(secret).sign(delivery.id, now, body) for secret in secrets)
    headers = {
        "content-type": "application/json",
        "webhook-id": delivery.id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode("utf-8"), headers


async def deliver_due(
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    http: httpx.AsyncClient,
    backoff: Backoff,
    rng: Random,
    sealer: SecretSealer,
    timeout_seconds: float = 10.0,
) -> int:
    """Attempt every due delivery once; returns how many were attempted."""
    uow = uow_factory()
    async with uow:
        due = list(
            await uow.session.scalars(
                select(WebhookDeliveryRow.id)
                .where(
                    WebhookDeliveryRow.status == PENDING,
                    WebhookDeliveryRow.next_attempt_at <= clock(),
                )
                .order_by(WebhookDeliveryRow.next_attempt_at)
                .limit(BATCH)
            )
        )
    for delivery_id in due:
        await _attempt(
            delivery_id, uow_factory(), clock, http, backoff, rng, sealer, timeout_seconds
        )
    return len(due)


async def _attempt(
    delivery_id: str,
    uow: UnitOfWork,
    clock: Clock,
    http: httpx.AsyncClient,
    backoff: Backoff,
    rng: Random,
    sealer: SecretSealer,
    timeout_seconds: float,
) -> None:
    async with uow:
        delivery = await uow.session.get(
            WebhookDeliveryRow, delivery_id, with_for_update={"skip_locked": True}
        )
        if delivery is None or delivery.status != PENDING:
            return  # another worker took it, or it was delivered meanwhile
        sub = await uow.session.get(WebhookSubscriptionRow, delivery.subscription_id)
        now = clock()
        status_code: int | None = None
        error: str | None = None
        started = time.perf_counter()
        if sub is None or not sub.active:
            error = "subscription inactive"
        else:
            body, headers = signed_request(delivery, signing_secrets(sub, sealer, now), now)
            try:
                answer = await http.post(
                    sub.url, content=body, headers=headers, timeout=timeout_seconds
                )
                status_code = answer.status_code
            except httpx.HTTPError as failed:
                error = f"{type(failed).__name__}: {failed}"[:500]
        latency_ms = int((time.perf_counter() - started) * 1000)
        uow.session.add(
            WebhookAttemptRow(
                delivery_id=delivery.id,
                at=now,
                status_code=status_code,
                latency_ms=latency_ms,
                error=error,
            )
        )
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error = status_code, error
        if status_code is not None and 200 <= status_code < 300:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DELIVERED, now, None
        else:
            retry = backoff.next_attempt(
                created_at=delivery.created_at, now=now, failed_attempts=delivery.attempts, rng=rng
            )
            delivery.next_attempt_at = retry
            delivery.status = PENDING if retry is not None else DEAD
        await uow.commit()


def signing_secrets(sub: WebhookSubscriptionRow, sealer: SecretSealer, now: datetime) -> list[str]:
    """The current secret, and the one it replaced while the rotation's overlap lasts."""
    secrets = [sealer.open(sub.id, sub.secret)]
    expires = sub.previous_secret_expires_at
    if sub.previous_secret is not None and expires is not None and now < expires:
        secrets.append(sealer.open(sub.id, sub.previous_secret))
    return secrets


async def create_subscription(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: SubscriptionCreate, sealer: SecretSealer
) -> SubscriptionCreated:
    """A partner subscribes its URL; the signing secret is shown once, in this answer."""
    require_role(ctx.principal, Role.HOSPITAL)
    unknown = sorted(set(cmd.event_types) - set(REFERRAL_EVENTS))
    if unknown:
        raise Unprocessable(
            [
                (
                    "body.event_types",
                    f"unknown: {', '.join(unknown)}; known: {', '.join(REFERRAL_EVENTS)}",
                )
            ]
        )
    subscription_id, raw = str(uuid.uuid4()), sealer.new_secret()
    row = WebhookSubscriptionRow(
        id=subscription_id,
        partner_id=ctx.principal.sub,
        url=str(cmd.url),
        event_types=list(cmd.event_types),
        secret=sealer.seal(subscription_id, raw),
        active=True,
        created_at=ctx.now,
    )
    async with uow:
        uow.session.add(row)
        secret = sealer.open(subscription_id, row.secret)
        answer = SubscriptionCreated(**_subscription(row).model_dump(), secret=secret)
        await uow.commit()
        return answer


async def list_subscriptions(*, uow: UnitOfWork, ctx: RequestContext) -> list[SubscriptionRead]:
    require_role(ctx.principal, Role.HOSPITAL)
    async with uow:
        rows = await uow.session.scalars(
            select(WebhookSubscriptionRow)
            .where(WebhookSubscriptionRow.partner_id == ctx.principal.sub)
            .order_by(WebhookSubscriptionRow.created_at)
        )
        return [_subscription(r) for r in rows]


async def deactivate_subscription(
    *, uow: UnitOfWork, ctx: RequestContext, subscription_id: str
) -> SubscriptionRead:
    require_role(ctx.principal, Role.HOSPITAL)
    async with uow:
        row = await uow.session.get(WebhookSubscriptionRow, subscription_id)
        if row is None or row.partner_id != ctx.principal.sub:
            raise NotFound("webhook subscription")
        row.active = False
        answer = _subscription(row)
        await uow.commit()
        return answer


async def delivery_log(
    *, uow: UnitOfWork, ctx: RequestContext, status: str | None, limit: int, offset: int
) -> Page[DeliveryRead]:
    """The partner's deliveries, newest first, each with its attempts."""
    require_role(ctx.principal, Role.HOSPITAL)
    if status is not None and status not in (PENDING, DELIVERED, DEAD):
        raise Unprocessable([("query.status", "pending | delivered | dead")])
    where = [WebhookDeliveryRow.partner_id == ctx.principal.sub]
    if status:
        where.append(WebhookDeliveryRow.status == status)
    async with uow:
        total = await uow.session.scalar(
            select(func.count()).select_from(WebhookDeliveryRow).where(*where)
        )
        rows = list(
            await uow.session.scalars(
                select(WebhookDeliveryRow)
                .where(*where)
                .order_by(WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id)
                .limit(limit)
                .offset(offset)
            )
        )
        items = [await _delivery(uow, r) for r in rows]
        return Page(items=items, total=int(total or 0), limit=limit, offset=offset)


async def resend_one(*, uow: UnitOfWork, ctx: RequestContext, delivery_id: str) -> DeliveryRead:
    """Send one delivery again now (whatever its status): a fresh 24 h of retries."""
    require_role(ctx.principal, Role.HOSPITAL)
    async with uow:
        row = await uow.session.get(WebhookDeliveryRow, delivery_id)
        if row is None or row.partner_id != ctx.principal.sub:
            raise NotFound("webhook delivery")
        _requeue(row, ctx.now)
        answer = await _delivery(uow, row)
        await uow.commit()
        return answer


async def resend_range(*, uow: UnitOfWork, ctx: RequestContext, cmd: ResendRange) -> ResendResult:
    """Send again every delivery of the partner created in [since, until) (OpenHIM's re-run)."""
    require_role(ctx.principal, Role.HOSPITAL)
    if cmd.until <= cmd.since:
        raise Unprocessable([("body.until", "must lie after since")])
    async with uow:
        rows = list(
            await uow.session.scalars(
                select(WebhookDeliveryRow).where(
                    WebhookDeliveryRow.partner_id == ctx.principal.sub,
                    WebhookDeliveryRow.created_at >= cmd.since,
                    WebhookDeliveryRow.created_at < cmd.until,
                    *([WebhookDeliveryRow.status == cmd.status] if cmd.status else []),
                )
            )
        )
        for row in rows:
            _requeue(row, ctx.now)
        await uow.commit()
        return ResendResult(requeued=len(rows), delivery_ids=[r.id for r in rows][:100])


async def rotate_secret(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    subscription_id: str,
    cmd: SecretRotation,
    sealer: SecretSealer,
) -> SubscriptionCreated:
    """A fresh signing secret, shown once; the old one keeps signing beside it for the overlap
    (a second rotation during an overlap ends the first one's: two secrets at most)."""
    require_role(ctx.principal, Role.HOSPITAL)
    async with uow:
        row = await uow.session.get(WebhookSubscriptionRow, subscription_id)
        if row is None or row.partner_id != ctx.principal.sub:
            raise NotFound("webhook subscription")
        if not row.active:
            raise Conflict("the subscription is deactivated: subscribe again instead")
        overlap = timedelta(hours=cmd.overlap_hours)
        row.previous_secret = row.secret if overlap else None
        row.previous_secret_expires_at = ctx.now + overlap if overlap else None
        row.secret = sealer.seal(row.id, sealer.new_secret())
        row.secret_rotated_at = ctx.now
        answer = SubscriptionCreated(
            **_subscription(row).model_dump(), secret=sealer.open(row.id, row.secret)
        )
        await uow.commit()
        return answer


def _requeue(row: WebhookDeliveryRow, now: datetime) -> None:
    # the retry window counts from the re-send: created_at moves, the attempts log stays
    row.status, row.next_attempt_at, row.created_at = PENDING, now, now


def _subscription(row: WebhookSubscriptionRow) -> SubscriptionRead:
    return SubscriptionRead(
        id=row.id,
        partner_id=row.partner_id,
        url=row.url,
        event_types=list(row.event_types),
        active=row.active,
        created_at=row.created_at,
        secret_rotated_at=row.secret_rotated_at,
        previous_secret_expires_at=row.previous_secret_expires_at,
    )


async def _delivery(uow: UnitOfWork, row: WebhookDeliveryRow) -> DeliveryRead:
    attempts = await uow.session.scalars(
        select(WebhookAttemptRow)
        .where(WebhookAttemptRow.delivery_id == row.id)
        .order_by(WebhookAttemptRow.id)
    )
    return DeliveryRead(
        id=row.id,
        subscription_id=row.subscription_id,
        event_id=row.event_id,
        event_type=row.event_type,
        referral_id=row.referral_id,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        attempt_log=[
            AttemptRead(at=a.at, status_code=a.status_code, latency_ms=a.latency_ms, error=a.error)
            for a in attempts
        ],
    )
