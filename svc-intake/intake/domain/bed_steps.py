"""Sub-steps of a bed's actions, listed with them in `allowed_actions` / `blocked_actions`:
the installation steps a consent guards (a camera, home modifications) after
`record_installation`, and the acceptance workflow around `accept` (apply and inspect before
it, return after it). They exist only where the state allows the action they belong to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chassis.principal import Role
from intake.domain.acceptance import STEP_ROLES as ACCEPTANCE_ROLES
from intake.domain.acceptance import AcceptanceStep
from intake.domain.lifecycle import BedAction

INSTALL_CAMERA = "install_camera"
INSTALL_MODIFICATIONS = "install_modifications"
_STAFF = frozenset({Role.PROVIDER_ADMIN, Role.CAREGIVER})

STEP_ROLES: Mapping[str, frozenset[Role]] = {
    INSTALL_CAMERA: _STAFF,
    INSTALL_MODIFICATIONS: _STAFF,
    **ACCEPTANCE_ROLES,
}
_BEFORE: Mapping[str, tuple[str, ...]] = {
    BedAction.ACCEPT: (AcceptanceStep.APPLY.value, AcceptanceStep.INSPECT.value),
}
_AFTER: Mapping[str, tuple[str, ...]] = {
    BedAction.RECORD_INSTALLATION: (INSTALL_CAMERA, INSTALL_MODIFICATIONS),
    BedAction.ACCEPT: (AcceptanceStep.RETURN.value,),
}


def with_steps(state_actions: Sequence[str]) -> list[str]:
    """The state's actions with their sub-steps in place."""
    merged: list[str] = []
    for action in state_actions:
        merged += _BEFORE.get(action, ())
        merged.append(action)
        merged += _AFTER.get(action, ())
    return merged
