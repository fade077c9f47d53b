"""Settlement domain: the state machine, maker-checker, deterministic lines, adjustments,
ledger postings that sum to zero, and the anomaly rules."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassis.errors import Forbidden, IllegalTransition
from subsidy.domain.anomalies import (
    BedSpan,
    PaidLine,
    duplicate_construction,
    two_active_beds,
)
from subsidy.domain.facts import BedFacts
from subsidy.domain.ledger import Entry
from subsidy.domain.lines import FundingLeg, Line
from subsidy.domain.periods import Period
from subsidy.domain.settlement import (
    SettledLine,
    SettlementAction,
    SettlementStatus,
    canonical_text,
    digest,
    line_amounts,
    next_status,
    posting_entries,
    require_checker,
)
from subsidy.domain.settlement_run import BedInput, adjustment_lines, settle_month
from subsidy.policies.loader import load_profile

XUANCHENG = load_profile("341800")
PINGYANG = load_profile("330326")
BED = BedFacts(
    birth_date=date(1950, 3, 1),
    ability_level="moderate",  # type: ignore[arg-type]
    economic_status="dibao",  # type: ignore[arg-type]
    package_fee_fen=80000,
    contract_start=date(2022, 4, 15),
    contract_end=date(2023, 4, 14),
    established_on=date(2022, 4, 15),
    accepted_on=date(2022, 5, 20),
    construction_investment_fen=360000,
)
JULY = Period.parse("2022-07")


def test_state_machine() -> None:
    draft = SettlementStatus.DRAFT
    assert next_status(draft, SettlementAction.SUBMIT) == SettlementStatus.SUBMITTED
    assert next_status(SettlementStatus.SUBMITTED, SettlementAction.REJECT) == draft
    with pytest.raises(IllegalTransition) as caught:
        next_status(SettlementStatus.APPROVED, SettlementAction.RUN)
    assert caught.value.extra["allowed_actions"] == ["confirm_payment"]


def test_maker_checker() -> None:
    require_checker(submitted_by="a", approver="b")
    with pytest.raises(Forbidden):
        require_checker(submitted_by="a", approver="a")


def test_one_line_per_elder_and_kind_and_deterministic() -> None:
    beds = [BedInput("bed-2", "elder-1", BED), BedInput("bed-1", "elder-1", BED)]
    month = settle_month(XUANCHENG, JULY, beds)
    assert [(s.bed_id, s.line.kind) for s in month.lines] == [
        ("bed-1", "construction"),
        ("bed-1", "low_income_service"),
    ]
    assert {n.bed_id for n in month.notes} == {"bed-2"}
    again = settle_month(XUANCHENG, JULY, list(reversed(beds)))
    assert digest(again.lines) == digest(month.lines)


def test_postings_sum_to_zero_and_vouchers_pass_through_the_elder() -> None:
    bed = replace(BED, voucher_fen=30000, services_delivered_fen=12000)
    month = settle_month(PINGYANG, JULY, [BedInput("bed-1", "elder-1", bed)])
    entries = posting_entries("prov-a", "330326", line_amounts(month.lines))
    assert sum(e.amount_fen for e in entries) == 0
    assert [e.account_id for e in entries] == [
        "funder:district:330326",
        "elder_voucher:elder-1",
        "elder_voucher:elder-1",
        "provider_payable:prov-a",
    ]


def test_postings_are_one_entry_per_account_and_direction() -> None:
    bed = replace(BED, voucher_fen=30000, services_delivered_fen=12000)
    beds = [BedInput(f"bed-{n}", f"elder-{n}", bed) for n in (1, 2, 3)]
    month = settle_month(PINGYANG, JULY, beds)
    entries = posting_entries("prov-a", "330326", line_amounts(month.lines))
    total = sum(s.line.amount_fen for s in month.lines)
    assert sum(e.amount_fen for e in entries) == 0
    assert entries[0] == Entry("funder:district:330326", total)
    assert entries[-1] == Entry("provider_payable:prov-a", -total)
    assert [e.account_id for e in entries[1:-1]] == [
        f"elder_voucher:elder-{n}" for n in (1, 1, 2, 2, 3, 3)
    ]
    assert posting_entries("prov-a", "330326", line_amounts(reversed(month.lines))) == entries


def test_adjustment_is_the_difference_with_what_was_settled() -> None:
    settled = settle_month(XUANCHENG, JULY, [BedInput("bed-1", "elder-1", BED)]).lines
    cheaper = replace(BED, package_fee_fen=50000, construction_paid_fen=0)
    lines = adjustment_lines(
        XUANCHENG,
        {("bed-1", "2022-07"): BedInput("bed-1", "elder-1", cheaper)},
        {("bed-1", "2022-07"): settled},
    )
    assert [(s.for_period, s.line.kind, s.line.amount_fen) for s in lines] == [
        ("2022-07", "low_income_service", -10000)
    ]
    assert lines[0].line.funding[0].amount_fen == -10000
    none = adjustment_lines(
        XUANCHENG,
        {("bed-1", "2022-07"): BedInput("bed-1", "elder-1", BED)},
        {("bed-1", "2022-07"): settled},
    )
    assert none == []


def test_anomaly_rules() -> None:
    lines = [
        PaidLine("s1", "prov-a", "bed-1", "elder-1", "2022-07", "construction", 150000),
        PaidLine("s2", "prov-b", "bed-2", "elder-1", "2022-07", "construction", 150000),
        PaidLine("s1", "prov-a", "bed-3", "elder-3", "2022-07", "construction", 150000),
    ]
    found = duplicate_construction(lines, 300000)
    assert [(a.elder_id, a.bed_ids) for a in found] == [("elder-1", ("bed-1", "bed-2"))]
    spans = [
        BedSpan("bed-1", "elder-1", date(2022, 1, 1), date(2022, 7, 10)),
        BedSpan("bed-2", "elder-1", date(2022, 7, 10), None),
        BedSpan("bed-3", "elder-3", date(2022, 1, 1), date(2022, 7, 9)),
        BedSpan("bed-4", "elder-3", date(2022, 7, 10), None),
    ]
    found = two_active_beds(spans, JULY)
    assert [(a.elder_id, a.bed_ids) for a in found] == [("elder-1", ("bed-1", "bed-2"))]


_text = st.text(max_size=40)  # any unicode: quotes, backslashes, control characters, CJK


@settings(deadline=None)  # a loaded box: timings vary, the bytes do not
@given(
    rows=st.lists(
        st.tuples(_text, _text, _text, _text, _text, st.integers(-(10**12), 10**12), _text),
        max_size=6,
    )
)
def test_digest_is_the_json_of_the_canonical_lines(
    rows: list[tuple[str, str, str, str, str, int, str]],
) -> None:
    """The digest's fast path writes the same bytes as json.dumps of each canonical line."""
    lines = [
        SettledLine(
            bed,
            elder,
            "2022-07",
            Line(
                kind="voucher_settlement",
                amount_fen=amount,
                payee="provider",
                rule=rule,
                seed=seed,
                explanation=explanation,
                funding=(FundingLeg("district", amount),),
            ),
        )
        for bed, elder, rule, seed, explanation, amount, _ in rows
    ]
    expected = hashlib.sha256(canonical_text(lines).encode()).hexdigest()
    assert digest(lines) == expected
