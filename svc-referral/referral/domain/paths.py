"""The five referral paths: who starts one, who receives it, and what it does to the home bed.

000 §三(五) (family sickbed through the city platform with the archive; nursing home, 转养, with
the archive; disability-federation nursing bed, "主动推送、你点我送"; "床随人走"), 003 §四.5 (orderly
mutual transfer of home bed / family sickbed / institution bed), 004 §二(四)1 (hospital ↔ institution
↔ home bed; back to hospital when the condition worsens after the family agrees; home once a
follow-up at the partner hospital finds the elder fit). What a path does to the bed is intake's
decision (its profile's `bed_changes`); this table is what the referral itself enforces.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from homebed_schemas.events.referral import OrganisationKind, ReferralPath


class Starter(StrEnum):
    """Who sends a path's referral."""

    HOME_BED_PROVIDER = "home_bed_provider"  # provider staff of the elder's home bed
    PARTNER_HOSPITAL = "partner_hospital"  # a partner organisation through its signed key


@dataclass(frozen=True)
class PathRule:
    path: ReferralPath
    starter: Starter
    receiver_kind: OrganisationKind
    bed_effect: str  # what the README and the read model say happens to the bed
    needs_family_consent: bool  # a consent to the referral itself, before it is sent
    needs_bed: bool  # the elder has a home bed the referral leaves or combines with
    opens_application: bool  # completion opens a pre-filled application in intake
    basis: str


PATHS: dict[ReferralPath, PathRule] = {
    rule.path: rule
    for rule in (
        PathRule(
            ReferralPath.FAMILY_SICKBED,
            Starter.HOME_BED_PROVIDER,
            OrganisationKind.PRIMARY_CARE,
            "the home bed continues; intake combines it with the family sickbed on completed",
            needs_family_consent=False,
            needs_bed=True,
            opens_application=False,
            basis="000 §三(五)",
        ),
        PathRule(
            ReferralPath.NURSING_HOME,
            Starter.HOME_BED_PROVIDER,
            OrganisationKind.NURSING_HOME,
            "the admission (completed) ends the home bed: intake's transfer, platform update "
            "within 5 working days",
            needs_family_consent=False,
            needs_bed=True,
            opens_application=False,
            basis="000 §三(五), 003 §四.5, 001 §四(六)",
        ),
        PathRule(
            ReferralPath.DISABILITY_FEDERATION,
            Starter.HOME_BED_PROVIDER,
            OrganisationKind.DISABILITY_FEDERATION,
            "the home bed stays; the federation delivers a multi-function nursing bed",
            needs_family_consent=False,
            needs_bed=True,
            opens_application=False,
            basis="000 §三(五)",
        ),
        PathRule(
            ReferralPath.HOSPITAL,
            Starter.HOME_BED_PROVIDER,
            OrganisationKind.HOSPITAL,
            "only with the family's consent; intake suspends the bed on admission (completed) "
            "and resumes it when the stay ends (service_ended)",
            needs_family_consent=True,
            needs_bed=True,
            opens_application=False,
            basis="004 §二(四)1",
        ),
        PathRule(
            ReferralPath.HOME_BED,
            Starter.PARTNER_HOSPITAL,
            OrganisationKind.HOME_BED_PROVIDER,
            "no bed yet: completed opens a pre-filled application in intake, eligibility as usual",
            needs_family_consent=False,
            needs_bed=False,
            opens_application=True,
            basis="004 §二(四)1",
        ),
    )
}


def path_rule(path: ReferralPath) -> PathRule:
    return PATHS[path]
