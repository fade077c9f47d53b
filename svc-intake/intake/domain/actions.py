"""What a caller can do now: the state's actions, narrowed by role and by unmet preconditions.

Read models list `allowed_actions` (this caller, now) and `blocked_actions` (the rest of what the
state allows, each with what is unmet: the role or a rule), so an app never offers a button that
answers 403 or 409. The 409 of a refused action still lists the state's actions (chassis shape).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chassis.principal import Role
from intake.domain.lifecycle import ApplicationAction, BedAction

_APPLICANTS = frozenset(
    {Role.ELDER, Role.FAMILY, Role.PROVIDER_ADMIN, Role.CAREGIVER, Role.OFFICER}
)
_OFFICER = frozenset({Role.OFFICER})
_ADMIN = frozenset({Role.PROVIDER_ADMIN})
_STAFF = frozenset({Role.PROVIDER_ADMIN, Role.CAREGIVER})
_MANAGERS = frozenset({Role.PROVIDER_ADMIN, Role.OFFICER})

APPLICATION_ROLES: Mapping[str, frozenset[Role]] = {
    ApplicationAction.UPDATE: _APPLICANTS,
    ApplicationAction.CHOOSE_PROVIDER: frozenset({Role.ELDER, Role.FAMILY, Role.OFFICER}),
    ApplicationAction.SUBMIT: _APPLICANTS,
    ApplicationAction.WITHDRAW: _APPLICANTS,
    ApplicationAction.ASSESS: _OFFICER,
    ApplicationAction.APPROVE: _OFFICER,
    ApplicationAction.REJECT: _OFFICER,
}
BED_ROLES: Mapping[str, frozenset[Role]] = {
    BedAction.RECORD_CARE_PLAN: _STAFF,
    BedAction.SIGN_CONTRACT: _ADMIN,
    BedAction.RECORD_INSTALLATION: _STAFF,
    BedAction.ESTABLISH: _ADMIN,
    BedAction.ACCEPT: _OFFICER,
    BedAction.SUSPEND: _MANAGERS,
    BedAction.RESUME: _MANAGERS,
    BedAction.TERMINATE: _MANAGERS,
    BedAction.TRANSFER: _MANAGERS,
    BedAction.RENEW_CONTRACT: _ADMIN,
    BedAction.REASSESS: _OFFICER,
    BedAction.CHANGE_PROVIDER: _OFFICER,
}


@dataclass(frozen=True)
class Blocked:
    action: str
    unmet: tuple[str, ...]


def split_actions(
    state_actions: Sequence[str],
    *,
    role: Role,
    roles_of: Mapping[str, frozenset[Role]],
    unmet: Mapping[str, Sequence[str]],
) -> tuple[list[str], list[Blocked]]:
    """(what this caller can do now, what the state allows but is blocked, with why)."""
    allowed: list[str] = []
    blocked: list[Blocked] = []
    for action in state_actions:
        roles = roles_of[action]
        reasons = [] if role in roles else [f"role: one of {', '.join(sorted(roles))}"]
        reasons += unmet.get(action, ())
        if reasons:
            blocked.append(Blocked(action, tuple(reasons)))
        else:
            allowed.append(action)
    return allowed, blocked
