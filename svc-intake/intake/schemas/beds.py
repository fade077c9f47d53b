"""Bed DTOs: guidance list, care plan, contract, installation, lifecycle commands."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, StrictInt

from chassis.dto import Input, Output
from intake.domain.care_plan import Period, WorkerRole
from intake.schemas.common import BlockedActionRead, ShortText


class CarePlanItemIn(Input):
    item_id: str = Field(
        min_length=1,
        max_length=40,
        description="code of an item of the jurisdiction's service catalogue "
        "(GET /v1/care-catalogues/{jurisdiction})",
    )
    times: StrictInt = Field(ge=1, le=1000)
    per: Period
    minutes_per_visit: StrictInt = Field(ge=1, le=24 * 60)
    worker_role: WorkerRole


class CarePlanIn(Input):
    items: list[CarePlanItemIn] = Field(min_length=1, max_length=100)


class PersonalItemIn(Input):
    name: ShortText
    monthly_fee_fen: int = Field(ge=0)


class ContractIn(Input):
    start: date
    end: date
    base_package_fee_fen: int = Field(ge=0, description="monthly base package, in fen")
    package_code: str | None = Field(
        default=None, max_length=32, description="the provider's filed package; fee must match"
    )
    personal_items: list[PersonalItemIn] = Field(default_factory=list, max_length=50)
    bed_fee_fen: int = Field(default=0, ge=0, description="must be 0: no bed fee (001, 002)")


class InstallationItemIn(Input):
    item_id: str = Field(min_length=1, max_length=40, description="catalogue item id")
    count: int = Field(ge=0, le=100)


class InstallationIn(Input):
    items: list[InstallationItemIn] = Field(min_length=1, max_length=50)


class SuspendIn(Input):
    reason: ShortText


class TerminateIn(Input):
    reason: Literal["death", "moved", "long_hospital_stay", "contract_end"]
    event_date: date
    contract_dissolved_on: date | None = Field(
        default=None,
        description="the day the contract was dissolved (解除合同; default: the event_date); the "
        "platform update is due N working days after it (001 §四(六))",
    )
    note: ShortText | None = None


class ContractRead(Output):
    id: str
    start: date
    end: date
    base_package_fee_fen: int
    personal_items: list[dict[str, object]]
    is_first: bool
    signed_on: date
    provider_id: str | None = Field(description="the provider that signed it")
    dissolved_on: date | None


class InstallationRead(Output):
    item_id: str
    name: str
    kind: str
    device_type: str | None
    count: int
    confirmed: bool


class BedSummary(Output):
    id: str
    application_id: str
    elder_id: str
    provider_id: str
    jurisdiction: str
    region_code: str
    status: str
    established_on: date | None
    update_deadline: date | None
    late_update: bool | None
    contract_dissolved_on: date | None


class BedRead(Output):
    id: str
    application_id: str
    elder_id: str
    provider_id: str
    jurisdiction: str
    region_code: str
    status: str
    allowed_actions: list[str] = Field(description="what this caller can do now")
    blocked_actions: list[BlockedActionRead]
    ability_level: str | None
    care_needs_level: int | None
    economic_status: str
    care_plan: list[dict[str, object]] | None
    contract: ContractRead | None
    installations: list[InstallationRead]
    missing_devices: list[str]
    established_on: date | None
    accepted_on: date | None
    inspections: list[dict[str, object]]
    suspended_on: date | None
    end_reason: str | None
    event_date: date | None
    update_deadline: date | None
    deadline_estimated: bool | None
    late_update: bool | None
    transfer_target: str | None
    contract_dissolved_on: date | None = Field(
        description="the day the contract was dissolved: the update deadline counts from it"
    )
    contract_dissolved_by: str | None
    family_sickbed_referral_id: str | None = Field(
        description="combined with this referral's family sickbed (000 §三(五))"
    )
    family_sickbed_since: date | None
    care_plan_revision_due: bool = Field(
        description="re-assessed since the care plan was recorded: the plan must be revised"
    )
    care_plan_revision_due_since: date | None
    new_contract_needed: bool = Field(
        description="the latest contract was signed with another provider (provider changed)"
    )
    created_at: datetime
    updated_at: datetime


class EntitlementRead(Output):
    id: str
    title: str
    beneficiary: str
    cap_fen: int | None
    per: str | None
    detail: str
    citation: str
    basis: str
    applies: bool | None
    missing: list[str]


class GuidanceItemRead(Output):
    id: str
    name: str
    kind: str
    device_type: str | None
    citations: list[str]
    why: str
    required: bool


class RequiredDevicesRead(Output):
    id: str
    any_of: list[str]
    citation: str


class GuidanceRead(Output):
    """建床指导清单 (000 §三(一))."""

    jurisdiction: str
    as_of: date
    ability_level: str | None
    entitlements: list[EntitlementRead]
    modifications: list[GuidanceItemRead]
    devices: list[GuidanceItemRead]
    required_devices: list[RequiredDevicesRead]
    base_package_min_fen: int | None
    base_package_max_fen: int | None
    base_package_citation: str | None
    pricing_citation: str
    min_first_contract_months: int | None
    basis: str


class EndRead(Output):
    """Answer of terminate and transfer: the bed and the platform-update deadline (001 §四(六))."""

    bed: BedRead
    contract_dissolved_on: date
    update_deadline: date
    deadline_estimated: bool
    late: bool


class BedWorklistItem(Output):
    """A bed on a staff or officer worklist, with what puts it there."""

    bed: BedSummary
    missing_devices: list[str]  # missing-devices: required groups not installed and confirmed
    acceptance_due_on: date | None  # acceptance-due: earliest acceptance date by the profile
    contract_end: date | None  # contracts-ending: the latest contract's last day
