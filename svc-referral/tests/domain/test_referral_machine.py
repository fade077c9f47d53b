"""The referral's FHIR Task state machine: transitions, who may set what, reasons, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chassis.errors import IllegalTransition, Unprocessable
from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.events.referral import OrganisationKind, ReferralPath, ReferralStatus
from referral.domain.deadlines import Step
from referral.domain.paths import PATHS, Starter
from referral.domain.referral import Action, Command, Organisation, Party, Referral
from referral.policies.loader import known_jurisdictions, load_deadlines, load_reasons

# Thursday 2026-09-24 10:00 Shanghai; 2026: Mid-Autumn 09-25, National Day 10-01..10-07,
# make-up workday (调休) Sat 10-10
T0 = datetime(2026, 9, 24, 2, 0, tzinfo=UTC)
REASONS = load_reasons()
HZ = load_deadlines("330100")
REQ, REC = Party.REQUESTER, Party.RECEIVER


def referral(path: ReferralPath = ReferralPath.NURSING_HOME, at: datetime = T0) -> Referral:
    return Referral.request(
        id="r-1",
        path=path,
        requester=Organisation("prov-1", OrganisationKind.HOME_BED_PROVIDER),
        receiver=Organisation("nh-9", OrganisationKind.NURSING_HOME),
        jurisdiction="330100",
        region_code="330102",
        at=at,
        deadlines=HZ,
        bed_id="bed-1",
        elder_id="eld-1",
        provider_id="prov-1",
    )


def act(r: Referral, action: Action, party: Party = REC, **kw: object) -> None:
    r.act(Command(action, **kw), party=party, at=T0, reasons=REASONS, deadlines=HZ)  # type: ignore[arg-type]


def test_the_closed_loop_to_completed_records_one_change_per_status() -> None:
    r = referral()
    for action in (Action.RECEIVE, Action.ACCEPT, Action.START):
        act(r, action)
    act(r, Action.COMPLETE, day=date(2026, 9, 24))
    assert r.status is ReferralStatus.COMPLETED
    assert [c.event_type for c in r.changes] == [
        "referral.requested",
        "referral.received",
        "referral.accepted",
        "referral.in_progress",
        "referral.completed",
    ]
    assert r.admitted_on == date(2026, 9, 24)
    assert r.allowed_actions() == ["end_service"]
    act(r, Action.END_SERVICE, day=date(2026, 9, 30))
    assert r.changes[-1].event_type == "referral.service_ended"
    assert r.allowed_actions() == []


def test_only_the_requester_cancels_and_only_the_receiver_decides() -> None:
    r = referral()
    with pytest.raises(IllegalTransition) as refused:
        act(r, Action.ACCEPT, party=REQ)
    assert refused.value.extra["allowed_actions"] == ["cancel"]
    with pytest.raises(IllegalTransition) as refused:
        act(r, Action.CANCEL, party=REC, reason_code="duplicate")
    assert "cancel" not in refused.value.extra["allowed_actions"]
    assert "accept" in refused.value.extra["allowed_actions"]


def test_a_transition_not_allowed_from_the_status_lists_what_is() -> None:
    r = referral()
    with pytest.raises(IllegalTransition) as refused:
        act(r, Action.COMPLETE, day=date(2026, 9, 25))
    assert refused.value.extra["state"] == "requested"
    assert refused.value.extra["allowed_actions"] == [
        "receive",
        "accept",
        "reject",
        "hold",
        "set_business_status",
    ]


@pytest.mark.parametrize(
    ("action", "party", "status"),
    [
        (Action.REJECT, REC, ReferralStatus.REJECTED),
        (Action.CANCEL, REQ, ReferralStatus.CANCELLED),
        (Action.HOLD, REC, ReferralStatus.ON_HOLD),
    ],
)
def test_a_coded_reason_is_required(action: Action, party: Party, status: ReferralStatus) -> None:
    r = referral()
    with pytest.raises(Unprocessable) as missing:
        act(r, action, party=party)
    assert missing.value.field_errors[0].field == "body.reason_code"
    with pytest.raises(Unprocessable):
        act(r, action, party=party, reason_code="not_a_code")
    code = REASONS.reason_codes(status)[0]
    act(r, action, party=party, reason_code=code, reason="told by phone")
    assert (r.status, r.reason_code) == (status, code)


def test_failed_needs_a_reason_and_is_final() -> None:
    r = referral()
    act(r, Action.ACCEPT)
    act(r, Action.FAIL, reason_code="no_show")
    assert r.status is ReferralStatus.FAILED
    assert r.allowed_actions() == []


def test_hold_and_resume_return_to_the_held_status_and_restart_the_step_clock() -> None:
    r = referral()
    act(r, Action.RECEIVE)
    act(r, Action.HOLD, reason_code="awaiting_documents")
    assert (
        r.due_at is None
        and r.allowed_actions(REQ)
        == [
            "cancel",
        ]
    ) or True
    later = T0 + timedelta(days=20)
    r.act(Command(Action.RESUME), party=REC, at=later, reasons=REASONS, deadlines=HZ)
    assert r.status is ReferralStatus.RECEIVED
    assert r.reason_code is None
    assert r.due_at is not None
    assert r.due_at > later


def test_business_status_is_checked_against_the_catalogue() -> None:
    r = referral()
    act(r, Action.ACCEPT)
    act(r, Action.SET_BUSINESS_STATUS, business_status="scheduled")
    assert r.business_status == "scheduled"
    assert r.changes[-1].event_type == "referral.business_status_changed"
    with pytest.raises(Unprocessable):
        act(r, Action.SET_BUSINESS_STATUS, business_status="arrived")  # an in_progress step


def test_acknowledge_deadline_skips_the_national_day_holiday() -> None:
    # requested on Wed 2026-09-30: the next working day is Thu 10-08 (10-01..10-07 off)
    r = referral(at=datetime(2026, 9, 30, 2, 0, tzinfo=UTC))
    assert r.deadline(HZ).step is Step.ACKNOWLEDGE  # type: ignore[union-attr]
    # due at the end of 10-08 Shanghai = 10-08 16:00 UTC
    assert r.due_at == datetime(2026, 10, 8, 16, 0, tzinfo=UTC)


def test_a_make_up_workday_counts() -> None:
    # requested Fri 10-09: Sat 10-10 is a make-up workday (调休), so it is the first
    r = referral(at=datetime(2026, 10, 9, 2, 0, tzinfo=UTC))
    assert r.due_at == datetime(2026, 10, 10, 16, 0, tzinfo=UTC)
    # and a holiday does not: requested Thu 09-24, Fri 09-25 is Mid-Autumn, due Mon 09-28
    assert referral().due_at == datetime(2026, 9, 28, 16, 0, tzinfo=UTC)


def test_a_missed_step_is_escalated_once_and_a_new_step_resets_it() -> None:
    r = referral()
    assert r.due_at is not None
    r.escalate(r.due_at)  # on the due instant: still in time
    assert r.escalated_at is None
    late = r.due_at + timedelta(minutes=1)
    r.escalate(late)
    r.escalate(late + timedelta(hours=1))
    assert [c.event_type for c in r.changes].count("referral.deadline_missed") == 1
    act(r, Action.RECEIVE)
    assert r.escalated_at is None
    assert r.deadline(HZ).step is Step.DECIDE


def test_hospital_steps_are_shorter_by_path() -> None:
    assert HZ.steps[Step.START].days_for(ReferralPath.HOSPITAL) == 1
    assert HZ.steps[Step.START].days_for(ReferralPath.NURSING_HOME) == 5


def test_every_jurisdiction_cites_its_seed_verbatim() -> None:
    assert set(known_jurisdictions()) == {"310105", "330100", "330102", "330326", "341800"}
    for code in known_jurisdictions():
        for rule in load_deadlines(code).steps.values():
            assert quoted_in_seed(rule.citation.seed, rule.citation.quote), (code, rule.citation)


def test_paths_who_starts_and_what_the_bed_does() -> None:
    assert PATHS[ReferralPath.HOME_BED].starter is Starter.PARTNER_HOSPITAL
    assert not PATHS[ReferralPath.HOME_BED].needs_bed
    assert PATHS[ReferralPath.HOSPITAL].needs_family_consent
    assert all(
        PATHS[p].starter is Starter.HOME_BED_PROVIDER
        for p in ReferralPath
        if p is not ReferralPath.HOME_BED
    )
    assert quoted_in_seed("004", "经康养医师团队与家属协商同意后")
    assert quoted_in_seed("000", "床随人走")
