"""Per-step deadlines of a referral, as data per jurisdiction (`policies/deadlines/<code>.yaml`).

No FHIR guide sets deadlines; ours do. A step starts when the referral reaches its status and is
due at the end (Asia/Shanghai) of the N-th Chinese working day after that day; a step whose due
time passes before the referral leaves the status is escalated once (the sweep, driven by the
injected clock). On hold stops the clock: resuming starts the step afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from chassis.clock import SHANGHAI, shanghai_date
from chassis.policy import Basis, Citation
from homebed_schemas.events.referral import ReferralPath, ReferralStatus
from referral.domain.working_days import add_working_days


class Step(StrEnum):
    ACKNOWLEDGE = "acknowledge"  # requested → received (or a decision straight away)
    DECIDE = "decide"  # received → accepted | rejected
    START = "start"  # accepted → in_progress
    COMPLETE = "complete"  # in_progress → completed | failed


STEP_OF_STATUS: dict[ReferralStatus, Step] = {
    ReferralStatus.REQUESTED: Step.ACKNOWLEDGE,
    ReferralStatus.RECEIVED: Step.DECIDE,
    ReferralStatus.ACCEPTED: Step.START,
    ReferralStatus.IN_PROGRESS: Step.COMPLETE,
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StepRule(_Frozen):
    working_days: int = Field(ge=1, le=60)
    by_path: dict[ReferralPath, int] = Field(
        default_factory=dict, description="working days for one path, where it differs"
    )
    escalate_to: tuple[str, ...] = Field(
        min_length=1, description="who is told: requester, receiver, officer"
    )
    basis: Basis
    citation: Citation

    def days_for(self, path: ReferralPath) -> int:
        return self.by_path.get(path, self.working_days)


class DeadlineRules(_Frozen):
    jurisdiction: str = Field(pattern=r"^\d{6}$")
    name: str
    steps: dict[Step, StepRule]

    def model_post_init(self, _context: object) -> None:
        missing = set(Step) - set(self.steps)
        if missing:
            raise ValueError(f"{self.jurisdiction}: no rule for steps {sorted(missing)}")


@dataclass(frozen=True)
class StepDeadline:
    step: Step
    due_at: datetime  # UTC: the end of the due Shanghai day
    working_days: int
    estimated: bool


def step_deadline(
    rules: DeadlineRules, *, status: ReferralStatus, path: ReferralPath, since: datetime
) -> StepDeadline | None:
    """The deadline of the step a referral in `status` is in, counted from `since`; None for
    statuses without a step (on hold, final)."""
    step = STEP_OF_STATUS.get(status)
    if step is None:
        return None
    rule = rules.steps[step]
    due = add_working_days(shanghai_date(since), rule.days_for(path))
    end_of_day = datetime.combine(due.due + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    return StepDeadline(
        step=step,
        due_at=end_of_day.astimezone(UTC),
        working_days=due.working_days,
        estimated=due.estimated,
    )
