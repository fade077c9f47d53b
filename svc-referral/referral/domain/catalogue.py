"""Coded reasons (FHIR Task.statusReason) and business statuses (Task.businessStatus, BSeR-like).

The codes are data (`policies/reasons.yaml`); the domain receives the catalogue as a value.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from homebed_schemas.events.referral import REASON_STATUSES, ReferralStatus


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Coding(_Frozen):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    display_zh: str = Field(min_length=1)
    display_en: str = Field(min_length=1)


class ReasonCatalogue(_Frozen):
    """Reasons by the status they explain; business statuses by the status they refine."""

    system: str = Field(min_length=1, description="the code system URI in FHIR")
    reasons: dict[ReferralStatus, tuple[Coding, ...]]
    business_statuses: dict[ReferralStatus, tuple[Coding, ...]]

    def model_post_init(self, _context: object) -> None:
        missing = REASON_STATUSES - set(self.reasons)
        if missing:
            raise ValueError(f"reasons missing for {sorted(s.value for s in missing)}")

    def reason(self, status: ReferralStatus, code: str) -> Coding | None:
        return next((c for c in self.reasons.get(status, ()) if c.code == code), None)

    def reason_codes(self, status: ReferralStatus) -> list[str]:
        return [c.code for c in self.reasons.get(status, ())]

    def business_status(self, status: ReferralStatus, code: str) -> Coding | None:
        return next((c for c in self.business_statuses.get(status, ()) if c.code == code), None)

    def business_codes(self, status: ReferralStatus) -> list[str]:
        return [c.code for c in self.business_statuses.get(status, ())]
