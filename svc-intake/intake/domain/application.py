"""Application rules: identity check, facts for eligibility, assessment, multi-level review.

The form follows 002 Annex 1 (长宁区家庭照护床位申请表); the 3-level region of an address is a
GB/T 2260 county code (province, city, county), plus the detail (street, lane, number, room).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from chassis.errors import PreconditionFailed
from homebed_schemas.events.intake import AbilityLevel, EconomicStatus
from intake.domain.conditions import Facts
from intake.domain.errors import IdentityMismatch
from intake.domain.lifecycle import (
    ApplicationAction,
    ApplicationStatus,
    check_application_action,
)
from intake.domain.policy import AssessmentScale, ReviewLevel
from intake.domain.regions import region_within
from intake.domain.resident_id import ResidentId, Sex, parse_resident_id


class MaritalStatus(StrEnum):
    MARRIED = "married"  # 已婚
    DIVORCED = "divorced"  # 离婚
    WIDOWED = "widowed"  # 丧偶
    UNMARRIED = "unmarried"  # 未婚 (not on the sample form, but elders who never married exist)


class Literacy(StrEnum):
    ILLITERATE = "illiterate"  # 文盲
    SEMI_LITERATE = "semi_literate"  # 略识文字
    LITERATE = "literate"  # 能读写


class Channel(StrEnum):
    ONLINE = "online"  # 浙里办 / app, by the elder or family
    OFFLINE = "offline"  # entered by provider staff or a street office (000 §三(一))


@dataclass(frozen=True)
class Assessment:
    scale: AssessmentScale
    assessor: str
    assessed_on: date
    ability_level: AbilityLevel | None = None
    care_needs_level: int | None = None


def verify_identity(
    id_number: str,
    *,
    today: date,
    declared_birth_date: date | None = None,
    declared_sex: Sex | None = None,
) -> ResidentId:
    """Parse the ID number and check the declared birth date and sex against it."""
    resident = parse_resident_id(id_number, today=today)
    if declared_birth_date is not None and declared_birth_date != resident.birth_date:
        raise IdentityMismatch("birth_date")
    if declared_sex is not None and declared_sex != resident.sex:
        raise IdentityMismatch("sex")
    return resident


def application_facts(
    *,
    jurisdiction: str,
    birth_date: date,
    hukou_region_code: str,
    current_region_code: str,
    in_pilot_area: bool | None,
    has_stable_caregiver: bool | None,
    is_renter: bool | None,
    economic_status: EconomicStatus | None,
    assessment: Assessment | None,
) -> Facts:
    """Facts for the eligibility engine; hukou and residence come from the form's addresses."""
    return Facts(
        birth_date=birth_date,
        hukou_local=region_within(hukou_region_code, jurisdiction),
        resides_locally=region_within(current_region_code, jurisdiction),
        in_pilot_area=in_pilot_area,
        ability_level=assessment.ability_level if assessment else None,
        care_needs_level=assessment.care_needs_level if assessment else None,
        has_stable_caregiver=has_stable_caregiver,
        is_renter=is_renter,
        economic_status=economic_status,
    )


def check_assessment(assessment: Assessment, *, profile_scale: AssessmentScale) -> None:
    """The assessment must use the profile's scale and give a level on it."""
    problems = []
    if assessment.scale != profile_scale:
        problems.append(f"this jurisdiction assesses on the {profile_scale} scale")
    if assessment.scale == "ability_4" and assessment.ability_level is None:
        problems.append("ability_level is required on the ability_4 scale")
    if assessment.scale == "care_needs_0_6" and assessment.care_needs_level is None:
        problems.append("care_needs_level is required on the care_needs_0_6 scale")
    if problems:
        raise PreconditionFailed(action="assess", problems=problems)


def next_review_level(
    required: Sequence[ReviewLevel], done: Sequence[ReviewLevel]
) -> ReviewLevel | None:
    """The first required level not yet passed, in the profile's order."""
    for level in required:
        if level not in done:
            return level
    return None


def approve(
    status: ApplicationStatus,
    *,
    level: ReviewLevel,
    required: Sequence[ReviewLevel],
    done: Sequence[ReviewLevel],
    unmet_rules: Sequence[str] = (),
) -> ApplicationStatus:
    """One review level passes; the last level approves. Ineligible applications can't pass."""
    check_application_action(status, ApplicationAction.APPROVE)
    expected = next_review_level(required, done)
    problems = []
    if expected is not None and level != expected:
        problems.append(f"the {expected} review comes next")
    if unmet_rules:
        problems.append("eligibility rules unmet: " + ", ".join(unmet_rules))
    if problems:
        raise PreconditionFailed(action="approve", problems=problems)
    remaining = [lvl for lvl in required if lvl not in done and lvl != level]
    return ApplicationStatus.REVIEWING if remaining else ApplicationStatus.APPROVED
