"""The ledger's domain: well-formed transfers, fingerprints for replays, reversals, balances."""

from __future__ import annotations

import hashlib

import pytest

from chassis.errors import Unprocessable
from subsidy.domain.ledger import Entry, TransferSpec, reversal, trial_balance

PAY = TransferSpec(
    id="t-1",
    kind="settlement",
    reference="stl-1",
    entries=(Entry("funder:city:341800", 150000), Entry("provider_payable:p", -150000)),
)


def test_a_transfer_sums_to_zero() -> None:
    PAY.validate()
    unbalanced = TransferSpec(
        id="t-2",
        kind="x",
        reference="r",
        entries=(Entry("funder:city:341800", 100), Entry("provider_payable:p", -99)),
    )
    with pytest.raises(Unprocessable) as caught:
        unbalanced.validate()
    assert "sum to zero" in str(caught.value.errors)


@pytest.mark.parametrize(
    "spec",
    [
        TransferSpec(id="bad id!", kind="x", reference="r", entries=PAY.entries),
        TransferSpec(id="t", kind="x", reference="r", entries=PAY.entries[:1]),
        TransferSpec(id="t", kind="x", reference="r", flag="post"),
        TransferSpec(
            id="t", kind="x", reference="r", flag="void", pending_id="p", entries=PAY.entries
        ),
        TransferSpec(
            id="t",
            kind="x",
            reference="r",
            entries=(Entry("bank:1", 1), Entry("provider_payable:p", -1)),
        ),
        TransferSpec(
            id="t",
            kind="x",
            reference="r",
            entries=(Entry("funder:a:1", 0), Entry("treasury:a:1", 0)),
        ),
    ],
)
def test_malformed_transfers_are_refused(spec: TransferSpec) -> None:
    with pytest.raises(Unprocessable):
        spec.validate()


def test_the_fingerprint_is_the_one_stored_transfers_carry() -> None:
    """The SHA-256 of the sorted-key JSON with each entry as [account, fen, line]: transfers
    recorded before entries became tuples keep matching their replays."""
    stored = (
        '{"entries":[["funder:city:341800",150000,null],["provider_payable:p",-150000,null]],'
        '"flag":"single","kind":"settlement","memo":"","pending_id":null,"reference":"stl-1",'
        '"references_id":null}'
    )
    assert PAY.fingerprint() == hashlib.sha256(stored.encode()).hexdigest()


def test_the_fingerprint_ignores_only_the_id() -> None:
    same = TransferSpec(id="other", kind=PAY.kind, reference=PAY.reference, entries=PAY.entries)
    assert same.fingerprint() == PAY.fingerprint()
    changed = TransferSpec(id="t-1", kind=PAY.kind, reference="stl-2", entries=PAY.entries)
    assert changed.fingerprint() != PAY.fingerprint()


def test_a_reversal_undoes_entry_by_entry() -> None:
    undo = reversal(PAY, id="t-1:rev", kind="clawback", memo="追回")
    undo.validate()
    assert undo.references_id == "t-1"
    totals: dict[str, int] = {}
    for entry in (*PAY.entries, *undo.entries):
        totals[entry.account_id] = totals.get(entry.account_id, 0) + entry.amount_fen
    assert set(totals.values()) == {0}


def test_trial_balance() -> None:
    balance = trial_balance(
        [("funder:city:1", 500), ("provider_payable:p", -300), ("treasury:city:1", -200)]
    )
    assert (balance.debits_fen, balance.credits_fen, balance.balanced) == (500, 500, True)
    assert not trial_balance([("funder:city:1", 1)]).balanced
