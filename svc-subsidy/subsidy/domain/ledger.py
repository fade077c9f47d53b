"""A small double-entry ledger on TigerBeetle's and django-hordak's patterns.

- Amounts are integer fen; an entry's amount is signed: debit > 0, credit < 0.
- A transfer has a client-chosen id: creating it again with the same fields returns the original;
  the same id with other fields is refused (Stripe-style idempotency keys).
- Two phases: a `pending` transfer reserves its entries; a `post` or `void` transfer (no entries
  of its own) resolves it, once. Balances count a pending transfer only once it is posted.
- Nothing is ever edited: corrections and clawbacks are new transfers that reference the original
  (`references_id`), with the entries reversed (Modern Treasury's reversals).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from chassis.errors import Unprocessable

TransferFlag = Literal["single", "pending", "post", "void"]
AccountKind = Literal[
    "funder", "provider_payable", "elder_voucher", "clawback_receivable", "treasury"
]
_ID = re.compile(r"^[A-Za-z0-9:._-]{1,128}$")


def funder_account(level: str, jurisdiction: str) -> str:
    """Subsidy expense of one funding level (city / district) of a jurisdiction."""
    return f"funder:{level}:{jurisdiction}"


def provider_payable(provider_id: str) -> str:
    """What the funders owe a provider (credit balance) until it is paid."""
    return f"provider_payable:{provider_id}"


def elder_voucher(elder_id: str) -> str:
    """The elder's service account (养老服务专户) vouchers are credited to (004 §二(四)3)."""
    return f"elder_voucher:{elder_id}"


def clawback_receivable(provider_id: str) -> str:
    """Subsidy a provider must return (001 §五(四), 002 §七(三)4)."""
    return f"clawback_receivable:{provider_id}"


def treasury(level: str, jurisdiction: str) -> str:
    """The funder's bank: money leaves it when a payment is confirmed."""
    return f"treasury:{level}:{jurisdiction}"


def account_kind(account_id: str) -> AccountKind:
    kind = account_id.split(":", 1)[0]
    if kind not in (
        "funder",
        "provider_payable",
        "elder_voucher",
        "clawback_receivable",
        "treasury",
    ):
        raise ValueError(f"unknown account kind in {account_id!r}")
    return kind  # type: ignore[return-value]


class Entry(NamedTuple):
    """One side of a transfer (a tuple: ~2·10⁵ a county's submission, and JSON encodes it as
    the list the fingerprint hashes)."""

    account_id: str
    amount_fen: int  # debit > 0, credit < 0
    line_id: str | None = None


@dataclass(frozen=True)
class TransferSpec:
    id: str
    kind: str
    reference: str
    memo: str = ""
    flag: TransferFlag = "single"
    entries: tuple[Entry, ...] = ()
    pending_id: str | None = None
    references_id: str | None = None

    def validate(self) -> None:
        """Unprocessable naming what is wrong, unless the transfer is well formed."""
        problems: list[tuple[str, str]] = []
        if not _ID.match(self.id):
            problems.append(("id", "1-128 of A-Z a-z 0-9 : . _ -"))
        if self.flag in ("post", "void"):
            if self.pending_id is None:
                problems.append(("pending_id", f"a {self.flag} transfer names the pending one"))
            if self.entries:
                problems.append(("entries", f"a {self.flag} transfer has no entries of its own"))
        else:
            if self.pending_id is not None:
                problems.append(("pending_id", "only post and void transfers name a pending one"))
            if len(self.entries) < 2:
                problems.append(("entries", "at least two entries"))
            if any(e.amount_fen == 0 for e in self.entries):
                problems.append(("entries", "no entry of zero fen"))
            if sum(e.amount_fen for e in self.entries) != 0:
                problems.append(("entries", "debits and credits must sum to zero"))
            for entry in self.entries:
                try:
                    account_kind(entry.account_id)
                except ValueError as error:
                    problems.append(("entries", str(error)))
        if problems:
            raise Unprocessable(problems)

    @property
    def amount_fen(self) -> int:
        """The transfer's size: the sum of its debits."""
        return sum(e.amount_fen for e in self.entries if e.amount_fen > 0)

    def fingerprint(self) -> str:
        """Hash of every field but the id: a replay with the same id must match it."""
        body = {
            "kind": self.kind,
            "reference": self.reference,
            "memo": self.memo,
            "flag": self.flag,
            "pending_id": self.pending_id,
            "references_id": self.references_id,
            "entries": self.entries,  # each [account_id, amount_fen, line_id]
        }
        encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(encoded.encode()).hexdigest()


def reversal(original: TransferSpec, *, id: str, kind: str, memo: str) -> TransferSpec:
    """A new transfer undoing `original` entry by entry (a correction or a clawback)."""
    return TransferSpec(
        id=id,
        kind=kind,
        reference=original.reference,
        memo=memo,
        entries=tuple(Entry(e.account_id, -e.amount_fen, e.line_id) for e in original.entries),
        references_id=original.id,
    )


@dataclass(frozen=True)
class TrialBalance:
    debits_fen: int
    credits_fen: int
    per_account: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.debits_fen == self.credits_fen


def trial_balance(balances: Iterable[tuple[str, int]]) -> TrialBalance:
    """Debit balances against credit balances over every account (posted amounts)."""
    per_account = dict(balances)
    debits = sum(b for b in per_account.values() if b > 0)
    credits = -sum(b for b in per_account.values() if b < 0)
    return TrialBalance(debits_fen=debits, credits_fen=credits, per_account=per_account)
