"""Domain errors of the alarm lifecycle (the API maps them to 409 / 422)."""

from __future__ import annotations


class AlarmError(Exception):
    """Base of alarm domain errors."""


class IllegalTransition(AlarmError):
    """The action is not allowed in the alarm's current status."""

    def __init__(self, *, alarm_id: str, status: str, action: str, allowed: tuple[str, ...]):
        self.alarm_id = alarm_id
        self.status = status
        self.action = action
        self.allowed = allowed
        allowed_text = ", ".join(allowed) if allowed else "none (the alarm is closed)"
        super().__init__(
            f"cannot {action} an alarm that is {status}; allowed next steps: {allowed_text}"
        )


class InvalidAlarmInput(AlarmError):
    """A value given to a transition is unacceptable (empty name, text too long)."""
