"""Payloads of `subsidy.settlements.v1` (producer: svc-subsidy), keyed by provider_id.

A settlement is one provider's subsidy for one month in one jurisdiction (openIMIS claim batch):
`settlement.calculated` after each run (not after a dry run), `settlement.submitted` when the
maker submits it for checking (`submitted_by`, the pending transfer; the region's officers are
told), `settlement.approved` when an officer other than the submitter approved it and the
ledger posted it, `settlement.paid` on the
payment confirmation, `settlement.reversed` when a paid or approved line is clawed back
(001 §五(四), 002 §七(三)4). Amounts are integer fen. No elder's name or ID appears here.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SettlementEvent(_Payload):
    settlement_id: str
    provider_id: str
    jurisdiction: str = Field(pattern=r"^\d{6}$")
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    status: str = Field(description="draft, submitted, approved or paid")
    policy_version: str = Field(description="the profile version the lines were computed with")
    run_no: int = Field(ge=1)
    lines_digest: str = Field(description="SHA-256 of the canonical lines: same facts, same digest")
    line_count: int = Field(ge=0)
    total_fen: int
    by_kind_fen: dict[str, int] = Field(description="line totals per kind")
    submitted_by: str | None = None
    approved_by: str | None = None
    ledger_transfer_id: str | None = Field(
        default=None,
        description="submitted: the pending transfer; approved: the posted transfer; "
        "paid: the payment transfer",
    )
    payment_reference: str | None = None
    occurred_at: datetime


class SettlementReversed(_Payload):
    settlement_id: str
    provider_id: str
    jurisdiction: str = Field(pattern=r"^\d{6}$")
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    line_id: str
    bed_id: str
    elder_id: str
    kind: str
    amount_fen: int = Field(description="the amount reversed (recovered), positive")
    reason: str
    ledger_transfer_id: str = Field(description="the reversing transfer")
    references_transfer_id: str = Field(description="the transfer it reverses")
    further_payments_suspended: bool
    occurred_at: datetime


SETTLEMENT_EVENTS: dict[str, type[BaseModel]] = {
    "settlement.calculated": SettlementEvent,
    "settlement.submitted": SettlementEvent,
    "settlement.approved": SettlementEvent,
    "settlement.paid": SettlementEvent,
    "settlement.reversed": SettlementReversed,
}
