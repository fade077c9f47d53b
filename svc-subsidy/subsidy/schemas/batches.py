"""DTOs of the batch operations on a county's settlements (one transaction per step)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt, field_validator

from chassis.dto import Input, Output
from subsidy.schemas.previews import JURISDICTION, PERIOD
from subsidy.schemas.settlements import SettlementRead

ProviderId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
SettlementId = Annotated[str, Field(min_length=1, max_length=64)]
BATCH_MAX = 1000  # a county has a few hundred providers


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("each id once")
    return values


class CountyRun(Input):
    jurisdiction: str = JURISDICTION
    period: str = PERIOD
    provider_ids: list[ProviderId] | None = Field(
        default=None,
        min_length=1,
        max_length=BATCH_MAX,
        description="only these providers; every provider with a bed in the jurisdiction when "
        "absent",
    )

    @field_validator("provider_ids")
    @classmethod
    def _once(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _distinct(value)


class SettlementIds(Input):
    settlement_ids: list[SettlementId] = Field(min_length=1, max_length=BATCH_MAX)

    @field_validator("settlement_ids")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        return _distinct(value)


class BatchPayment(Input):
    settlement_id: SettlementId
    payment_reference: str = Field(min_length=1, max_length=64)
    amount_fen: StrictInt = Field(description="must equal the settlement's total")


class PaymentBatch(Input):
    payments: list[BatchPayment] = Field(min_length=1, max_length=BATCH_MAX)

    @field_validator("payments")
    @classmethod
    def _once(cls, value: list[BatchPayment]) -> list[BatchPayment]:
        _distinct([p.settlement_id for p in value])
        return value


class SkippedSettlement(Output):
    id: str
    status: str = Field(description="not draft: a county run leaves it as it is")


class SettlementBatchRead(Output):
    settlements: list[SettlementRead] = Field(description="the settlements acted on, by id")
    skipped: list[SkippedSettlement] = Field(
        default_factory=list, description="county run only: settlements past draft"
    )
