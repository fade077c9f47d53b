"""Payloads of `intake.applications.v1` and `intake.beds.v1` (producer: svc-intake).

No plaintext ID number or phone ever appears here: the elder is the pseudonymous `elder_id`; bed
events carry the name and address masked only (`elder_name_masked`, `address_masked`).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class AbilityLevel(StrEnum):
    """4-level ability assessment (004 §二(二)1)."""

    INTACT = "intact"  # 完好
    MILD = "mild"  # 轻度
    MODERATE = "moderate"  # 中度
    SEVERE = "severe"  # 重度


class EconomicStatus(StrEnum):
    """Economic status reported to the city platform (000 Annex 1)."""

    DIBAO = "dibao"  # 低保
    DIBIAN = "dibian"  # 低边
    OTHER = "other"  # 其他


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ApplicationEvent(_Payload):
    application_id: str
    elder_id: str
    jurisdiction: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 code of the profile")
    region_code: str = Field(pattern=r"^\d{6,12}$")
    provider_id: str | None = None
    status: str
    reason: str | None = None
    ability_level: AbilityLevel | None = None
    care_needs_level: int | None = Field(default=None, ge=0, le=6)
    priority: bool = False


class BedEvent(_Payload):
    bed_id: str
    application_id: str
    elder_id: str
    provider_id: str
    jurisdiction: str = Field(pattern=r"^\d{6}$")
    region_code: str = Field(pattern=r"^\d{6,12}$")
    status: str
    ability_level: AbilityLevel | None = None
    care_needs_level: int | None = Field(default=None, ge=0, le=6)
    economic_status: EconomicStatus
    package_fee_fen: int = Field(ge=0, description="monthly base package fee in fen")
    contract_start: date
    contract_end: date
    established_on: date | None = None
    accepted_on: date | None = None
    event_date: date | None = Field(default=None, description="when the change happened")
    reason: str | None = None
    transfer_target: str | None = None
    applicant_sub: str | None = Field(
        default=None,
        max_length=128,
        description="login subject (token `sub`) of the elder or family member who applied or "
        "linked the bed with a one-time code; None while nobody has (an offline application "
        "not yet claimed). Service records lets that account see the bed's visits, archive and "
        "surveys",
    )
    elder_name_masked: str | None = Field(
        default=None,
        max_length=100,
        description="the elder's name with all but the surname masked (张**), for people who "
        "must recognise the elder during an alarm; never the plain name. None from producers "
        "older than this field",
    )
    address_masked: str | None = Field(
        default=None,
        max_length=200,
        description="the home address's detail (road, community) with door numbers masked "
        "(梅园路 * 号 *** 室); the region is `region_code`. Never the plain address",
    )
    contract_id: str | None = Field(
        default=None, description="the latest contract (contract_expiring names the one ending)"
    )
    contract_dissolved_on: date | None = Field(
        default=None,
        description="terminated/transferred: the day the contract was dissolved (解除合同); the "
        "platform update is due within N working days of it (001 §四(六))",
    )
    update_deadline: date | None = Field(
        default=None, description="terminated/transferred: the platform-update deadline"
    )
    previous_provider_id: str | None = Field(
        default=None, description="provider_changed: the provider the bed left"
    )
    previous_ability_level: AbilityLevel | None = Field(
        default=None, description="reassessed: the level before the new assessment"
    )
    previous_care_needs_level: int | None = Field(
        default=None, ge=0, le=6, description="reassessed: the level before the new assessment"
    )
    assessed_on: date | None = Field(default=None, description="reassessed: the assessment day")
    family_sickbed_referral_id: str | None = Field(
        default=None,
        description="the referral whose family sickbed the home bed is combined with (000 §三(五))",
    )
    elder_birth_date: date | None = Field(
        default=None,
        description="the elder's birth date (from the ID number): svc-subsidy needs the age on a "
        "given month (001 §四(七)2 年满60周岁). None from producers older than this field",
    )
    occurred_at: datetime


APPLICATION_EVENTS: dict[str, type[BaseModel]] = {
    f"application.{name}": ApplicationEvent
    for name in ("submitted", "assessed", "approved", "rejected", "withdrawn")
}
BED_EVENTS: dict[str, type[BaseModel]] = {
    f"bed.{name}": BedEvent
    # contracted: the contract is signed and installation may begin (001 §四(四): sign → install →
    # establish), so iot-ingest accepts the bed's devices before the bed is established.
    for name in (
        "contracted",
        "established",
        "accepted",
        "suspended",
        "resumed",
        "terminated",
        "transferred",
        # linked: an elder or family account claimed the bed (one-time code): `applicant_sub` set
        "linked",
        # contract_renewed: a follow-on contract (new term, or the new provider's first one)
        "contract_renewed",
        # contract_expiring: the latest contract ends within the profile's notice days (once each)
        "contract_expiring",
        # reassessed: a new ability assessment or care-needs level; the care plan must be revised
        "reassessed",
        # provider_changed: civil affairs moved the bed to another provider (001 §四(六));
        # devices stay with the bed (iot keys them by bed_id), `previous_provider_id` is the old one
        "provider_changed",
        # family_sickbed_linked / _unlinked: combined with a family sickbed, and when that ended
        "family_sickbed_linked",
        "family_sickbed_unlinked",
    )
}
