"""DTOs of the reconciliation report."""

from __future__ import annotations

from pydantic import Field

from chassis.dto import Output


class SettlementReconciliation(Output):
    settlement_id: str
    provider_id: str
    status: str
    lines_total_fen: int = Field(description="what the settlement's lines add up to")
    posted_fen: int = Field(description="credited to the provider by the posted settlement")
    paid_fen: int = Field(description="paid out by the confirmed payment")
    clawed_back_fen: int = Field(description="recovered by clawbacks")
    consistent: bool = Field(description="lines = ledger = payment for the state it is in")


class AnomalyRead(Output):
    kind: str = Field(description="duplicate_construction, two_active_beds, suspended_days_paid")
    elder_id: str
    bed_ids: list[str]
    detail: str


class ReconciliationRead(Output):
    jurisdiction: str
    period: str
    settlements: list[SettlementReconciliation]
    anomalies: list[AnomalyRead]
