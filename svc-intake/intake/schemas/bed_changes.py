"""DTOs of the changes to a running bed: transfer by referral path, follow-on contract,
re-assessment, provider replacement, the end of a referral's service, the bed's history and
the follow-up worklists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from chassis.dto import Input, Output
from intake.schemas.applications import AssessmentIn
from intake.schemas.beds import BedRead, BedSummary, ContractIn
from intake.schemas.common import ShortText

# home_bed brings an elder home (a new application): no existing bed is transferred that way
TransferPath = Literal["nursing_home", "family_sickbed", "hospital", "disability_federation"]


class TransferIn(Input):
    """An officer's or provider's record of a referral handled outside the platform (offline)."""

    path: TransferPath = Field(
        description="nursing_home ends the bed on admission (转养); family_sickbed combines with "
        "it; hospital suspends it; disability_federation is recorded (the profile's rules)"
    )
    event_date: date = Field(
        description="the day the receiver took the elder on (admission, family sickbed opened)"
    )
    receiving_organisation: ShortText = Field(description="who took the elder on")
    contract_dissolved_on: date | None = Field(
        default=None,
        description="nursing_home only: the day the contract was dissolved (default: the "
        "admission day); the platform update is due N working days after it (001 §四(六))",
    )
    note: ShortText | None = None


class ServiceEndedIn(Input):
    """The service a referral led to ended (family sickbed closed, discharged from hospital)."""

    ended_on: date
    note: ShortText | None = None


class TransferRead(Output):
    """What the referral did to the bed, and the platform-update deadline when it ended it."""

    bed: BedRead
    referral_id: str
    path: str
    effect: str = Field(description="what the bed did: transfer, link_family_sickbed, suspend, …")
    outcome: str = Field(description="why, in words (also when nothing changed)")
    contract_dissolved_on: date | None
    update_deadline: date | None
    deadline_estimated: bool | None
    late: bool | None


class RenewalIn(ContractIn):
    """A follow-on contract (续签), or the first contract of the provider that took the bed over."""


class ReassessmentIn(AssessmentIn):
    """A new ability assessment (or care-needs level) after establishment (001 §四(四)5)."""

    note: ShortText | None = None


class ProviderChangeIn(Input):
    provider_id: str = Field(min_length=1, max_length=64, description="the provider taking over")
    reason: ShortText


class ProviderBedsMoveIn(Input):
    to_provider_id: str = Field(min_length=1, max_length=64)
    reason: ShortText


class SkippedBedRead(Output):
    bed_id: str
    problems: list[str]


class ProviderBedsMoveRead(Output):
    """Beds of a suspended provider moved to another one (those of the caller's regions)."""

    from_provider_id: str
    to_provider_id: str
    moved: list[str]
    skipped: list[SkippedBedRead]


class ContractHistoryRead(Output):
    id: str
    provider_id: str | None
    start: date
    end: date
    base_package_fee_fen: int
    is_first: bool
    signed_on: date
    dissolved_on: date | None
    dissolved_by: str | None
    dissolution_reason: str | None
    expiry_notice_on: date | None


class ReferralRead(Output):
    referral_id: str
    path: str
    status: str
    receiver_name: str | None
    admitted_on: date | None
    service_ended_on: date | None
    source: str
    outcome: str
    updated_at: datetime


class AssessmentHistoryRead(Output):
    scale: str
    ability_level: str | None
    care_needs_level: int | None
    previous_ability_level: str | None
    previous_care_needs_level: int | None
    assessor: str
    assessed_on: date
    note: str | None
    recorded_by: str


class ProviderChangeRead(Output):
    from_provider_id: str
    to_provider_id: str
    changed_on: date
    changed_by: str
    reason: str


class BedHistoryRead(Output):
    """Everything that followed the bed: contracts (every provider's), referrals, re-assessments,
    provider changes; newest first."""

    bed_id: str
    contracts: list[ContractHistoryRead]
    referrals: list[ReferralRead]
    assessments: list[AssessmentHistoryRead]
    provider_changes: list[ProviderChangeRead]


class FollowUpItem(Output):
    """A running bed that needs its provider: a care plan to revise, or a contract to sign."""

    bed: BedSummary
    care_plan_revision_due_since: date | None
    new_contract_needed: bool
