"""Review levels, assessment scale, establishment, acceptance, termination and transfer rules."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.errors import IllegalTransition, PreconditionFailed
from homebed_schemas.events.intake import AbilityLevel, EconomicStatus
from intake.domain.application import (
    Assessment,
    application_facts,
    approve,
    check_assessment,
    region_within,
)
from intake.domain.bed import (
    Installation,
    TerminationReason,
    accept_problems,
    check_establish,
    missing_devices,
    resume_status,
    terminate,
    transfer,
)
from intake.domain.errors import EventDateOutOfRange
from intake.domain.lifecycle import ApplicationStatus, BedStatus
from intake.policies.loader import load_profile

XUANCHENG, CHANGNING = load_profile("341800"), load_profile("310105")


def device(device_type: str, *, confirmed: bool = True, count: int = 1) -> Installation:
    return Installation(device_type, "smart_device", device_type, count, confirmed)


class TestReview:
    def test_changning_needs_street_then_district(self) -> None:
        levels = CHANGNING.review.levels
        after_street = approve(ApplicationStatus.ASSESSED, level="street", required=levels, done=[])
        assert after_street is ApplicationStatus.REVIEWING
        final = approve(after_street, level="district", required=levels, done=["street"])
        assert final is ApplicationStatus.APPROVED

    def test_district_cannot_go_first_in_changning(self) -> None:
        with pytest.raises(PreconditionFailed, match="the street review comes next"):
            approve(
                ApplicationStatus.ASSESSED,
                level="district",
                required=("street", "district"),
                done=[],
            )

    def test_xuancheng_single_district_decision(self) -> None:
        status = approve(
            ApplicationStatus.ASSESSED, level="district", required=("district",), done=[]
        )
        assert status is ApplicationStatus.APPROVED

    def test_unmet_rules_block_approval(self) -> None:
        with pytest.raises(PreconditionFailed, match="eligibility rules unmet: not-renter"):
            approve(
                ApplicationStatus.ASSESSED,
                level="district",
                required=("district",),
                done=[],
                unmet_rules=["not-renter"],
            )

    def test_approve_before_assessment_is_illegal(self) -> None:
        with pytest.raises(IllegalTransition) as caught:
            approve(ApplicationStatus.SUBMITTED, level="street", required=("street",), done=[])
        assert caught.value.allowed_actions == ("choose_provider", "assess", "reject", "withdraw")


class TestAssessment:
    def test_scale_must_match_the_profile(self) -> None:
        shanghai = Assessment("care_needs_0_6", "assessor-1", date(2026, 5, 1), care_needs_level=4)
        check_assessment(shanghai, profile_scale="care_needs_0_6")
        with pytest.raises(PreconditionFailed, match="ability_4 scale"):
            check_assessment(shanghai, profile_scale="ability_4")

    def test_level_is_required(self) -> None:
        empty = Assessment("ability_4", "assessor-1", date(2026, 5, 1))
        with pytest.raises(PreconditionFailed, match="ability_level is required"):
            check_assessment(empty, profile_scale="ability_4")


def test_hukou_and_residence_follow_the_addresses() -> None:
    assert region_within("330102", "330100")
    assert region_within("330102", "330102")
    assert not region_within("330106", "330102")
    assert region_within("341802", "341800")
    facts = application_facts(
        jurisdiction="330102",
        birth_date=date(1946, 5, 1),
        hukou_region_code="330102",
        current_region_code="330106",
        in_pilot_area=None,
        has_stable_caregiver=True,
        is_renter=False,
        economic_status=EconomicStatus.DIBAO,
        assessment=Assessment("ability_4", "a", date(2026, 1, 1), ability_level=AbilityLevel.MILD),
    )
    assert (facts.hukou_local, facts.resides_locally) == (True, False)
    assert facts.ability_level is AbilityLevel.MILD


class TestEstablish:
    def test_needs_contract_plan_and_confirmed_required_devices(self) -> None:
        with pytest.raises(PreconditionFailed) as caught:
            check_establish(
                BedStatus.PREPARING,
                profile=XUANCHENG,
                has_care_plan=False,
                has_signed_contract=False,
                installed=[device("emergency_button"), device("smart_mattress", confirmed=False)],
            )
        problems = caught.value.problems
        assert problems[:2] == (
            "needs: a care plan is recorded",
            "needs: a signed contract is recorded",
        )
        assert len(problems) == 3
        assert "vital-signs-remote-monitoring" in problems[2]
        assert "001 §四(三)2" in problems[2]

    def test_all_present(self) -> None:
        installed = [device("emergency_button"), device("vital_signs_monitor")]
        assert missing_devices(XUANCHENG, installed) == []
        check_establish(  # raises PreconditionFailed while anything is missing
            BedStatus.PREPARING,
            profile=XUANCHENG,
            has_care_plan=True,
            has_signed_contract=True,
            installed=installed,
        )

    def test_zero_count_does_not_count(self) -> None:
        found = missing_devices(CHANGNING, [device("emergency_button", count=0)])
        assert found
        assert found[0].startswith("emergency-call")

    def test_establish_twice_is_illegal(self) -> None:
        with pytest.raises(IllegalTransition):
            check_establish(
                BedStatus.ESTABLISHED,
                profile=XUANCHENG,
                has_care_plan=True,
                has_signed_contract=True,
                installed=[],
            )


class TestAccept:
    def test_only_after_one_month_of_service(self) -> None:
        established = date(2026, 1, 31)
        (waiting,) = accept_problems(XUANCHENG, established_on=established, on=date(2026, 2, 27))
        assert "earliest 2026-02-28" in waiting
        assert accept_problems(XUANCHENG, established_on=established, on=date(2026, 2, 28)) == []

    def test_resume_returns_to_where_the_bed_was(self) -> None:
        assert resume_status(BedStatus.SUSPENDED, accepted=True) is BedStatus.ACCEPTED
        assert resume_status(BedStatus.SUSPENDED, accepted=False) is BedStatus.ESTABLISHED


class TestTerminate:
    def test_deadline_across_national_day_and_late_flag(self) -> None:
        on_time = terminate(
            BedStatus.ACCEPTED,
            profile=XUANCHENG,
            reason=TerminationReason.DEATH,
            event_date=date(2025, 9, 30),
            recorded_on=date(2025, 10, 14),
            bed_since=date(2025, 1, 2),
        )
        assert on_time.status is BedStatus.TERMINATED
        assert on_time.update_deadline.due == date(2025, 10, 14)
        assert on_time.late is False
        late = terminate(
            BedStatus.SUSPENDED,
            profile=XUANCHENG,
            reason=TerminationReason.LONG_HOSPITAL_STAY,
            event_date=date(2025, 9, 30),
            recorded_on=date(2025, 10, 15),
            bed_since=date(2025, 1, 2),
        )
        assert late.late is True

    def test_event_in_the_future_is_refused(self) -> None:
        with pytest.raises(EventDateOutOfRange, match="after today") as refused:
            terminate(
                BedStatus.ESTABLISHED,
                profile=XUANCHENG,
                reason=TerminationReason.MOVED,
                event_date=date(2026, 3, 3),
                recorded_on=date(2026, 3, 2),
                bed_since=date(2026, 1, 2),
            )
        assert [e.field for e in refused.value.field_errors] == ["body.event_date"]

    def test_event_before_the_bed_existed_is_refused(self) -> None:
        with pytest.raises(EventDateOutOfRange, match="before the bed existed"):
            transfer(
                BedStatus.ESTABLISHED,
                profile=XUANCHENG,
                event_date=date(2026, 1, 1),
                recorded_on=date(2026, 3, 2),
                bed_since=date(2026, 1, 2),
            )

    def test_transferred_reason_only_through_transfer(self) -> None:
        with pytest.raises(PreconditionFailed, match="use transfer"):
            terminate(
                BedStatus.ESTABLISHED,
                profile=XUANCHENG,
                reason=TerminationReason.TRANSFERRED,
                event_date=date(2026, 3, 2),
                recorded_on=date(2026, 3, 2),
                bed_since=date(2026, 1, 2),
            )
        outcome = transfer(
            BedStatus.ESTABLISHED,
            profile=XUANCHENG,
            event_date=date(2026, 3, 2),
            recorded_on=date(2026, 3, 2),
            bed_since=date(2026, 1, 2),
        )
        assert (outcome.status, outcome.reason) == (
            BedStatus.TRANSFERRED,
            TerminationReason.TRANSFERRED,
        )
        assert outcome.update_deadline.due == date(2026, 3, 9)
