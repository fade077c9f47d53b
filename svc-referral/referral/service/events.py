"""The referral's events on `referral.referrals.v1` (through the outbox), one per change, and
the webhook deliveries they feed (staged in the same transaction: delivery never blocks it)."""

from __future__ import annotations

from pydantic import BaseModel

from chassis.db import UnitOfWork
from homebed_schemas.events.referral import (
    REFERRAL_EVENTS,
    OrganisationKind,
    ReferralParty,
)
from homebed_schemas.topics import REFERRAL_REFERRALS
from referral.domain.deadlines import DeadlineRules
from referral.domain.referral import Change, Referral
from referral.service import webhooks


def payload(referral: Referral, change: Change, deadlines: DeadlineRules) -> BaseModel:
    model = REFERRAL_EVENTS[change.event_type]
    data: dict[str, object] = {
        "referral_id": referral.id,
        "path": referral.path,
        "status": change.status,
        "bed_id": referral.bed_id,
        "elder_id": referral.elder_id,
        "provider_id": referral.provider_id,
        "requester": _party(
            referral.requester.organisation_id, referral.requester.kind, referral.requester.name
        ),
        "receiver": _party(
            referral.receiver.organisation_id, referral.receiver.kind, referral.receiver.name
        ),
        "business_status": referral.business_status,
        "reason_code": referral.reason_code,
        "reason": referral.reason,
        "admitted_on": referral.admitted_on,
        "service_ended_on": referral.service_ended_on
        if change.event_type == "referral.service_ended"
        else None,
        "consent_id": referral.consent_id,
        "discharge": referral.discharge,
        "occurred_at": change.at,
    }
    if change.event_type == "referral.deadline_missed":
        found = referral.deadline(deadlines)
        assert found is not None
        assert referral.due_at is not None
        data |= {
            "step": found.step.value,
            "due_at": referral.due_at,
            "escalate_to": tuple(deadlines.steps[found.step].escalate_to),
        }
    return model.model_validate(data)


async def publish_changes(uow: UnitOfWork, referral: Referral, deadlines: DeadlineRules) -> None:
    """Emit every recorded change of the aggregate and stage its webhook deliveries."""
    for change in referral.changes:
        data = payload(referral, change, deadlines)
        envelope = await uow.emit(
            topic=REFERRAL_REFERRALS.name,
            key=referral.id,
            type_=change.event_type,
            subject=referral.id,
            data=data,
            time=change.at,
        )
        await webhooks.stage_deliveries(
            uow,
            event_id=str(envelope.id),
            event_type=change.event_type,
            referral_id=referral.id,
            partners=(referral.requester.organisation_id, referral.receiver.organisation_id),
            body={
                "type": change.event_type,
                "timestamp": change.at.isoformat(),
                "data": data.model_dump(mode="json"),
            },
            now=change.at,
        )
    referral.changes.clear()


def _party(organisation_id: str, kind: OrganisationKind, name: str | None) -> ReferralParty:
    return ReferralParty(organisation_id=organisation_id, kind=kind, name=name)
