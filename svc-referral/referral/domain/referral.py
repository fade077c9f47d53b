"""The referral aggregate: a FHIR R4 Task's life with requester and receiver permissions.

requested → received → accepted | rejected; accepted → in_progress → completed | failed; on_hold
from any open status (resume goes back to where it was held); cancelled by the requester at any
non-final status. A coded reason is required for rejected, cancelled, on_hold and failed
(Task.statusReason); finer steps are `business_status` (Task.businessStatus). Who may set which
status follows the Gravity SDOH Clinical Care IG: the requester cancels, the owner (receiver) does
everything else. `end_service` records that the service a completed referral led to ended (the
Task stays completed; intake undoes the combination or the suspension).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from chassis.clock import shanghai_date
from chassis.errors import IllegalTransition, Unprocessable
from homebed_schemas.events.referral import (
    REASON_STATUSES,
    OrganisationKind,
    ReferralPath,
    ReferralStatus,
)
from referral.domain.catalogue import ReasonCatalogue
from referral.domain.deadlines import DeadlineRules, StepDeadline, step_deadline


class Party(StrEnum):
    REQUESTER = "requester"
    RECEIVER = "receiver"


class Action(StrEnum):
    RECEIVE = "receive"
    ACCEPT = "accept"
    REJECT = "reject"
    START = "start"
    COMPLETE = "complete"
    FAIL = "fail"
    HOLD = "hold"
    RESUME = "resume"
    CANCEL = "cancel"
    END_SERVICE = "end_service"
    SET_BUSINESS_STATUS = "set_business_status"


S = ReferralStatus
FINAL = frozenset({S.REJECTED, S.FAILED, S.CANCELLED, S.COMPLETED})
OPEN = frozenset({S.REQUESTED, S.RECEIVED, S.ACCEPTED, S.IN_PROGRESS})

# (status, action) → the status reached; None: back to the status held from (resume), or
# unchanged (end_service, business status).
TRANSITIONS: dict[tuple[ReferralStatus, Action], ReferralStatus | None] = {
    (S.REQUESTED, Action.RECEIVE): S.RECEIVED,
    (S.REQUESTED, Action.ACCEPT): S.ACCEPTED,
    (S.REQUESTED, Action.REJECT): S.REJECTED,
    (S.RECEIVED, Action.ACCEPT): S.ACCEPTED,
    (S.RECEIVED, Action.REJECT): S.REJECTED,
    (S.ACCEPTED, Action.START): S.IN_PROGRESS,
    (S.ACCEPTED, Action.FAIL): S.FAILED,
    (S.IN_PROGRESS, Action.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, Action.FAIL): S.FAILED,
    **{(status, Action.HOLD): S.ON_HOLD for status in OPEN},
    (S.ON_HOLD, Action.RESUME): None,
    **{(status, Action.CANCEL): S.CANCELLED for status in OPEN | {S.ON_HOLD}},
    **{(status, Action.SET_BUSINESS_STATUS): None for status in OPEN | {S.ON_HOLD}},
    (S.COMPLETED, Action.END_SERVICE): None,
}

WHO: dict[Action, Party] = {
    Action.CANCEL: Party.REQUESTER,
    **{a: Party.RECEIVER for a in Action if a is not Action.CANCEL},
}
NEEDS_REASON = {
    Action.REJECT: S.REJECTED,
    Action.CANCEL: S.CANCELLED,
    Action.HOLD: S.ON_HOLD,
    Action.FAIL: S.FAILED,
}


@dataclass(frozen=True)
class Organisation:
    organisation_id: str
    kind: OrganisationKind
    name: str | None = None


@dataclass(frozen=True)
class Change:
    """One change to publish: the event type and the status it reached."""

    event_type: str
    status: ReferralStatus
    at: datetime


@dataclass(frozen=True)
class Command:
    action: Action
    reason_code: str | None = None
    reason: str | None = None
    business_status: str | None = None
    day: date | None = None  # completed: admitted on; end_service: ended on


@dataclass
class Referral:
    id: str
    path: ReferralPath
    status: ReferralStatus
    requester: Organisation
    receiver: Organisation
    jurisdiction: str
    region_code: str
    created_at: datetime
    updated_at: datetime
    step_since: datetime
    bed_id: str | None = None
    elder_id: str | None = None
    provider_id: str | None = None
    consent_id: str | None = None
    business_status: str | None = None
    reason_code: str | None = None
    reason: str | None = None
    held_from: ReferralStatus | None = None
    admitted_on: date | None = None
    service_ended_on: date | None = None
    due_at: datetime | None = None
    escalated_at: datetime | None = None
    # home_bed path: the hospital's pre-filled application data (no PII), as JSON values
    discharge: dict[str, str | None] | None = None
    changes: list[Change] = field(default_factory=list)

    @classmethod
    def request(
        cls,
        *,
        id: str,
        path: ReferralPath,
        requester: Organisation,
        receiver: Organisation,
        jurisdiction: str,
        region_code: str,
        at: datetime,
        deadlines: DeadlineRules,
        bed_id: str | None = None,
        elder_id: str | None = None,
        provider_id: str | None = None,
        consent_id: str | None = None,
        discharge: dict[str, str | None] | None = None,
    ) -> Referral:
        referral = cls(
            id=id,
            path=path,
            status=S.REQUESTED,
            requester=requester,
            receiver=receiver,
            jurisdiction=jurisdiction,
            region_code=region_code,
            created_at=at,
            updated_at=at,
            step_since=at,
            bed_id=bed_id,
            elder_id=elder_id,
            provider_id=provider_id,
            consent_id=consent_id,
            discharge=discharge,
        )
        referral._start_step(at, deadlines)
        referral.changes.append(Change("referral.requested", S.REQUESTED, at))
        return referral

    def allowed_actions(self, party: Party | None = None) -> list[str]:
        """Actions allowed now (for `party` only, when given), in a stable order."""
        return [
            action.value
            for action in Action
            if self._possible(action) and (party is None or WHO[action] is party)
        ]

    def act(
        self,
        command: Command,
        *,
        party: Party,
        at: datetime,
        reasons: ReasonCatalogue,
        deadlines: DeadlineRules,
    ) -> None:
        """Apply one command from `party`: 409 (`IllegalTransition`) when the status does not
        allow it or the party may not; 422 naming the field for a missing or unknown code."""
        action = command.action
        allowed = self.allowed_actions(party)
        if not self._possible(action):
            raise IllegalTransition(
                state=self.status.value,
                action=action.value,
                allowed_actions=allowed,
                entity="referral",
            )
        if WHO[action] is not party:
            raise IllegalTransition(
                state=self.status.value,
                action=action.value,
                allowed_actions=allowed,
                entity="referral",
                detail=f"only the {WHO[action].value} may {action.value} a referral; allowed "
                f"to the {party.value} now: {', '.join(allowed) or 'none'}",
            )
        if action is Action.SET_BUSINESS_STATUS:
            self._set_business_status(command.business_status, reasons, at)
            return
        if action is Action.END_SERVICE:
            self._end_service(command.day, at)
            return
        target = TRANSITIONS[(self.status, action)]
        reached = target if target is not None else (self.held_from or S.REQUESTED)
        reason_status = NEEDS_REASON.get(action)
        if reason_status is not None:
            self._set_reason(reason_status, command, reasons)
        else:
            self.reason_code, self.reason = None, None
        if action is Action.COMPLETE:
            if command.day is None:
                raise Unprocessable([("body.day", "the day the receiver took the elder on")])
            if command.day < shanghai_date(self.created_at):
                raise Unprocessable([("body.day", "lies before the referral was requested")])
            self.admitted_on = command.day
        self.held_from = self.status if action is Action.HOLD else None
        self.status = reached
        if command.business_status is not None:
            self._check_business_status(command.business_status, reasons)
        self.business_status = command.business_status
        self.updated_at = at
        self._start_step(at, deadlines)
        self.changes.append(Change(f"referral.{reached.value}", reached, at))

    def deadline_missed(self, now: datetime) -> bool:
        """The current step is overdue and not yet escalated."""
        return self.due_at is not None and now > self.due_at and self.escalated_at is None

    def escalate(self, now: datetime) -> None:
        """Mark the current step's missed deadline as escalated (once per step)."""
        if not self.deadline_missed(now):
            return
        self.escalated_at = now
        self.changes.append(Change("referral.deadline_missed", self.status, now))

    def deadline(self, deadlines: DeadlineRules) -> StepDeadline | None:
        return step_deadline(deadlines, status=self.status, path=self.path, since=self.step_since)

    def _possible(self, action: Action) -> bool:
        if (self.status, action) not in TRANSITIONS:
            return False
        if action is Action.END_SERVICE:
            return self.service_ended_on is None
        return True

    def _start_step(self, at: datetime, deadlines: DeadlineRules) -> None:
        self.step_since = at
        self.escalated_at = None
        found = self.deadline(deadlines)
        self.due_at = found.due_at if found else None

    def _set_reason(
        self, status: ReferralStatus, command: Command, reasons: ReasonCatalogue
    ) -> None:
        codes = reasons.reason_codes(status)
        if not command.reason_code:
            raise Unprocessable([("body.reason_code", f"required; one of {', '.join(codes)}")])
        if reasons.reason(status, command.reason_code) is None:
            raise Unprocessable(
                [("body.reason_code", f"unknown for {status.value}; one of {', '.join(codes)}")]
            )
        self.reason_code, self.reason = command.reason_code, command.reason

    def _check_business_status(self, code: str, reasons: ReasonCatalogue) -> None:
        if reasons.business_status(self.status, code) is None:
            known = ", ".join(reasons.business_codes(self.status)) or "none"
            raise Unprocessable(
                [("body.business_status", f"unknown for {self.status.value}; one of {known}")]
            )

    def _set_business_status(
        self, code: str | None, reasons: ReasonCatalogue, at: datetime
    ) -> None:
        if not code:
            raise Unprocessable([("body.business_status", "required for set_business_status")])
        self._check_business_status(code, reasons)
        self.business_status = code
        self.updated_at = at
        self.changes.append(Change("referral.business_status_changed", self.status, at))

    def _end_service(self, day: date | None, at: datetime) -> None:
        if day is None:
            raise Unprocessable([("body.day", "the day the receiver's service ended")])
        if self.admitted_on is not None and day < self.admitted_on:
            raise Unprocessable([("body.day", f"lies before the admission ({self.admitted_on})")])
        self.service_ended_on = day
        self.updated_at = at
        self.changes.append(Change("referral.service_ended", S.COMPLETED, at))


assert all(status in REASON_STATUSES for status in NEEDS_REASON.values())
