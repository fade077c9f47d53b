"""Changes to a running bed, as pure rules (issue 11 items 2, 3, 6, 8, 10):

- 001 §四(六) "根据合同约定或协商一致后解除合同，并在 5 个工作日内…变更": the working days count
  from the contract's dissolution, not from the event;
- 000 §三(五) "探索“养老床位与家庭病床”的有机融合" and "需要转至养老机构入住的，通过市级平台发起
  转养申请": a family sickbed combines with the bed, only a nursing-home admission ends it;
- 001 §四(四)3 "达成一致后签订服务合同": follow-on contracts without a gap, the expiry notice and
  the end of an unrenewed bed;
- 001 §四(四)5 "根据老年人身体状况变化，及时调整服务计划" and 001 §四(六) "试点地区民政部门应及时
  重新选定服务机构": the profile's rules for re-assessment and provider replacement.
"""

from __future__ import annotations

from datetime import date

import pytest

from chassis.errors import PreconditionFailed
from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.events.referral import ReferralPath
from intake.domain.bed import TerminationReason, expire, terminate, transfer
from intake.domain.bed_change_policy import BedChangeRules, ReferralEffect
from intake.domain.contract_term import (
    DissolutionDateOutOfRange,
    SignedTerm,
    expiry_notice_due,
    follow_on_problems,
    has_expired,
)
from intake.domain.lifecycle import BedStatus
from intake.domain.referral import BedMove, ReferralStage, decide, hospital_suspension_reason
from intake.policies.loader import load_all_profiles, load_profile

XUANCHENG = load_profile("341800")
HANGZHOU = load_profile("330100")
CODES = ("341800", "310105", "330100", "330102", "330326")


class TestDissolutionClock:
    """001 §四(六): 解除合同，并在 5 个工作日内对所在地区养老服务平台相关信息进行变更."""

    def test_the_seed_counts_from_the_dissolution(self) -> None:
        rule = XUANCHENG.bed_changes.dissolution
        assert rule.citation.text == "001 §四(六)"
        assert rule.basis == "explicit"
        assert quoted_in_seed("001", "根据合同约定或协商一致后解除合同，并在 5 个工作日内")

    def test_a_dissolution_after_the_event_moves_the_deadline(self) -> None:
        ended = terminate(
            BedStatus.SUSPENDED,
            profile=XUANCHENG,
            reason=TerminationReason.LONG_HOSPITAL_STAY,
            event_date=date(2026, 9, 30),  # admitted to hospital
            recorded_on=date(2026, 10, 14),
            bed_since=date(2026, 3, 2),
            contract_dissolved_on=date(2026, 10, 9),  # the parties agreed to dissolve it
        )
        assert ended.contract_dissolved_on == date(2026, 10, 9)
        # Sat 10 Oct 2026 is a make-up working day: 10, 12, 13, 14, 15
        assert ended.update_deadline.due == date(2026, 10, 15)
        assert ended.late is False  # counted from the event it would be late (due 13 Oct)

    def test_without_a_dissolution_day_the_event_day_counts(self) -> None:
        ended = terminate(
            BedStatus.ACCEPTED,
            profile=XUANCHENG,
            reason=TerminationReason.DEATH,
            event_date=date(2026, 9, 30),
            recorded_on=date(2026, 10, 14),
            bed_since=date(2026, 3, 2),
        )
        assert ended.contract_dissolved_on == date(2026, 9, 30)
        assert ended.update_deadline.due == date(2026, 10, 13)
        assert ended.late is True

    @pytest.mark.parametrize(
        ("dissolved_on", "problem"),
        [(date(2026, 9, 29), "before the event_date"), (date(2026, 10, 15), "after today")],
    )
    def test_a_dissolution_outside_event_and_today_is_refused(
        self, dissolved_on: date, problem: str
    ) -> None:
        with pytest.raises(DissolutionDateOutOfRange, match=problem) as refused:
            transfer(
                BedStatus.ESTABLISHED,
                profile=XUANCHENG,
                event_date=date(2026, 9, 30),
                recorded_on=date(2026, 10, 14),
                bed_since=date(2026, 3, 2),
                contract_dissolved_on=dissolved_on,
            )
        assert [e.field for e in refused.value.field_errors] == ["body.contract_dissolved_on"]


class TestExpiry:
    """An unrenewed contract dissolves itself on its last day; the clock counts from it."""

    def test_an_expired_contract_ends_the_bed_from_its_last_day(self) -> None:
        ended = expire(
            BedStatus.ACCEPTED,
            profile=XUANCHENG,
            contract_end=date(2026, 9, 4),
            recorded_on=date(2026, 9, 5),
        )
        assert (ended.status, ended.reason) == (
            BedStatus.TERMINATED,
            TerminationReason.CONTRACT_EXPIRED,
        )
        assert ended.event_date == ended.contract_dissolved_on == date(2026, 9, 4)
        assert ended.update_deadline.due == date(2026, 9, 11)
        assert ended.late is False

    def test_officers_cannot_choose_the_sweeps_reason(self) -> None:
        with pytest.raises(PreconditionFailed, match="expiry sweep"):
            terminate(
                BedStatus.ESTABLISHED,
                profile=XUANCHENG,
                reason=TerminationReason.CONTRACT_EXPIRED,
                event_date=date(2026, 3, 2),
                recorded_on=date(2026, 3, 2),
                bed_since=date(2026, 1, 2),
            )

    def test_notice_window_and_expiry_boundaries(self) -> None:
        end = date(2026, 9, 4)
        assert XUANCHENG.bed_changes.renewal.notice_days == 30
        assert not expiry_notice_due(end=end, today=date(2026, 8, 4), notice_days=30)  # 31 days
        assert expiry_notice_due(end=end, today=date(2026, 8, 5), notice_days=30)  # 30 days
        assert expiry_notice_due(end=end, today=end, notice_days=30)  # the last day of service
        assert not expiry_notice_due(end=end, today=date(2026, 9, 5), notice_days=30)
        assert not has_expired(end=end, today=end)
        assert has_expired(end=end, today=date(2026, 9, 5))


class TestFollowOnContract:
    CURRENT = SignedTerm(start=date(2026, 3, 5), end=date(2026, 9, 4), provider_id="prov-a")

    def test_a_renewal_starts_by_the_day_after_the_current_end(self) -> None:
        assert (
            follow_on_problems(
                self.CURRENT, provider_id="prov-a", provider_since=None, start=date(2026, 9, 5)
            )
            == []
        )
        [(field, message)] = follow_on_problems(
            self.CURRENT, provider_id="prov-a", provider_since=None, start=date(2026, 9, 6)
        )
        assert field == "start"
        assert "gap" in message

    def test_a_renewal_cannot_restart_the_current_term(self) -> None:
        [(field, _message)] = follow_on_problems(
            self.CURRENT, provider_id="prov-a", provider_since=None, start=date(2026, 3, 5)
        )
        assert field == "start"

    def test_a_new_provider_starts_no_earlier_than_it_took_over(self) -> None:
        took_over = date(2026, 6, 1)
        assert (
            follow_on_problems(
                self.CURRENT, provider_id="prov-b", provider_since=took_over, start=took_over
            )
            == []
        )
        [(_field, message)] = follow_on_problems(
            self.CURRENT, provider_id="prov-b", provider_since=took_over, start=date(2026, 5, 31)
        )
        assert "took the bed over" in message


class TestReferralDecision:
    """The profile's rule per path decides; only `completed` and `service_ended` move the bed."""

    RULES: BedChangeRules = HANGZHOU.bed_changes

    def _decide(self, path: ReferralPath, stage: ReferralStage, **state: object) -> BedMove:
        values: dict[str, object] = {
            "referral_id": "ref-1",
            "bed_status": BedStatus.ESTABLISHED,
            "linked_referral_id": None,
            "suspension_reason": None,
            **state,
        }
        return decide(self.RULES, path=path, stage=stage, **values).move  # type: ignore[arg-type]

    def test_hangzhou_cites_the_city_notice(self) -> None:
        sickbed = self.RULES.referral_rule(ReferralPath.FAMILY_SICKBED)
        nursing = self.RULES.referral_rule(ReferralPath.NURSING_HOME)
        assert sickbed is not None
        assert nursing is not None
        assert sickbed.on_completed is ReferralEffect.COMBINE
        assert sickbed.citation.text == "000 §三(五)"
        assert quoted_in_seed("000", "探索“养老床位与家庭病床”的有机融合")
        assert nursing.on_completed is ReferralEffect.TRANSFER
        assert quoted_in_seed("000", "需要转至养老机构入住的，通过市级平台发起转养申请")

    def test_a_nursing_home_ends_the_bed_only_on_admission(self) -> None:
        nursing = ReferralPath.NURSING_HOME
        assert self._decide(nursing, ReferralStage.OTHER) is BedMove.NONE  # accepted, …
        assert self._decide(nursing, ReferralStage.COMPLETED) is BedMove.TRANSFER
        preparing = {"bed_status": BedStatus.PREPARING}
        assert self._decide(nursing, ReferralStage.COMPLETED, **preparing) is BedMove.NONE

    def test_a_family_sickbed_combines_until_it_closes(self) -> None:
        sickbed = ReferralPath.FAMILY_SICKBED
        assert self._decide(sickbed, ReferralStage.COMPLETED) is BedMove.LINK_FAMILY_SICKBED
        linked = {"linked_referral_id": "ref-1"}
        assert self._decide(sickbed, ReferralStage.COMPLETED, **linked) is BedMove.NONE
        assert (
            self._decide(sickbed, ReferralStage.SERVICE_ENDED, **linked)
            is BedMove.UNLINK_FAMILY_SICKBED
        )
        other = {"linked_referral_id": "ref-2"}
        assert self._decide(sickbed, ReferralStage.SERVICE_ENDED, **other) is BedMove.NONE

    def test_a_hospital_stay_suspends_and_its_discharge_resumes(self) -> None:
        hospital = ReferralPath.HOSPITAL
        assert self._decide(hospital, ReferralStage.COMPLETED) is BedMove.SUSPEND
        ours = {
            "bed_status": BedStatus.SUSPENDED,
            "suspension_reason": hospital_suspension_reason("ref-1"),
        }
        assert self._decide(hospital, ReferralStage.SERVICE_ENDED, **ours) is BedMove.RESUME
        manual = {"bed_status": BedStatus.SUSPENDED, "suspension_reason": "住院"}
        assert self._decide(hospital, ReferralStage.SERVICE_ENDED, **manual) is BedMove.NONE
        assert self._decide(hospital, ReferralStage.COMPLETED, **manual) is BedMove.NONE

    def test_an_ended_bed_and_a_nursing_bed_change_nothing(self) -> None:
        for status in (BedStatus.TERMINATED, BedStatus.TRANSFERRED):
            ended = {"bed_status": status}
            for path in (ReferralPath.NURSING_HOME, ReferralPath.FAMILY_SICKBED):
                assert self._decide(path, ReferralStage.COMPLETED, **ended) is BedMove.NONE
        federation = ReferralPath.DISABILITY_FEDERATION
        assert self._decide(federation, ReferralStage.COMPLETED) is BedMove.NONE
        assert self._decide(ReferralPath.HOME_BED, ReferralStage.COMPLETED) is BedMove.NONE


class TestProfiles:
    @pytest.mark.parametrize("code", CODES)
    def test_every_profile_has_the_bed_change_rules(self, code: str) -> None:
        rules = load_profile(code).bed_changes
        assert rules.renewal.notice_days == 30
        assert rules.renewal.basis == "interpretation"  # no seed sets a notice period
        assert {r.path for r in rules.referrals} == {
            ReferralPath.NURSING_HOME,
            ReferralPath.FAMILY_SICKBED,
            ReferralPath.HOSPITAL,
            ReferralPath.DISABILITY_FEDERATION,
        }
        for citation in rules.citations():
            assert quoted_in_seed(citation.seed, citation.quote), f"{code}: {citation.text}"

    def test_the_seeds_behind_reassessment_and_replacement(self) -> None:
        xuancheng, changning = XUANCHENG.bed_changes, load_profile("310105").bed_changes
        assert xuancheng.reassessment.citation.text == "001 §四(四)5"
        assert changning.reassessment.citation.text == "002 §六(六)"
        assert xuancheng.provider_replacement.basis == "explicit"
        assert quoted_in_seed("001", "试点地区民政部门应及时重新选定服务机构")
        assert all(p.bed_changes.provider_replacement for p in load_all_profiles().values())

    def test_a_profile_missing_a_referral_path_is_rejected(self) -> None:
        raw = XUANCHENG.bed_changes.model_dump()
        raw["referrals"] = raw["referrals"][1:]
        with pytest.raises(ValueError, match="exactly one rule for each"):
            BedChangeRules.model_validate(raw)
