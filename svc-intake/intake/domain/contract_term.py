"""A contract's term once the bed runs: its dissolution (解除合同) and the platform-update clock
(001 §四(六)), follow-on contracts (renewal, or the first contract with a new provider) and expiry
(the notice before the last day, the end of the bed after it).

"解除合同，并在 5 个工作日内…变更" (001 §四(六)): the working days count from the day the contract
is dissolved, which may come after the event (a hospital stay is not a dissolution until the
parties agree it is); a contract that ends unrenewed dissolves itself on its last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from chassis.errors import Unprocessable
from intake.domain.policy import PolicyProfile
from intake.domain.working_days import Deadline, add_working_days


class DissolutionDateOutOfRange(Unprocessable):
    """The dissolution day lies before the event that ended the service, or after today."""

    def __init__(self, problem: str) -> None:
        super().__init__([("body.contract_dissolved_on", problem)])
        self.problem = problem

    def __str__(self) -> str:
        return f"contract_dissolved_on {self.problem}"


def dissolution_day(*, event_date: date, dissolved_on: date | None, recorded_on: date) -> date:
    """The day the contract was dissolved: the one given, else the event day (interpretation:
    a record that names no day dissolves the contract when the service stopped)."""
    day = dissolved_on or event_date
    if day < event_date:
        raise DissolutionDateOutOfRange(f"lies before the event_date ({event_date})")
    if day > recorded_on:
        raise DissolutionDateOutOfRange(f"lies after today ({recorded_on})")
    return day


def update_deadline(profile: PolicyProfile, *, dissolved_on: date) -> Deadline:
    """The platform update is due N working days after the dissolution (001 §四(六))."""
    return add_working_days(dissolved_on, profile.lifecycle.update_working_days)


@dataclass(frozen=True)
class SignedTerm:
    """The bed's latest contract as signed: its term and the provider that signed it."""

    start: date
    end: date
    provider_id: str | None  # None: signed before contracts recorded their provider


def follow_on_problems(
    current: SignedTerm | None,
    *,
    provider_id: str,
    provider_since: date | None,
    start: date,
) -> list[tuple[str, str]]:
    """A follow-on contract carries the service on without a gap: it starts after the current
    contract started and at the latest the day after it ends. After a provider change, the new
    provider's first contract starts no earlier than the change (`provider_since`)."""
    if current is None:
        return []
    problems = []
    resumes_by = current.end + timedelta(days=1)
    if start > resumes_by:
        problems.append(
            (
                "start",
                f"leaves a gap: the current contract ends {current.end}, start by {resumes_by}",
            )
        )
    new_provider = current.provider_id is not None and current.provider_id != provider_id
    if new_provider and provider_since is not None and start < provider_since:
        problems.append(("start", f"lies before the provider took the bed over ({provider_since})"))
    if not new_provider and start <= current.start:
        problems.append(
            ("start", f"must come after the current contract's start ({current.start})")
        )
    return problems


def expiry_notice_due(*, end: date, today: date, notice_days: int) -> bool:
    """The contract ends within the notice period (its last day included) and has not ended."""
    return today <= end and (end - today).days <= notice_days


def has_expired(*, end: date, today: date) -> bool:
    """The last day of service has passed."""
    return today > end
