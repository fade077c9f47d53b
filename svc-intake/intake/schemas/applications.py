"""Application DTOs: the form of 002 Annex 1, assessment, review, decisions, PII reveal."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from chassis.dto import Input, Output
from homebed_schemas.events.intake import AbilityLevel, EconomicStatus
from intake.domain.application import Channel, Literacy, MaritalStatus
from intake.domain.resident_id import Sex
from intake.schemas.common import BlockedActionRead, JurisdictionCode, RegionCode, ShortText

Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9\- ]{4,19}$")]


class AddressIn(Input):
    """3-level region (GB/T 2260 county code) + detail (路、弄、号、室)."""

    region_code: RegionCode
    detail: ShortText


class ContactIn(Input):
    name: ShortText
    relation: ShortText
    phone: Phone
    postal_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    address: ShortText | None = None


class ApplicationCreate(Input):
    jurisdiction: JurisdictionCode
    provider_id: ShortText | None = None
    name: ShortText
    sex: Sex
    birth_date: date
    ethnicity: ShortText | None = None
    native_place: ShortText | None = None
    id_number: str = Field(min_length=15, max_length=32)
    social_security_no: str | None = Field(default=None, min_length=4, max_length=32)
    marital_status: MaritalStatus | None = None
    literacy: Literacy | None = None
    highest_education: ShortText | None = None
    hukou_address: AddressIn
    current_address: AddressIn
    ltc_assessment_level: int | None = Field(default=None, ge=0, le=6)
    ltc_assessment_applied_on: date | None = None
    receives_ltc_services: bool = False
    ltc_service_provider: ShortText | None = None
    caregiver: ContactIn
    emergency_contact: ContactIn
    in_pilot_area: bool | None = None
    has_stable_caregiver: bool | None = None
    is_renter: bool | None = None
    economic_status: EconomicStatus | None = None
    discharge_referral_id: ShortText | None = Field(
        default=None,
        description="the open pre-filled application (`GET /v1/discharge-applications`) of a "
        "partner hospital's discharge referral this application completes: same provider and "
        "jurisdiction, one application per referral",
    )


class ApplicationUpdate(Input):
    """Draft edits; identity (name, sex, birth date, ID number) and jurisdiction stay fixed."""

    provider_id: ShortText | None = None
    ethnicity: ShortText | None = None
    native_place: ShortText | None = None
    marital_status: MaritalStatus | None = None
    literacy: Literacy | None = None
    highest_education: ShortText | None = None
    hukou_address: AddressIn | None = None
    current_address: AddressIn | None = None
    ltc_assessment_level: int | None = Field(default=None, ge=0, le=6)
    ltc_assessment_applied_on: date | None = None
    receives_ltc_services: bool | None = None
    ltc_service_provider: ShortText | None = None
    caregiver: ContactIn | None = None
    emergency_contact: ContactIn | None = None
    in_pilot_area: bool | None = None
    has_stable_caregiver: bool | None = None
    is_renter: bool | None = None
    economic_status: EconomicStatus | None = None


class ProviderChoice(Input):
    provider_id: ShortText


class AssessmentIn(Input):
    scale: Literal["ability_4", "care_needs_0_6"]
    ability_level: AbilityLevel | None = None
    care_needs_level: int | None = Field(default=None, ge=0, le=6)
    assessor: ShortText
    assessed_on: date

    @model_validator(mode="after")
    def _level_on_its_scale(self) -> AssessmentIn:
        if self.scale == "ability_4" and self.care_needs_level is not None:
            raise ValueError("care_needs_level belongs to the care_needs_0_6 scale")
        if self.scale == "care_needs_0_6" and self.ability_level is not None:
            raise ValueError("ability_level belongs to the ability_4 scale")
        return self


class ReviewIn(Input):
    level: Literal["street", "district"]
    note: ShortText | None = None


class RejectIn(Input):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class RevealPurpose(StrEnum):
    """Why a full number is read (PIPL art. 28-29: a specific purpose); the audit records it."""

    IDENTITY_VERIFICATION = "identity_verification"  # 核对身份 (assessment, home visit)
    CONTRACT_SIGNING = "contract_signing"  # 签订服务协议
    SUBSIDY_SETTLEMENT = "subsidy_settlement"  # 补贴结算
    EMERGENCY_CONTACT = "emergency_contact"  # 紧急联系家属
    CITY_REPORT = "city_report"  # 市平台 T+1 上报 (000 附件1)
    LEGAL_REQUEST = "legal_request"  # 依法调取
    REFERRAL = "referral"  # 转介转养: the receiver's archive, under the elder's consent (issue 13)


class RevealIn(Input):
    field: Literal["id_number", "caregiver_phone", "emergency_phone", "social_security_no"]
    purpose: RevealPurpose


class LinkIn(Input):
    code: Annotated[str, StringConstraints(min_length=6, max_length=32, strip_whitespace=True)]


class LinkCodeRead(Output):
    """Shown once: only its keyed hash is stored."""

    code: str
    expires_at: datetime


class PiiAccessRead(Output):
    """One full read of a number of this elder: who (role, provider), what, when, why."""

    field: str
    purpose: str
    actor_sub: str
    actor_role: str
    actor_provider_id: str | None
    application_id: str | None
    accessed_at: datetime


class RevealRead(Output):
    field: str
    value: str
    audited_at: datetime


class ReviewRead(Output):
    level: str
    officer: str
    decision: str
    note: str | None
    at: datetime


class AssessmentRead(Output):
    scale: str
    ability_level: str | None
    care_needs_level: int | None
    assessor: str
    assessed_on: date


class ApplicationSummary(Output):
    id: str
    elder_id: str
    name: str
    id_number_masked: str
    jurisdiction: str
    region_code: str
    provider_id: str | None
    status: str
    channel: Channel
    created_at: datetime


class ApplicationRead(Output):
    id: str
    elder_id: str
    name: str
    sex: str
    birth_date: date
    id_number_masked: str
    jurisdiction: str
    region_code: str
    provider_id: str | None
    status: str
    allowed_actions: list[str] = Field(description="what this caller can do now")
    blocked_actions: list[BlockedActionRead]
    channel: Channel
    entered_by: str | None
    form: dict[str, object]
    caregiver_phone_masked: str | None
    emergency_phone_masked: str | None
    in_pilot_area: bool | None
    in_pilot_area_source: Literal["street_code", "declared"] | None = Field(
        description="street_code: settled by the current address's street code (Changning's "
        "pilot streets, 002 §二); declared: the applicant's yes/no, where no code says"
    )
    has_stable_caregiver: bool | None
    is_renter: bool | None
    economic_status: str | None
    assessment: AssessmentRead | None
    reviews: list[ReviewRead]
    decision_reason: str | None
    eligible: bool | None = Field(
        description="null until decided: before submission, or while `pending` rules remain"
    )
    eligibility_status: Literal["eligible", "ineligible", "pending"] | None
    unmet: list[str] = Field(description="rules decided and not met")
    pending: list[str] = Field(description="rules that wait for a fact (e.g. the assessment)")
    bed_id: str | None
    duplicate_of: str | None = Field(
        description="officers only: the elder's other active application or bed"
    )
    discharge_referral_id: str | None = Field(
        description="the partner hospital's discharge referral this application completes"
    )
    created_at: datetime
    updated_at: datetime
