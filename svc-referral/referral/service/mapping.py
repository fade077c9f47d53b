"""Between the table row and the domain aggregate, and the read models."""

from __future__ import annotations

from homebed_schemas.events.referral import OrganisationKind, ReferralPath, ReferralStatus
from referral.domain.deadlines import STEP_OF_STATUS
from referral.domain.paths import path_rule
from referral.domain.referral import Organisation, Party, Referral
from referral.schemas.referrals import PartyRead, ReferralRead, ReferralSummary
from referral.tables import ReferralRow


def to_domain(row: ReferralRow) -> Referral:
    return Referral(
        id=row.id,
        path=ReferralPath(row.path),
        status=ReferralStatus(row.status),
        requester=Organisation(
            row.requester_id, OrganisationKind(row.requester_kind), row.requester_name
        ),
        receiver=Organisation(
            row.receiver_id, OrganisationKind(row.receiver_kind), row.receiver_name
        ),
        jurisdiction=row.jurisdiction,
        region_code=row.region_code,
        created_at=row.created_at,
        updated_at=row.updated_at,
        step_since=row.step_since,
        bed_id=row.bed_id,
        elder_id=row.elder_id,
        provider_id=row.provider_id,
        consent_id=row.consent_id,
        business_status=row.business_status,
        reason_code=row.reason_code,
        reason=row.reason,
        held_from=ReferralStatus(row.held_from) if row.held_from else None,
        admitted_on=row.admitted_on,
        service_ended_on=row.service_ended_on,
        due_at=row.due_at,
        escalated_at=row.escalated_at,
        discharge=row.discharge,
    )


def to_row(referral: Referral, *, created_by: str) -> ReferralRow:
    row = ReferralRow(
        id=referral.id,
        path=referral.path.value,
        requester_id=referral.requester.organisation_id,
        requester_kind=referral.requester.kind.value,
        requester_name=referral.requester.name,
        receiver_id=referral.receiver.organisation_id,
        receiver_kind=referral.receiver.kind.value,
        receiver_name=referral.receiver.name,
        jurisdiction=referral.jurisdiction,
        region_code=referral.region_code,
        bed_id=referral.bed_id,
        elder_id=referral.elder_id,
        provider_id=referral.provider_id,
        consent_id=referral.consent_id,
        discharge=referral.discharge,
        created_by=created_by,
        created_at=referral.created_at,
    )
    update_row(row, referral)
    return row


def update_row(row: ReferralRow, referral: Referral) -> None:
    """Copy what the state machine may change."""
    row.status = referral.status.value
    row.business_status = referral.business_status
    row.reason_code = referral.reason_code
    row.reason = referral.reason
    row.held_from = referral.held_from.value if referral.held_from else None
    row.admitted_on = referral.admitted_on
    row.service_ended_on = referral.service_ended_on
    row.step_since = referral.step_since
    row.due_at = referral.due_at
    row.escalated_at = referral.escalated_at
    row.updated_at = referral.updated_at


def referral_read(row: ReferralRow, party: Party | None) -> ReferralRead:
    referral = to_domain(row)
    step = STEP_OF_STATUS.get(referral.status)
    return ReferralRead(
        id=row.id,
        path=row.path,
        status=row.status,
        business_status=row.business_status,
        reason_code=row.reason_code,
        reason=row.reason,
        requester=PartyRead(
            organisation_id=row.requester_id, kind=row.requester_kind, name=row.requester_name
        ),
        receiver=PartyRead(
            organisation_id=row.receiver_id, kind=row.receiver_kind, name=row.receiver_name
        ),
        bed_id=row.bed_id,
        elder_id=row.elder_id,
        provider_id=row.provider_id,
        jurisdiction=row.jurisdiction,
        region_code=row.region_code,
        consent_id=row.consent_id,
        admitted_on=row.admitted_on,
        service_ended_on=row.service_ended_on,
        discharge=row.discharge,
        bed_effect=path_rule(referral.path).bed_effect,
        step=step.value if step else None,
        due_at=row.due_at,
        escalated_at=row.escalated_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        your_role=party.value if party else None,
        allowed_actions=referral.allowed_actions(party) if party else [],
    )


def referral_summary(row: ReferralRow) -> ReferralSummary:
    return ReferralSummary(
        id=row.id,
        path=row.path,
        status=row.status,
        business_status=row.business_status,
        requester_id=row.requester_id,
        receiver_id=row.receiver_id,
        bed_id=row.bed_id,
        due_at=row.due_at,
        updated_at=row.updated_at,
    )
