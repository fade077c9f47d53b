"""Application and bed state machines: every legal step, and every illegal one with its 409 data.

The expected tables are written out here by hand, independently of the domain's tables.
"""

from __future__ import annotations

import itertools

import pytest

from chassis.errors import IllegalTransition
from intake.domain.lifecycle import (
    APPLICATION_ACTIONS,
    BED_ACTIONS,
    ApplicationAction,
    ApplicationStatus,
    BedAction,
    BedStatus,
    application_target,
    check_application_action,
    check_bed_action,
)

LEGAL_APPLICATION = {
    "draft": ["update", "choose_provider", "submit", "withdraw"],
    "submitted": ["choose_provider", "assess", "reject", "withdraw"],
    "assessed": ["choose_provider", "assess", "approve", "reject", "withdraw"],
    "reviewing": ["choose_provider", "approve", "reject", "withdraw"],
    "approved": [],
    "rejected": [],
    "withdrawn": [],
}
LEGAL_BED = {
    "preparing": ["record_care_plan", "sign_contract", "record_installation", "establish", "terminate", "change_provider"],
    "established": ["record_care_plan", "record_installation", "accept", "suspend", "terminate", "transfer", "renew_contract", "reassess", "change_provider"],
    "accepted": ["record_care_plan", "record_installation", "suspend", "terminate", "transfer", "renew_contract", "reassess", "change_provider"],
    "suspended": ["resume", "terminate", "transfer", "renew_contract", "reassess", "change_provider"],
    "terminated": [],
    "transferred": [],
}  # fmt: skip

TARGET_OF = {
    "update": "draft",
    "submit": "submitted",
    "assess": "assessed",
    "reject": "rejected",
    "withdraw": "withdrawn",
}

ILLEGAL_APPLICATION = [
    (s, a)
    for s, a in itertools.product(ApplicationStatus, ApplicationAction)
    if a.value not in LEGAL_APPLICATION[s.value]
]
ILLEGAL_BED = [
    (s, a) for s, a in itertools.product(BedStatus, BedAction) if a.value not in LEGAL_BED[s.value]
]


def test_tables_cover_every_state() -> None:
    assert {s.value for s in ApplicationStatus} == set(LEGAL_APPLICATION)
    assert {s.value for s in BedStatus} == set(LEGAL_BED)
    assert len(ILLEGAL_APPLICATION) == 7 * 7 - 17
    assert len(ILLEGAL_BED) == 6 * 12 - 29


@pytest.mark.parametrize(("status", "action"), ILLEGAL_APPLICATION, ids=str)
def test_illegal_application_transition(
    status: ApplicationStatus, action: ApplicationAction
) -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_application_action(status, action)
    error = caught.value
    assert (error.entity, error.state, error.action) == ("application", status.value, action.value)
    assert list(error.allowed_actions) == LEGAL_APPLICATION[status.value]


@pytest.mark.parametrize(("status", "action"), ILLEGAL_BED, ids=str)
def test_illegal_bed_transition(status: BedStatus, action: BedAction) -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_bed_action(status, action)
    error = caught.value
    assert (error.entity, error.state, error.action) == ("bed", status.value, action.value)
    assert list(error.allowed_actions) == LEGAL_BED[status.value]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (ApplicationStatus(s), ApplicationAction(a))
        for s, actions in LEGAL_APPLICATION.items()
        for a in actions
    ],
    ids=str,
)
def test_legal_application_transition(status: ApplicationStatus, action: ApplicationAction) -> None:
    check_application_action(status, action)
    shown = [a.value for a in APPLICATION_ACTIONS[status]]  # what the read model offers
    assert shown == LEGAL_APPLICATION[status.value]
    # approve depends on the review levels left; choose_provider keeps the status
    if action.value in TARGET_OF:
        assert application_target(status, action).value == TARGET_OF[action.value]


@pytest.mark.parametrize(
    ("status", "action"),
    [(BedStatus(s), BedAction(a)) for s, actions in LEGAL_BED.items() for a in actions],
    ids=str,
)
def test_legal_bed_transition(status: BedStatus, action: BedAction) -> None:
    check_bed_action(status, action)
    assert [a.value for a in BED_ACTIONS[status]] == LEGAL_BED[status.value]


def test_fixed_targets() -> None:
    draft, submitted = ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED
    assert application_target(draft, ApplicationAction.SUBMIT) is submitted
    assert application_target(submitted, ApplicationAction.ASSESS) is ApplicationStatus.ASSESSED
    assert application_target(submitted, ApplicationAction.REJECT) is ApplicationStatus.REJECTED
    assert application_target(draft, ApplicationAction.WITHDRAW) is ApplicationStatus.WITHDRAWN


def test_final_states_say_so() -> None:
    with pytest.raises(IllegalTransition, match="none \\(final state\\)"):
        check_bed_action(BedStatus.TERMINATED, BedAction.RESUME)
