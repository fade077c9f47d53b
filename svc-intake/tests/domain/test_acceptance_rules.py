"""Acceptance as 001 §四(五) runs it: "向试点地区民政部门提交验收申请及家庭养老床位服务合同、建设投入清单、
服务数据信息清单等材料，由试点地区民政部门组织街道、社区等共同入户验收认定"."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.errors import IllegalTransition
from chassis.testing.seeds import quoted_in_seed
from intake.domain.acceptance import (
    AcceptanceStatus,
    AcceptanceStep,
    InvestmentItem,
    check_application,
    check_inspection,
    next_status,
    step_problems,
)
from intake.domain.bed_steps import with_steps
from intake.domain.errors import InvalidAcceptance
from intake.domain.lifecycle import BedStatus

APPLIED, INSPECTED = AcceptanceStatus.APPLIED, AcceptanceStatus.INSPECTED


def test_the_seed_says_who_does_what() -> None:
    assert quoted_in_seed(
        "001", "提交验收申请及家庭养老床位服务合同、建设投入清单、服务数据信息清单等材料"
    )
    assert quoted_in_seed("001", "由试点地区民政部门组织街道、社区等共同入户验收认定")


def test_apply_inspect_accept_or_return_and_apply_again() -> None:
    est = BedStatus.ESTABLISHED
    assert next_status(est, None, AcceptanceStep.APPLY) is APPLIED
    assert next_status(est, APPLIED, AcceptanceStep.INSPECT) is INSPECTED
    assert next_status(est, INSPECTED, AcceptanceStep.ACCEPT) is AcceptanceStatus.ACCEPTED
    assert next_status(est, APPLIED, AcceptanceStep.RETURN) is AcceptanceStatus.RETURNED
    assert next_status(est, INSPECTED, AcceptanceStep.RETURN) is AcceptanceStatus.RETURNED
    assert next_status(est, AcceptanceStatus.RETURNED, AcceptanceStep.APPLY) is APPLIED


def test_only_an_inspected_application_is_accepted() -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_status(BedStatus.ESTABLISHED, APPLIED, AcceptanceStep.ACCEPT)
    assert caught.value.entity == "acceptance application"
    assert caught.value.allowed_actions == ("record_inspection", "return_acceptance")
    with pytest.raises(IllegalTransition):
        next_status(BedStatus.ESTABLISHED, APPLIED, AcceptanceStep.APPLY)  # one open at a time


def test_a_bed_not_established_has_no_acceptance_steps() -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_status(BedStatus.PREPARING, None, AcceptanceStep.APPLY)
    assert caught.value.entity == "bed"
    assert "establish" in caught.value.allowed_actions


def test_blocked_steps_say_what_is_missing() -> None:
    assert step_problems(None, attempt=None) == {
        "record_inspection": [
            "needs: an acceptance application awaiting inspection (apply_acceptance)"
        ],
        "return_acceptance": ["needs: an open acceptance application"],
        "accept": ["needs: an acceptance application (apply_acceptance)"],
    }
    applied = step_problems(APPLIED, attempt=2)
    assert applied["apply_acceptance"] == [
        "needs: no open acceptance application (attempt 2 is applied)"
    ]
    assert applied["accept"] == [
        "needs: the joint inspection at home by street and community (001 §四(五))"
    ]
    assert "accept" not in step_problems(INSPECTED, attempt=1)


def test_the_steps_sit_around_accept_and_after_installation() -> None:
    assert with_steps(["record_installation", "accept", "suspend"]) == [
        "record_installation",
        "install_camera",
        "install_modifications",
        "apply_acceptance",
        "record_inspection",
        "accept",
        "return_acceptance",
        "suspend",
    ]


def test_the_investment_total_is_the_sum_of_its_lines_in_fen() -> None:
    lines = [InvestmentItem("modification", "扶手", 90_000), InvestmentItem("other", "x", 1)]
    kwargs = {
        "period_start": date(2026, 3, 2),
        "period_end": date(2026, 4, 1),
        "established_on": date(2026, 3, 2),
        "today": date(2026, 4, 2),
    }
    check_application(investment=lines, total_fen=90_001, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidAcceptance) as caught:
        check_application(investment=lines, total_fen=90_000, **kwargs)  # type: ignore[arg-type]
    assert [e.field for e in caught.value.field_errors] == ["body.investment.total_fen"]
    assert "90001" in caught.value.field_errors[0].message


def test_the_service_period_lies_within_the_service_so_far() -> None:
    with pytest.raises(InvalidAcceptance) as caught:
        check_application(
            investment=[InvestmentItem("other", "x", 1)],
            total_fen=1,
            period_start=date(2026, 3, 1),
            period_end=date(2026, 4, 3),
            established_on=date(2026, 3, 2),
            today=date(2026, 4, 2),
        )
    assert [e.field for e in caught.value.field_errors] == [
        "body.service_data.period_start",
        "body.service_data.period_end",
    ]


def test_the_inspection_is_dated_between_the_application_and_today() -> None:
    check_inspection(
        inspected_on=date(2026, 4, 2), applied_on=date(2026, 4, 2), today=date(2026, 4, 2)
    )
    with pytest.raises(InvalidAcceptance):
        check_inspection(
            inspected_on=date(2026, 4, 1), applied_on=date(2026, 4, 2), today=date(2026, 4, 3)
        )
    with pytest.raises(InvalidAcceptance):
        check_inspection(
            inspected_on=date(2026, 4, 4), applied_on=date(2026, 4, 2), today=date(2026, 4, 3)
        )
