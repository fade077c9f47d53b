"""DTOs of webhook subscriptions and deliveries."""

from __future__ import annotations

from datetime import datetime

from pydantic import AnyHttpUrl, Field

from chassis.dto import Input, Output


class SubscriptionCreate(Input):
    url: AnyHttpUrl = Field(description="where deliveries are POSTed")
    event_types: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="referral.* event types to receive; empty: all",
    )


class SubscriptionRead(Output):
    id: str
    partner_id: str
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime
    secret_rotated_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="until then deliveries carry a second signature, by the secret replaced"
    )


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="whsec_…: the signing secret, shown only once")


class SecretRotation(Input):
    overlap_hours: int = Field(
        default=24,
        ge=0,
        le=168,
        description="how long deliveries are also signed with the old secret (Standard Webhooks "
        "space-separated signatures), so the partner can switch without refusing any; 0: at once",
    )


class AttemptRead(Output):
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None


class DeliveryRead(Output):
    id: str = Field(description="the webhook-id header")
    subscription_id: str
    event_id: str
    event_type: str
    referral_id: str
    status: str = Field(description="pending | delivered | dead")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptRead]


class ResendRange(Input):
    since: datetime
    until: datetime
    status: str | None = Field(default=None, pattern=r"^(pending|delivered|dead)$")


class ResendResult(Output):
    requeued: int
    delivery_ids: list[str] = Field(description="the first 100 requeued")
