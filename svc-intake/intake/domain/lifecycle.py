"""State machines of the application and the bed (001 §四(四)–(六), 002 §六, 000 §三).

Each table lists, per state, the actions allowed in it, in the order a user would take them; an
action outside the table raises `IllegalTransition` carrying the allowed next steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from chassis.errors import IllegalTransition


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ASSESSED = "assessed"
    REVIEWING = "reviewing"  # one review level passed, another (district) pending
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ApplicationAction(StrEnum):
    UPDATE = "update"
    CHOOSE_PROVIDER = "choose_provider"
    SUBMIT = "submit"
    ASSESS = "assess"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


_A = ApplicationAction
APPLICATION_ACTIONS: Mapping[ApplicationStatus, tuple[ApplicationAction, ...]] = {
    ApplicationStatus.DRAFT: (_A.UPDATE, _A.CHOOSE_PROVIDER, _A.SUBMIT, _A.WITHDRAW),
    ApplicationStatus.SUBMITTED: (_A.CHOOSE_PROVIDER, _A.ASSESS, _A.REJECT, _A.WITHDRAW),
    ApplicationStatus.ASSESSED: (
        _A.CHOOSE_PROVIDER,
        _A.ASSESS,
        _A.APPROVE,
        _A.REJECT,
        _A.WITHDRAW,
    ),
    ApplicationStatus.REVIEWING: (_A.CHOOSE_PROVIDER, _A.APPROVE, _A.REJECT, _A.WITHDRAW),
    ApplicationStatus.APPROVED: (),
    ApplicationStatus.REJECTED: (),
    ApplicationStatus.WITHDRAWN: (),
}
# Targets of the actions whose outcome does not depend on the review levels still pending.
APPLICATION_TARGETS: Mapping[ApplicationAction, ApplicationStatus] = {
    _A.UPDATE: ApplicationStatus.DRAFT,
    _A.SUBMIT: ApplicationStatus.SUBMITTED,
    _A.ASSESS: ApplicationStatus.ASSESSED,
    _A.REJECT: ApplicationStatus.REJECTED,
    _A.WITHDRAW: ApplicationStatus.WITHDRAWN,
}
ACTIVE_APPLICATION_STATUSES = frozenset(
    {
        ApplicationStatus.DRAFT,
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.ASSESSED,
        ApplicationStatus.REVIEWING,
    }
)


class BedStatus(StrEnum):
    PREPARING = "preparing"  # approved: guidance list, care plan, contract, installation
    ESTABLISHED = "established"  # 建床
    ACCEPTED = "accepted"  # 验收
    SUSPENDED = "suspended"  # e.g. hospitalisation
    TERMINATED = "terminated"  # 撤床
    TRANSFERRED = "transferred"  # 转介转养


class BedAction(StrEnum):
    RECORD_CARE_PLAN = "record_care_plan"
    SIGN_CONTRACT = "sign_contract"
    RECORD_INSTALLATION = "record_installation"
    ESTABLISH = "establish"
    ACCEPT = "accept"
    SUSPEND = "suspend"
    RESUME = "resume"
    TERMINATE = "terminate"
    TRANSFER = "transfer"
    RENEW_CONTRACT = "renew_contract"  # a follow-on contract (renewal, or a new provider's)
    REASSESS = "reassess"  # a new assessment after establishment (001 §四(四)5)
    CHANGE_PROVIDER = "change_provider"  # civil affairs choose another provider (001 §四(六))


_B = BedAction
BED_ACTIONS: Mapping[BedStatus, tuple[BedAction, ...]] = {
    BedStatus.PREPARING: (
        _B.RECORD_CARE_PLAN,
        _B.SIGN_CONTRACT,
        _B.RECORD_INSTALLATION,
        _B.ESTABLISH,
        _B.TERMINATE,
        _B.CHANGE_PROVIDER,
    ),
    BedStatus.ESTABLISHED: (
        _B.RECORD_CARE_PLAN,
        _B.RECORD_INSTALLATION,
        _B.ACCEPT,
        _B.SUSPEND,
        _B.TERMINATE,
        _B.TRANSFER,
        _B.RENEW_CONTRACT,
        _B.REASSESS,
        _B.CHANGE_PROVIDER,
    ),
    BedStatus.ACCEPTED: (
        _B.RECORD_CARE_PLAN,
        _B.RECORD_INSTALLATION,
        _B.SUSPEND,
        _B.TERMINATE,
        _B.TRANSFER,
        _B.RENEW_CONTRACT,
        _B.REASSESS,
        _B.CHANGE_PROVIDER,
    ),
    BedStatus.SUSPENDED: (
        _B.RESUME,
        _B.TERMINATE,
        _B.TRANSFER,
        _B.RENEW_CONTRACT,
        _B.REASSESS,
        _B.CHANGE_PROVIDER,
    ),
    BedStatus.TERMINATED: (),
    BedStatus.TRANSFERRED: (),
}
ACTIVE_BED_STATUSES = frozenset(
    {BedStatus.PREPARING, BedStatus.ESTABLISHED, BedStatus.ACCEPTED, BedStatus.SUSPENDED}
)


def check_application_action(status: ApplicationStatus, action: ApplicationAction) -> None:
    allowed = APPLICATION_ACTIONS[status]
    if action not in allowed:
        raise IllegalTransition(
            entity="application",
            state=status.value,
            action=action.value,
            allowed_actions=[a.value for a in allowed],
        )


def check_bed_action(status: BedStatus, action: BedAction) -> None:
    allowed = BED_ACTIONS[status]
    if action not in allowed:
        raise IllegalTransition(
            entity="bed",
            state=status.value,
            action=action.value,
            allowed_actions=[a.value for a in allowed],
        )


def application_target(status: ApplicationStatus, action: ApplicationAction) -> ApplicationStatus:
    """The status after an action whose target is fixed (everything except `approve`)."""
    check_application_action(status, action)
    return APPLICATION_TARGETS[action]
