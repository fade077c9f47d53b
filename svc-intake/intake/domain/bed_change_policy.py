"""The profile's rules for changes to a bed once it runs: contract dissolution and the platform
update clock, contract renewal notice, re-assessment, provider replacement and referrals.

Each rule cites its seed (`basis: explicit`) or says how the platform reads a silent seed
(`basis: interpretation`); a profile lists one referral rule per path that reaches a bed.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chassis.policy import Basis, Citation
from homebed_schemas.events.referral import ReferralPath


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReferralEffect(StrEnum):
    """What the receiver taking the elder on (`referral.completed`) does to the home bed."""

    TRANSFER = "transfer"  # the bed ends (transferred) on that day, the update clock starts
    COMBINE = "combine"  # the bed runs on, combined with the receiver's service
    SUSPEND = "suspend"  # the bed pauses until the receiver's service ends
    RECORD = "record"  # the bed only records the referral


class CitedRule(_Frozen):
    citation: Citation
    basis: Basis
    note: str | None = None


class RenewalRule(CitedRule):
    notice_days: int = Field(ge=1, le=180, description="days before the contract end")


class ReferralRule(CitedRule):
    path: ReferralPath
    on_completed: ReferralEffect


# Paths that reach an existing bed (home_bed brings an elder home: there is no bed yet).
BED_PATHS = tuple(p for p in ReferralPath if p is not ReferralPath.HOME_BED)


class BedChangeRules(_Frozen):
    dissolution: CitedRule  # the update deadline counts from the contract's dissolution
    renewal: RenewalRule
    reassessment: CitedRule  # a new assessment: the care plan must be revised
    provider_replacement: CitedRule  # civil affairs choose another provider
    referrals: tuple[ReferralRule, ...]

    @model_validator(mode="after")
    def _one_rule_per_path(self) -> BedChangeRules:
        paths = [r.path for r in self.referrals]
        if sorted(paths) != sorted(BED_PATHS):
            expected = ", ".join(p.value for p in BED_PATHS)
            raise ValueError(f"referrals need exactly one rule for each of: {expected}")
        return self

    def referral_rule(self, path: ReferralPath) -> ReferralRule | None:
        return next((r for r in self.referrals if r.path is path), None)

    def citations(self) -> list[Citation]:
        rules: list[CitedRule] = [
            self.dissolution,
            self.renewal,
            self.reassessment,
            self.provider_replacement,
            *self.referrals,
        ]
        return [r.citation for r in rules]
