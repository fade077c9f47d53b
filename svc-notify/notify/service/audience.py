"""Who a rule's audience is for one event: role labels resolved to people through the provider's
on-call schedule (with the injected clock), officers by the bed's region, family by the bed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chassis.db import UnitOfWork
from chassis.principal import Principal, Role
from notify.channels.base import centre_owner
from notify.domain.recipients import Channel
from notify.domain.rules import Audience, AudienceKind, RuleBook
from notify.domain.schedules import Override, Rotation, on_call
from notify.repository import RecipientRepository, ScheduleRepository
from notify.tables import BedRow, RecipientRow


@dataclass(frozen=True)
class Target:
    """One addressee: a person (with their row) or a provider's monitoring centre."""

    recipient_id: str
    channels: tuple[str, ...]
    goes_on_site: bool  # sees the address (the assignee, the on-call caregiver)
    label: str | None
    person: RecipientRow | None = None
    unroutable: str | None = None  # why nobody could be named


class OnCallCache:
    """Who holds a role now, per provider and role, kept for `ttl` of the injected clock: a
    burst of falls of one provider resolves its on-call caregiver once, not once per fall.
    Dropped whenever this instance changes a recipient or a schedule (`clear`); another
    instance's change shows within `ttl` (a few seconds: the schedule's own granularity is a
    shift). `ttl` 0 turns it off."""

    def __init__(self, ttl: timedelta) -> None:
        self.ttl = ttl
        self._held: dict[tuple[str, str], tuple[datetime, list[RecipientRow]]] = {}

    def clear(self) -> None:
        self._held.clear()

    async def holders(
        self, uow: UnitOfWork, *, provider_id: str, role: str, now: datetime
    ) -> list[RecipientRow]:
        key = (provider_id, role)
        held = self._held.get(key)
        if held is not None and held[0] <= now < held[0] + self.ttl:
            return held[1]
        people = await on_call_person(uow, provider_id=provider_id, role=role, now=now)
        if self.ttl > timedelta(0):
            # rows outlive their session (expire_on_commit is off): read-only data here
            self._held[key] = (now, people)
        return people


async def on_call_person(
    uow: UnitOfWork, *, provider_id: str, role: str, now: datetime
) -> list[RecipientRow]:
    """The holder of `role` now per the provider's schedule; without a schedule, everyone of the
    provider holding the label (a small team may not run a rotation)."""
    recipients = uow.repo(RecipientRepository)
    schedules = uow.repo(ScheduleRepository)
    schedule = await schedules.get(provider_id, role)
    if schedule is None:
        return await recipients.of_provider_with_role(provider_id, role)
    rotation = Rotation(
        members=tuple(schedule.members),
        starts_at=schedule.starts_at,
        shift=timedelta(hours=schedule.shift_hours),
    )
    overrides = [
        Override(person_id=o.person_id, starts_at=o.starts_at, ends_at=o.ends_at)
        for o in await schedules.overrides(schedule.id, ending_after=now)
    ]
    person = await recipients.get(on_call(rotation, overrides, now))
    return [person] if person is not None and person.active else []


def _officer_sees(officer: RecipientRow, region_code: str) -> bool:
    principal = Principal(
        sub=officer.person_id, role=Role.OFFICER, region_codes=tuple(officer.region_codes)
    )
    return principal.in_region(region_code)


async def resolve(
    uow: UnitOfWork,
    *,
    audience: Audience,
    rules: RuleBook,
    provider_id: str | None,
    bed: BedRow | None,
    bed_id: str | None,
    escalation_target: str | None,
    region_code: str | None = None,
    assignee: str | None,
    now: datetime,
    on_call: OnCallCache | None = None,
) -> list[Target]:
    kind, label = audience.kind, audience.label
    if kind is AudienceKind.ESCALATION_TARGET:
        label = escalation_target
        if label is None:
            return [_nobody("escalation_target", "the event names no escalation target")]
        kind = AudienceKind.OFFICERS if label in rules.officer_targets else AudienceKind.ON_CALL
    if kind is AudienceKind.MONITORING_CENTRE:
        if provider_id is None:
            return []
        owner = centre_owner(provider_id)
        return [Target(owner, (Channel.MONITORING_CENTRE.value,), True, "monitoring_centre")]
    if kind is AudienceKind.OFFICERS:
        # the bed's region; an event without a bed names its own (a settlement's jurisdiction)
        region = bed.region_code if bed is not None else region_code
        if region is None:
            return [_nobody(label or "officers", "the bed's region is not known yet")]
        found = [
            o for o in await uow.repo(RecipientRepository).officers() if _officer_sees(o, region)
        ]
        if not found:
            return [_nobody(label or "officers", f"no officer registered for region {region}")]
        return [_person(o, label or "officers", goes=False) for o in found]
    if kind is AudienceKind.FAMILY:
        if bed_id is None:
            return []
        return [
            _person(p, "family", goes=False)
            for p in await uow.repo(RecipientRepository).family_of(bed_id)
        ]
    if kind is AudienceKind.ASSIGNEE:
        if assignee is None:
            return []
        person = await uow.repo(RecipientRepository).get(assignee)
        if person is None or not person.active:
            return [_nobody("assignee", f"{assignee} is no registered recipient")]
        return [_person(person, "assignee", goes=True)]
    assert label is not None  # ON_CALL carries its label (Audience.parse)
    if provider_id is None:
        return [_nobody(label, "the event names no provider")]
    if on_call is None:
        people = await on_call_person(uow, provider_id=provider_id, role=label, now=now)
    else:
        people = await on_call.holders(uow, provider_id=provider_id, role=label, now=now)
    if not people:
        return [_nobody(label, f"nobody holds {label} for provider {provider_id}")]
    return [_person(p, label, goes=label == "caregiver") for p in people]


def _person(row: RecipientRow, label: str, *, goes: bool) -> Target:
    return Target(row.person_id, tuple(row.channels), goes, label, person=row)


def _nobody(label: str, why: str) -> Target:
    return Target(f"unroutable:{label}", (), False, label, unroutable=why)
