"""The alarm entity and its state machine.

raised -> acknowledged (who, when) -> dispatched (assignee) -> arrived -> resolved (outcome, note).
An acknowledged alarm found to be false may be resolved straight away with outcome
`false_alarm`; every other path goes through arrival on site, which must happen within
15 minutes of the raise (001 §四(三)2). Comments are allowed at any time.

The breach of the 15-minute rule is decided from the times, never from when a sweep ran
(issue 11 item 1): arriving after `raised_at + 15 min` is a breach, arriving at that instant is
in time ("15 分钟内"), and an alarm still unattended when someone acts on it (or closes it)
after the deadline is a breach. Every people's action records it, the sweep too.

Who may do what (issue 10): only the assignee marks arrival (after a reassignment, the new
one); an alarm past its deadline with nobody on site is closed as a false alarm only by two
different provider admins (one requests, the other confirms), and that closure is published
for the officers. An alarm of a bed that ended (terminated, transferred) is closed by the
platform with outcome `closed_bed_ended`. An open alarm of a bed moved to another provider
(001 §四(六) "重新选定服务机构") is handed over to it: see `Alarm.hand_over`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from chassis.errors import Conflict, Forbidden
from homebed_schemas.events.iot import AlarmSeverity
from iot_ingest.domain.alarms.errors import IllegalAlarmTransition, InvalidAlarmInput

ARRIVAL_WINDOW = timedelta(minutes=15)  # 001 §四(三)2: 15 分钟内到达老人家中
BREACH_TEXT = "nobody on site within 15 minutes (001 §四(三)2)"
MAX_TEXT = 2000


class AlarmStatus(StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    ARRIVED = "arrived"
    RESOLVED = "resolved"


class AlarmOutcome(StrEnum):
    HANDLED_ON_SITE = "handled_on_site"
    SENT_TO_HOSPITAL = "sent_to_hospital"
    FALSE_ALARM = "false_alarm"
    OTHER = "other"
    CLOSED_BED_ENDED = "closed_bed_ended"  # set by the platform only, never by people


class AlarmAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    DISPATCH = "dispatch"
    ARRIVE = "arrive"
    RESOLVE = "resolve"


class ChangeKind(StrEnum):
    """Past-tense changes, published as `alarm.<kind>` on iot.alarms.v1."""

    RAISED = "raised"
    REPEATED = "repeated"
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    ARRIVED = "arrived"
    RESOLVED = "resolved"
    COMMENTED = "commented"
    CLEARED = "cleared"
    ESCALATED = "escalated"
    SLA_BREACHED = "sla_breached"
    CLOSE_REQUESTED = "close_requested"  # a first admin asks to close a breached alarm
    CLOSED_WITHOUT_ARRIVAL = "closed_without_arrival"  # ... a second one confirmed (officers)
    HANDED_OVER = "handed_over"  # the bed moved to another provider: the alarm is theirs now


class Unmet(StrEnum):
    """Why an action the state allows is not the caller's to do now (`blocked_actions`)."""

    CALLER_IS_ASSIGNEE = "caller-is-assignee"
    ROLE_PROVIDER_ADMIN = "role-provider-admin"
    SECOND_PROVIDER_ADMIN = "second-provider-admin"


@dataclass(frozen=True)
class Actor:
    """Who is acting: the principal's `sub`, and whether they are a provider admin."""

    sub: str
    provider_admin: bool


@dataclass(frozen=True)
class BlockedAction:
    action: str
    unmet: tuple[str, ...]


ALLOWED_ACTIONS: dict[AlarmStatus, tuple[AlarmAction, ...]] = {
    AlarmStatus.RAISED: (AlarmAction.ACKNOWLEDGE,),
    AlarmStatus.ACKNOWLEDGED: (AlarmAction.DISPATCH, AlarmAction.RESOLVE),
    AlarmStatus.DISPATCHED: (AlarmAction.DISPATCH, AlarmAction.ARRIVE),  # dispatch again = reassign
    AlarmStatus.ARRIVED: (AlarmAction.RESOLVE,),
    AlarmStatus.RESOLVED: (),
}


def _describe_allowed(status: AlarmStatus) -> tuple[str, ...]:
    names = []
    for action in ALLOWED_ACTIONS[status]:
        if status is AlarmStatus.ACKNOWLEDGED and action is AlarmAction.RESOLVE:
            names.append("resolve (outcome false_alarm only)")
        else:
            names.append(action.value)
    return tuple(names)


@dataclass(frozen=True)
class Comment:
    by: str
    at: datetime
    text: str


@dataclass(frozen=True)
class AlarmChange:
    kind: ChangeKind
    at: datetime
    actor: str | None = None
    escalation_target: str | None = None
    escalation_level: int | None = None
    text: str | None = None
    previous_provider_id: str | None = None  # handed_over: the provider the alarm left


@dataclass(kw_only=True)
class Alarm:
    alarm_id: str
    bed_id: str
    provider_id: str
    alarm_type: str
    severity: AlarmSeverity
    raised_at: datetime
    status: AlarmStatus = AlarmStatus.RAISED
    count: int = 1
    last_raised_at: datetime | None = None
    device_id: str | None = None
    rule_id: str | None = None
    detail: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    assignee: str | None = None
    dispatched_by: str | None = None
    dispatched_at: datetime | None = None
    arrived_by: str | None = None
    arrived_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    outcome: AlarmOutcome | None = None
    note: str | None = None
    condition_cleared_at: datetime | None = None
    escalated_levels: list[int] = field(default_factory=list)
    sla_breached: bool = False
    region_code: str | None = None
    arrival_lat: float | None = None
    arrival_lon: float | None = None
    arrival_distance_m: float | None = None
    close_requested_by: str | None = None
    close_requested_at: datetime | None = None
    close_confirmed_by: str | None = None
    comments: list[Comment] = field(default_factory=list)
    changes: list[AlarmChange] = field(default_factory=list)  # not yet published

    @classmethod
    def raise_new(
        cls,
        *,
        alarm_id: str,
        bed_id: str,
        provider_id: str,
        alarm_type: str,
        severity: AlarmSeverity,
        at: datetime,
        device_id: str | None = None,
        rule_id: str | None = None,
        detail: str | None = None,
        region_code: str | None = None,
    ) -> Alarm:
        alarm = cls(
            region_code=region_code,
            alarm_id=alarm_id,
            bed_id=bed_id,
            provider_id=provider_id,
            alarm_type=alarm_type,
            severity=severity,
            raised_at=at,
            last_raised_at=at,
            device_id=device_id,
            rule_id=rule_id,
            detail=detail,
        )
        alarm.changes.append(AlarmChange(ChangeKind.RAISED, at))
        return alarm

    @property
    def arrival_deadline(self) -> datetime:
        return self.raised_at + ARRIVAL_WINDOW

    @property
    def is_active(self) -> bool:
        return self.status is not AlarmStatus.RESOLVED

    @property
    def time_to_ack(self) -> timedelta | None:
        return None if self.acknowledged_at is None else self.acknowledged_at - self.raised_at

    @property
    def time_to_arrival(self) -> timedelta | None:
        return None if self.arrived_at is None else self.arrived_at - self.raised_at

    @property
    def escalation_level(self) -> int:
        return max(self.escalated_levels, default=0)

    def allowed_actions(self) -> tuple[str, ...]:
        """What the state machine allows next (the 409 answer; empty once resolved)."""
        return _describe_allowed(self.status)

    def unattended_past_deadline(self, now: datetime) -> bool:
        """Nobody on site and the 15-minute deadline passed (or the sweep marked it)."""
        return self.arrived_at is None and (self.sla_breached or now > self.arrival_deadline)

    def breached_by(self, now: datetime) -> bool:
        """Whether the 15-minute rule is broken as of `now`, from the times alone: an arrival
        after the deadline, or nobody on site once it passed (until the alarm was closed); the
        deadline itself is in time."""
        if self.arrived_at is not None:
            return self.arrived_at > self.arrival_deadline
        until = now if self.resolved_at is None else min(now, self.resolved_at)
        return until > self.arrival_deadline

    def mark_breach(self, now: datetime) -> AlarmChange | None:
        """Set `sla_breached` once it is due; the change (dated at the deadline, when the rule
        was broken) is the caller's to publish."""
        if self.sla_breached or not self.breached_by(now):
            return None
        self.sla_breached = True
        return AlarmChange(ChangeKind.SLA_BREACHED, self.arrival_deadline, text=BREACH_TEXT)

    def _settle_breach(self, at: datetime) -> None:
        """Before a change made at `at`: record the breach that happened before it, if any."""
        change = self.mark_breach(at)
        if change is not None:
            self.changes.append(change)

    def actions_for(
        self, actor: Actor, now: datetime
    ) -> tuple[tuple[str, ...], tuple[BlockedAction, ...]]:
        """What THIS caller may do now, and the state's other actions with what is unmet."""
        allowed: list[str] = []
        blocked: list[BlockedAction] = []
        for action in ALLOWED_ACTIONS[self.status]:
            unmet = self._unmet(action, actor, now)
            name = action.value
            if action is AlarmAction.RESOLVE and self.status is AlarmStatus.ACKNOWLEDGED:
                name = "resolve (outcome false_alarm only)"
            if unmet:
                blocked.append(BlockedAction(name, unmet))
            else:
                allowed.append(name)
        return tuple(allowed), tuple(blocked)

    def _unmet(self, action: AlarmAction, actor: Actor, now: datetime) -> tuple[str, ...]:
        if action is AlarmAction.ARRIVE and actor.sub != self.assignee:
            return (Unmet.CALLER_IS_ASSIGNEE.value,)
        if (
            action is AlarmAction.RESOLVE
            and self.status is AlarmStatus.ACKNOWLEDGED
            and self.unattended_past_deadline(now)
        ):
            unmet: list[str] = []
            if not actor.provider_admin:
                unmet.append(Unmet.ROLE_PROVIDER_ADMIN.value)
            if self.close_requested_by == actor.sub:
                unmet.append(Unmet.SECOND_PROVIDER_ADMIN.value)
            return tuple(unmet)
        return ()

    def repeat(self, *, at: datetime, device_id: str | None = None) -> None:
        """The same (bed, type) fired again while active: count it, keep the first deadline."""
        self._require_active("repeat")
        self.count += 1
        self.last_raised_at = at
        if device_id is not None:
            self.device_id = device_id
        self.changes.append(AlarmChange(ChangeKind.REPEATED, at))

    def acknowledge(self, *, by: str, at: datetime) -> None:
        self._require(AlarmAction.ACKNOWLEDGE)
        self._settle_breach(at)
        self.status = AlarmStatus.ACKNOWLEDGED
        self.acknowledged_by, self.acknowledged_at = _name(by), at
        self.changes.append(AlarmChange(ChangeKind.ACKNOWLEDGED, at, actor=by))

    def dispatch(self, *, assignee: str, by: str, at: datetime) -> None:
        self._require(AlarmAction.DISPATCH)
        self._settle_breach(at)
        self.status = AlarmStatus.DISPATCHED
        self.assignee, self.dispatched_by, self.dispatched_at = (
            _name(assignee, "assignee"),
            _name(by),
            at,
        )
        self.changes.append(AlarmChange(ChangeKind.DISPATCHED, at, actor=by))

    def arrive(
        self,
        *,
        by: str,
        at: datetime,
        lat: float | None = None,
        lon: float | None = None,
        distance_m: float | None = None,
    ) -> None:
        """The assignee is on site (with the check-in location when the phone sent it)."""
        self._require(AlarmAction.ARRIVE)
        if by != self.assignee:
            raise Forbidden(
                f"Only the assignee ({self.assignee}) marks arrival; dispatch again to reassign."
            )
        self._settle_breach(at)  # arriving after the deadline breaks the rule, sweep or not
        self.status = AlarmStatus.ARRIVED
        self.arrived_by, self.arrived_at = _name(by), at
        self.arrival_lat, self.arrival_lon, self.arrival_distance_m = lat, lon, distance_m
        self.changes.append(AlarmChange(ChangeKind.ARRIVED, at, actor=by))

    def resolve(
        self,
        *,
        by: str,
        at: datetime,
        outcome: AlarmOutcome,
        note: str | None = None,
        provider_admin: bool = False,
    ) -> None:
        """Close the alarm; past the deadline with nobody on site, two provider admins must
        agree (the first call records the request, a different admin's call closes it)."""
        self._require(AlarmAction.RESOLVE)
        if outcome is AlarmOutcome.CLOSED_BED_ENDED:
            raise InvalidAlarmInput("outcome", "closed_bed_ended is set by the platform only")
        if self.status is AlarmStatus.ACKNOWLEDGED and outcome is not AlarmOutcome.FALSE_ALARM:
            raise IllegalAlarmTransition(
                alarm_id=self.alarm_id,
                state=self.status.value,
                action=f"resolve with outcome {outcome.value} (nobody is on site yet)",
                allowed_actions=self.allowed_actions(),
            )
        if self.status is AlarmStatus.ACKNOWLEDGED and self.unattended_past_deadline(at):
            self._settle_breach(at)
            if not provider_admin:
                raise Forbidden(
                    "Nobody reached the elder within 15 minutes: closing it without arrival "
                    "needs two provider admins.",
                    required_roles=("provider_admin",),
                )
            if self.close_requested_by is None:
                self.close_requested_by, self.close_requested_at = _name(by), at
                self.note = _text(note, "note") if note else self.note
                self.changes.append(
                    AlarmChange(ChangeKind.CLOSE_REQUESTED, at, actor=by, text=self.note)
                )
                return
            if self.close_requested_by == by.strip():
                raise Conflict(
                    f"{by} asked to close this alarm; a different provider admin must confirm.",
                    extra={"unmet": [Unmet.SECOND_PROVIDER_ADMIN.value]},
                )
            self.close_confirmed_by = _name(by)
            self._close(by=by, at=at, outcome=outcome, note=note or self.note)
            self.changes.append(
                AlarmChange(ChangeKind.CLOSED_WITHOUT_ARRIVAL, at, actor=by, text=self.note)
            )
            return
        self._close(by=by, at=at, outcome=outcome, note=note)

    def close_bed_ended(self, *, at: datetime, event_type: str) -> None:
        """The bed ended (terminated, transferred): nobody will handle the alarm any more."""
        if not self.is_active:
            return
        self._close(by="platform", at=at, outcome=AlarmOutcome.CLOSED_BED_ENDED, note=event_type)

    def _close(self, *, by: str, at: datetime, outcome: AlarmOutcome, note: str | None) -> None:
        self._settle_breach(at)  # closed without anyone on site after the deadline: breached
        self.status = AlarmStatus.RESOLVED
        self.resolved_by, self.resolved_at = _name(by), at
        self.outcome, self.note = outcome, _text(note, "note") if note else None
        self.changes.append(AlarmChange(ChangeKind.RESOLVED, at, actor=by, text=self.note))

    def hand_over(self, *, to_provider: str, at: datetime) -> str | None:
        """The bed moved to `to_provider` (001 §四(六) "重新选定服务机构"): the alarm is theirs.

        Nobody on site yet: the old provider's worker it was dispatched to is released and the
        alarm waits for the new provider's dispatch (back to `acknowledged`). Someone on site:
        who arrived stays on record and the new provider closes it. A close request made by an
        old provider's admin lapses (the two admins of the rule are the same provider's).
        Returns the released worker, if any; a closed alarm or one already theirs is kept."""
        if not self.is_active or self.provider_id == to_provider:
            return None
        previous, released = self.provider_id, None
        self.provider_id = to_provider
        if self.status is AlarmStatus.DISPATCHED:
            released = self.assignee
            self.status = AlarmStatus.ACKNOWLEDGED
            self.assignee = self.dispatched_by = self.dispatched_at = None
        self.close_requested_by = self.close_requested_at = None
        text = f"bed moved from provider {previous} to {to_provider} (001 §四(六))"
        if released is not None:
            text += f"; {released} released, waiting for {to_provider} to dispatch"
        self.changes.append(
            AlarmChange(
                ChangeKind.HANDED_OVER,
                at,
                actor="platform",
                text=text,
                previous_provider_id=previous,
            )
        )
        return released

    @property
    def last_changed_at(self) -> datetime:
        """The latest instant recorded on the alarm (a hand-over is never dated before it)."""
        stamps = (
            self.last_raised_at,
            self.acknowledged_at,
            self.dispatched_at,
            self.arrived_at,
            self.close_requested_at,
        )
        return max([self.raised_at, *(s for s in stamps if s is not None)])

    def comment(self, *, by: str, at: datetime, text: str) -> Comment:
        comment = Comment(by=_name(by), at=at, text=_text(text))
        self.comments.append(comment)
        self.changes.append(AlarmChange(ChangeKind.COMMENTED, at, actor=by, text=comment.text))
        return comment

    def condition_cleared(self, *, at: datetime) -> None:
        """The rule's clear condition held; people still close the alarm themselves."""
        if not self.is_active or self.condition_cleared_at is not None:
            return
        self.condition_cleared_at = at
        self.changes.append(AlarmChange(ChangeKind.CLEARED, at))

    def pop_changes(self) -> list[AlarmChange]:
        changes, self.changes = self.changes, []
        return changes

    def _require(self, action: AlarmAction) -> None:
        if action not in ALLOWED_ACTIONS[self.status]:
            raise IllegalAlarmTransition(
                alarm_id=self.alarm_id,
                state=self.status.value,
                action=action.value,
                allowed_actions=self.allowed_actions(),
            )

    def _require_active(self, action: str) -> None:
        if not self.is_active:
            raise IllegalAlarmTransition(
                alarm_id=self.alarm_id, state=self.status.value, action=action, allowed_actions=()
            )


def _name(value: str, field: str = "name") -> str:
    value = value.strip()
    if not value or len(value) > 200:
        raise InvalidAlarmInput(field, "a name must be 1..200 characters")
    return value


def _text(value: str, field: str = "text") -> str:
    value = value.strip()
    if not value or len(value) > MAX_TEXT:
        raise InvalidAlarmInput(field, f"a text must be 1..{MAX_TEXT} characters")
    return value
