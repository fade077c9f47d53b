"""An alarm's notification chain as notify sees it: which step it is at, whether someone
acknowledged it, and when the current step repeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ChainState(StrEnum):
    OPEN = "open"  # nobody acknowledged yet: repeat the step, move on with iot's escalations
    ACKNOWLEDGED = "acknowledged"  # someone acknowledged: no repeats, no acknowledgement steps
    CLOSED = "closed"  # resolved, cleared, closed: nothing more


@dataclass
class AlarmChain:
    alarm_id: str
    provider_id: str
    bed_id: str
    alarm_type: str
    safety: bool
    step: int
    step_event_id: str
    step_rule_id: str
    step_started_at: datetime
    last_round_at: datetime
    repeat_no: int
    repeat_minutes: int | None
    state: ChainState
    raised_at: datetime
    arrival_deadline: datetime | None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    # when the current step repeats (None: no repeat due); stored so the sweep reads only the
    # chains that are due
    next_round_at: datetime | None = None

    def _schedule(self) -> None:
        due = self.state is ChainState.OPEN and self.repeat_minutes
        self.next_round_at = (
            self.last_round_at + timedelta(minutes=self.repeat_minutes)
            if due and self.repeat_minutes
            else None
        )

    def enter_step(
        self, *, step: int, event_id: str, rule_id: str, repeat_minutes: int | None, now: datetime
    ) -> bool:
        """Move to a later step (an escalation); False when the step is not later (redelivery of
        an older event, or a step the chain already passed)."""
        if step <= self.step and self.step_event_id != "":
            return False
        self.step, self.step_event_id, self.step_rule_id = step, event_id, rule_id
        self.step_started_at = self.last_round_at = now
        self.repeat_no = 0
        self.repeat_minutes = repeat_minutes
        self._schedule()
        return True

    def acknowledge(self, *, by: str | None, at: datetime) -> bool:
        if self.state is not ChainState.OPEN:
            return False
        self.state = ChainState.ACKNOWLEDGED
        self.acknowledged_by, self.acknowledged_at = by, at
        self._schedule()
        return True

    def close(self) -> None:
        self.state = ChainState.CLOSED
        self._schedule()

    def repeat_due(self, now: datetime) -> bool:
        if self.state is not ChainState.OPEN or not self.repeat_minutes:
            return False
        return now >= self.last_round_at + timedelta(minutes=self.repeat_minutes)

    def next_round(self, now: datetime) -> int:
        self.repeat_no += 1
        self.last_round_at = now
        self._schedule()
        return self.repeat_no
