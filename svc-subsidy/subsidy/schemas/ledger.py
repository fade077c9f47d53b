"""DTOs of the ledger routes."""

from __future__ import annotations

from pydantic import Field

from chassis.dto import Output


class AccountBalance(Output):
    account_id: str
    posted_fen: int = Field(description="debit > 0, credit < 0")
    pending_fen: int = Field(description="reserved by pending transfers not yet posted or voided")


class TrialBalanceRead(Output):
    debits_fen: int
    credits_fen: int
    balanced: bool
    accounts: list[AccountBalance]
