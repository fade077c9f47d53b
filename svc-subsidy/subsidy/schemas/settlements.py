"""DTOs of settlements: runs, reads, transitions, payment, clawback."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, StrictBool, StrictInt

from chassis.dto import Input, Output
from subsidy.schemas.previews import JURISDICTION, PERIOD


class SettlementRun(Input):
    provider_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    jurisdiction: str = JURISDICTION
    period: str = PERIOD


class SettlementRejection(Input):
    reason: str = Field(min_length=2, max_length=500)


class PaymentConfirmation(Input):
    payment_reference: str = Field(min_length=1, max_length=64)
    amount_fen: StrictInt = Field(description="must equal the settlement's total")


class LineClawback(Input):
    reason: str = Field(min_length=2, max_length=500)
    suspend_further_payments: StrictBool = True


class ClawbackRecovery(Input):
    payment_reference: str = Field(min_length=1, max_length=64)
    amount_fen: StrictInt = Field(description="must equal the clawed-back amount of the line")


class SuspensionLifting(Input):
    reason: str = Field(min_length=2, max_length=500)


class PlatformAcceptance(Input):
    provider_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    jurisdiction: str = JURISDICTION
    accepted_on: date = Field(description="the day the provider's platform passed acceptance")


class SettlementRead(Output):
    id: str
    provider_id: str
    jurisdiction: str
    period: str
    status: Literal["draft", "submitted", "approved", "paid"]
    allowed_actions: list[str]
    policy_version: str
    run_no: int
    lines_digest: str
    line_count: int
    total_fen: int
    ran_at: datetime
    ran_by: str
    submitted_by: str | None
    submitted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    rejected_by: str | None
    rejected_reason: str | None
    paid_at: datetime | None
    payment_reference: str | None
    pending_transfer_id: str | None


class SettlementSummary(Output):
    id: str
    provider_id: str
    jurisdiction: str
    period: str
    status: str
    line_count: int
    total_fen: int


class FundingLegRead(Output):
    level: str
    amount_fen: int


class SettlementLineRead(Output):
    id: str
    bed_id: str
    elder_id: str
    for_period: str = Field(description="the month the line accounts for (earlier = adjustment)")
    kind: str
    rule: str
    seed: str
    payee: str
    amount_fen: int
    funding: list[FundingLegRead]
    explanation: str


class LineChangeRead(Output):
    elder_id: str
    for_period: str
    kind: str
    before_fen: int | None
    after_fen: int | None


class SettlementDiffRead(Output):
    settlement_id: str
    status: str | None = Field(description="the stored settlement's state; None when none yet")
    stored_digest: str | None
    new_digest: str
    changes: list[LineChangeRead]
    new_total_fen: int


class ClawbackRead(Output):
    line_id: str
    amount_fen: int
    transfer_id: str
    further_payments_suspended: bool


class RecoveryRead(Output):
    line_id: str
    amount_fen: int
    transfer_id: str
    references_transfer_id: str = Field(description="the clawback transfer it settles")
    payment_reference: str


class SuspensionLiftedRead(Output):
    bed_id: str
    payments_suspended: bool
    lifted_by: str
    lifted_at: datetime
    reason: str


class PlatformAcceptanceRead(Output):
    provider_id: str
    jurisdiction: str
    accepted_on: date
    recorded_by: str
    recorded_at: datetime
    settles_in: str = Field(
        description="the month whose settlement carries the subsidy: the acceptance's month, or "
        "when that month's settlement was already past draft, the next open month (an "
        "adjustment line of the acceptance's month)"
    )
    late: bool = Field(
        description="recorded after the acceptance month's settlement was submitted or approved"
    )
