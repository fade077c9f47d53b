"""Domain errors of the alarm lifecycle, on the chassis error model (409 / 422 problems)."""

from __future__ import annotations

from collections.abc import Iterable

from chassis.errors import IllegalTransition, Unprocessable


class IllegalAlarmTransition(IllegalTransition):
    """The action is not allowed in the alarm's current state; lists the allowed actions."""

    def __init__(
        self, *, alarm_id: str, state: str, action: str, allowed_actions: Iterable[str]
    ) -> None:
        super().__init__(
            state=state, action=action, allowed_actions=allowed_actions, entity="alarm"
        )
        self.alarm_id = alarm_id


class InvalidAlarmInput(Unprocessable):
    """A value given to a transition is unacceptable (empty name, text too long)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__([(field, message)])
