"""Events in, deliveries out: each matching rule names an audience, each person gets one
delivery per event, step and repeat (the unique constraint makes a redelivered event harmless).
An alarm's chain follows iot-ingest's events: raised opens it, escalated moves it up a step,
acknowledged (or dispatched, arrived) stops it at once and cancels what has not gone out."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter

from chassis.clock import Clock
from chassis.db import UnitOfWork
from chassis.kafka.consumer import decode_payload
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.intake import BED_EVENTS, BedEvent
from homebed_schemas.events.iot import AlarmEvent
from notify import metrics
from notify.domain import templates as tpl
from notify.domain.chain import AlarmChain, ChainState
from notify.domain.delivery import DeliveryStatus, ack_code
from notify.domain.recipients import Channel
from notify.domain.rules import ChainRole, Rule, RuleBook
from notify.domain.templates import Template
from notify.repository import (
    BedRepository,
    ChainRepository,
    DeliveryRepository,
    read_alarm_batch,
)
from notify.runtime import after_commit
from notify.service.audience import OnCallCache, Target, resolve
from notify.service.writer import DeliveryWriter
from notify.signals import on_postgres
from notify.tables import BedRow, NewDelivery

BEDS_TOPIC = "intake.beds.v1"
ALARMS_TOPIC = "iot.alarms.v1"


@dataclass(frozen=True)
class EventFacts:
    """What a rule needs of any event, read tolerantly from its payload."""

    event_id: str
    topic: str
    type: str
    subject: str
    occurred_at: datetime
    data: Mapping[str, Any]
    provider_id: str | None
    bed_id: str | None
    alarm: AlarmEvent | None
    # the region an event names itself (`jurisdiction`: a settlement, a minimum breached); the
    # bed's region, when the event has a known bed, comes first
    region_code: str | None = None


_REGION = re.compile(r"\d{6}")  # a county-level administrative code
_STAGED = "notify.staged_deliveries"  # the transaction's new deliveries, settled together
_IN_BATCH = "notify.in_batch"  # a batch of events: settled once, at its end
_READ_WITH_DEDUPE = "notify.read_with_dedupe"  # event id -> facts: the batch read already


class Notifications:
    """The consumer-side use cases; `wake` tells this instance's dispatcher after the commit
    and, on PostgreSQL, a NOTIFY the other processes' (`instance`: this one); `writer` writes
    the deliveries (a fall's inbox messages in the consumer's own transaction); `on_call`
    caches who is on call."""

    def __init__(
        self,
        *,
        rules: RuleBook,
        templates: Mapping[str, Template],
        clock: Clock,
        wake: Callable[[], None],
        writer: DeliveryWriter | None = None,
        on_call: OnCallCache | None = None,
        instance: str = "",
    ) -> None:
        self.rules, self.templates, self.clock, self.wake = rules, templates, clock, wake
        self.writer = writer or DeliveryWriter(instant_in_app=False)
        self.instance = instance
        self.on_call = on_call or OnCallCache(ttl=timedelta(0))

    async def on_events(self, uow: UnitOfWork, topic: str, envelopes: Sequence[Envelope]) -> int:
        """A batch of one topic's events in one transaction: what they read is fetched once
        (chains, beds, deliveries already made), their deliveries are written together and
        the falls among them delivered in-app before the commit."""
        uow.session.info[_IN_BATCH] = True
        try:
            read: dict[str, EventFacts] | None = uow.session.info.pop(_READ_WITH_DEDUPE, None)
            facts = [
                read[str(e.id)] if read is not None else self._facts(topic, e) for e in envelopes
            ]
            if topic == ALARMS_TOPIC and read is None:
                await self._prefetch(uow, facts)
            elif read is not None:
                uow.repo(DeliveryRepository).none_yet([f.event_id for f in facts])
            created = 0
            for envelope, fact in zip(envelopes, facts, strict=True):
                created += await self.on_event(uow, topic, envelope, facts=fact)
        finally:
            uow.session.info.pop(_IN_BATCH, None)
        await self.settle(uow)
        return created

    async def read_batch(
        self, uow: UnitOfWork, topic: str, group: str, envelopes: Sequence[Envelope]
    ) -> set[str] | None:
        """On PostgreSQL, a batch of alarm events' reads with the runner's dedupe read, in one
        statement (`read_alarm_batch`): the ids the group applied before. None: the runner
        reads them itself (another topic, SQLite), then `on_events` prefetches."""
        if topic != ALARMS_TOPIC or not on_postgres(uow):
            return None
        facts = {str(e.id): self._facts(topic, e) for e in envelopes}
        seen = await read_alarm_batch(
            uow.session,
            group=group,
            event_ids=list(facts),
            alarm_ids=[f.alarm.alarm_id for f in facts.values() if f.alarm is not None],
            bed_ids=[f.bed_id for f in facts.values() if f.bed_id],
        )
        uow.session.info[_READ_WITH_DEDUPE] = facts
        return seen

    async def _prefetch(self, uow: UnitOfWork, facts: Sequence[EventFacts]) -> None:
        alarms = [f.alarm.alarm_id for f in facts if f.alarm is not None]
        await uow.repo(ChainRepository).prefetch(alarms)
        await uow.repo(BedRepository).prefetch([f.bed_id for f in facts if f.bed_id])
        # a fresh event (the runner skipped those it applied before) has no delivery yet: its
        # deliveries commit with its dedupe row. A concurrent consumer of the same event hits
        # the unique key and the runner applies the batch again record by record
        uow.repo(DeliveryRepository).none_yet([f.event_id for f in facts])

    async def settle(self, uow: UnitOfWork) -> None:
        """The transaction's new deliveries: written (one statement for them all), the falls
        among them delivered in-app at once, the dispatcher woken after the commit for the
        rest."""
        chains = uow.repo(ChainRepository)
        staged: list[NewDelivery] = uow.session.info.pop(_STAGED, [])
        waiting = any(r.status == DeliveryStatus.PENDING.value for r in staged)
        # the chains the events opened or moved, written with the deliveries (PostgreSQL: one
        # statement with the dedupe rows and NOTIFYs); a pending delivery (not a fall's in-app
        # message) wakes the dispatchers
        await self.writer.write(
            uow,
            staged,
            self.clock(),
            chains=chains.take_new(),
            changed_chains=chains.take_changed(),
            announce=self.instance if waiting else None,
        )
        if waiting:
            after_commit(uow, self.wake)

    async def on_bed_event(self, uow: UnitOfWork, envelope: Envelope) -> None:
        if envelope.type not in BED_EVENTS:
            return  # workflow and acceptance events carry another payload
        bed = decode_payload(envelope, BedEvent)
        await uow.repo(BedRepository).upsert(
            BedRow(
                bed_id=bed.bed_id,
                provider_id=bed.provider_id,
                region_code=bed.region_code,
                elder_name_masked=bed.elder_name_masked,
                address_masked=bed.address_masked,
            )
        )
        await uow.repo(DeliveryRepository).fill_region(bed.bed_id, bed.region_code)

    async def on_event(
        self, uow: UnitOfWork, topic: str, envelope: Envelope, *, facts: EventFacts | None = None
    ) -> int:
        """Apply one event (`facts`: read already); returns how many deliveries it created."""
        facts = facts or self._facts(topic, envelope)
        now = self.clock()
        if facts.alarm is not None:
            await self._follow_chain(uow, facts, now)
        created = 0
        for rule in self.rules.matching(topic, envelope.type, facts.data):
            created += await self._apply_rule(uow, rule, facts, now)
        if not uow.session.info.get(_IN_BATCH):
            await self.settle(uow)  # new chains and deliveries written (a batch: at its end)
        return created

    def _facts(self, topic: str, envelope: Envelope) -> EventFacts:
        data = envelope.data
        alarm = decode_payload(envelope, AlarmEvent) if topic == ALARMS_TOPIC else None
        provider = data.get("provider_id")
        bed = data.get("bed_id")
        region = data.get("jurisdiction")
        return EventFacts(
            event_id=str(envelope.id),
            topic=topic,
            type=envelope.type,
            subject=alarm.alarm_id if alarm is not None else envelope.subject,
            occurred_at=alarm.occurred_at if alarm is not None else envelope.time,
            data=data,
            provider_id=provider if isinstance(provider, str) else None,
            bed_id=bed if isinstance(bed, str) else None,
            alarm=alarm,
            region_code=region if isinstance(region, str) and _REGION.fullmatch(region) else None,
        )

    async def _follow_chain(self, uow: UnitOfWork, facts: EventFacts, now: datetime) -> None:
        """Acknowledged (dispatched, arrived): the chain stops and open deliveries are
        cancelled at once; resolved, cleared, closed: the chain ends."""
        alarm = facts.alarm
        assert alarm is not None
        if facts.type not in self.rules.chain_stops:
            return
        await self.settle(uow)  # this batch's deliveries of the alarm: written, then stopped
        chains = uow.repo(ChainRepository)
        chain = await chains.get(alarm.alarm_id, lock=True)
        if chain is None:
            return
        acknowledged = chain.acknowledge(by=alarm.actor, at=alarm.occurred_at)
        if facts.type in ("alarm.resolved", "alarm.cleared", "alarm.closed_without_arrival"):
            chain.close()
        await chains.save(chain)
        for row in await uow.repo(DeliveryRepository).open_of_subject(alarm.alarm_id):
            if row.context.get("cancel_on_ack"):
                row.status = DeliveryStatus.CANCELLED.value
                row.next_attempt_at = None
                row.last_error = f"stopped by {facts.type} at {now.isoformat()}"
                metrics.OUTCOMES.labels(DeliveryStatus.CANCELLED.value).inc()
        if acknowledged:
            waited = (alarm.occurred_at - chain.raised_at).total_seconds()
            metrics.TIME_TO_ACK.observe(max(waited, 0.0))
            _count_after_commit(uow, metrics.CHAINS.labels("acknowledged"))

    async def _apply_rule(
        self, uow: UnitOfWork, rule: Rule, facts: EventFacts, now: datetime
    ) -> int:
        alarm = facts.alarm
        step = rule.step_of(facts.data)
        in_chain = rule.chain is not ChainRole.NONE and alarm is not None
        if in_chain and not await self._chain_takes(uow, rule, facts, step, now):
            return 0
        bed = await uow.repo(BedRepository).get(facts.bed_id) if facts.bed_id else None
        targets: list[Target] = []
        for audience in rule.audience:
            targets += await resolve(
                uow,
                audience=audience,
                rules=self.rules,
                provider_id=facts.provider_id,
                bed=bed,
                bed_id=facts.bed_id,
                region_code=facts.region_code,
                escalation_target=alarm.escalation_target if alarm else None,
                assignee=alarm.assignee if alarm else None,
                now=now,
                on_call=self.on_call,
            )
        deliveries = uow.repo(DeliveryRepository)
        # a redelivered event (the runner dedupes by event id; this guards direct callers)
        seen = await deliveries.recipients_of(facts.event_id, step)
        created = 0
        for target in targets:
            if target.recipient_id in seen:
                continue  # already told, or named by two audiences of the rule: one message
            seen.add(target.recipient_id)
            row = self._delivery(
                rule, facts, target, step=step, bed=bed, now=now, in_chain=in_chain
            )
            self._render(row, rule, facts, target, bed=bed, step=step, now=now)
            deliveries.stage(row)
            uow.session.info.setdefault(_STAGED, []).append(row)
            created += 1
        return created

    async def _chain_takes(
        self, uow: UnitOfWork, rule: Rule, facts: EventFacts, step: int, now: datetime
    ) -> bool:
        """Opens the chain (raised) or moves it up (escalated). An escalation after the
        acknowledgement goes out only to the regulator's targets (street office)."""
        alarm = facts.alarm
        assert alarm is not None
        chains = uow.repo(ChainRepository)
        chain = await chains.get(alarm.alarm_id, lock=True)
        if chain is None:
            chain = AlarmChain(
                alarm_id=alarm.alarm_id,
                provider_id=alarm.provider_id,
                bed_id=alarm.bed_id,
                alarm_type=alarm.alarm_type,
                safety=self.rules.is_safety(alarm.alarm_type),
                step=0,
                step_event_id="",
                step_rule_id=rule.id,
                step_started_at=now,
                last_round_at=now,
                repeat_no=0,
                repeat_minutes=None,
                state=ChainState.OPEN,
                raised_at=alarm.raised_at,
                arrival_deadline=alarm.arrival_deadline,
            )
        if chain.state is not ChainState.OPEN:
            regulator = rule.chain is ChainRole.ESCALATE and (
                alarm.escalation_target in self.rules.after_acknowledgement_targets
            )
            if regulator:
                self._count_step(uow, step, alarm)
            return regulator
        if chain.step_event_id == facts.event_id:
            return True  # this very event, redelivered: deliveries dedupe themselves
        if chain.enter_step(
            step=step,
            event_id=facts.event_id,
            rule_id=rule.id,
            repeat_minutes=rule.repeat_minutes,
            now=now,
        ):
            await chains.save(chain)
            self._count_step(uow, step, alarm)
            return True
        return False  # an older step than the chain is at

    def _count_step(self, uow: UnitOfWork, step: int, alarm: AlarmEvent) -> None:
        """A step fired (counted once its transaction commits: a batch applied again record by
        record counts once); the regulator's step is the chain's last."""
        kind = alarm.alarm_type if alarm.alarm_type in tpl.ALARM_TYPE_LABELS else "other"
        _count_after_commit(uow, metrics.ESCALATION_STEPS.labels(str(step), kind))
        if alarm.escalation_target in self.rules.after_acknowledgement_targets:
            _count_after_commit(uow, metrics.CHAINS.labels("exhausted"))

    def _delivery(
        self,
        rule: Rule,
        facts: EventFacts,
        target: Target,
        *,
        step: int,
        bed: BedRow | None,
        now: datetime,
        in_chain: bool,
    ) -> NewDelivery:
        alarm = facts.alarm
        safety = self.rules.is_safety(alarm.alarm_type) if alarm else False
        status = DeliveryStatus.UNROUTABLE if target.unroutable else DeliveryStatus.PENDING
        if not target.channels:  # a person without a channel
            status = DeliveryStatus.UNROUTABLE
        regulator = (
            alarm is not None
            and alarm.escalation_target in self.rules.after_acknowledgement_targets
        )
        return NewDelivery(
            source_event_id=facts.event_id,
            topic=facts.topic,
            event_type=facts.type,
            rule_id=rule.id,
            step=step,
            repeat_no=0,
            recipient_id=target.recipient_id,
            provider_id=facts.provider_id,
            region_code=bed.region_code if bed else facts.region_code,
            bed_id=facts.bed_id,
            subject=facts.subject,
            safety=safety,
            title="",
            body="",
            channels=list(target.channels),
            status=status.value,
            attempts=0,
            next_attempt_at=now if status is DeliveryStatus.PENDING else None,
            created_at=now,
            event_at=facts.occurred_at,
            last_error=target.unroutable,
            context={
                "label": target.label,
                "goes_on_site": target.goes_on_site,
                # an acknowledgement cancels what the chain has not sent yet, except the
                # regulator's message
                "cancel_on_ack": in_chain and not regulator,
            },
        )

    def _render(
        self,
        row: NewDelivery,
        rule: Rule,
        facts: EventFacts,
        target: Target,
        *,
        bed: BedRow | None,
        step: int,
        now: datetime,
    ) -> None:
        alarm = facts.alarm
        sms = Channel.SMS.value in target.channels or Channel.VOICE.value in target.channels
        sms_alarm = alarm is not None and sms
        row.ack_code = ack_code(facts.subject, target.recipient_id) if sms_alarm else None
        values = template_values(
            facts, bed=bed, goes_on_site=target.goes_on_site, step=step, now=now
        )
        values["ack_code"] = row.ack_code or "—"
        row.title, row.body = self.templates[rule.template].render(values)
        if row.ack_code is None:
            row.body = row.body.replace("回复 — 确认接警。", "")


def _count_after_commit(uow: UnitOfWork, child: Counter) -> None:
    """One more once the transaction commits (a callback of its own: `after_commit` runs an
    equal callback once, and every alarm of a batch counts)."""
    after_commit(uow, lambda: child.inc())


def template_values(
    facts: EventFacts, *, bed: BedRow | None, goes_on_site: bool, step: int, now: datetime
) -> dict[str, str]:
    alarm, data = facts.alarm, facts.data
    address = bed.address_masked if bed and bed.address_masked else None
    values = {
        "elder": (bed.elder_name_masked if bed else None) or "老人",
        "address": f"（{address}）"
        if goes_on_site and address
        else ("" if not address else tpl.ADDRESS_HIDDEN),
        "step": str(step),
        "subject": facts.subject,
        "provider": facts.provider_id or tpl.UNKNOWN,
        "device_type": str(data.get("device_type") or tpl.UNKNOWN),
        "last_seen": tpl.shanghai_clock(_as_datetime(data.get("last_seen_at"))),
        "period": str(data.get("period") or tpl.UNKNOWN),
        "minimum": str(data.get("rule") or tpl.UNKNOWN),
        "status": str(data.get("status") or tpl.UNKNOWN),
        "reason": str(data.get("reason") or tpl.UNKNOWN),
        # referral.deadline_missed
        "referral_step": tpl.REFERRAL_STEPS.get(str(data.get("step")), tpl.UNKNOWN),
        "due_at": tpl.shanghai_clock(_as_datetime(data.get("due_at"))),
        # city_report.late
        "report_date": str(data.get("report_date") or tpl.UNKNOWN),
        "deadline": tpl.shanghai_clock(_as_datetime(data.get("deadline"))),
        "report_status": tpl.REPORT_STATUSES.get(str(data.get("status")), tpl.UNKNOWN),
        "attempts": str(data.get("attempts", tpl.UNKNOWN)),
        # settlement.submitted
        "total_yuan": tpl.yuan(data.get("total_fen")),
        "line_count": str(data.get("line_count", tpl.UNKNOWN)),
        "run_no": str(data.get("run_no", tpl.UNKNOWN)),
        "submitted_by": str(data.get("submitted_by") or tpl.UNKNOWN),
    }
    if alarm is not None:
        values |= {
            "alarm_type": tpl.alarm_type_label(alarm.alarm_type),
            "minutes_left": tpl.minutes_left(alarm.arrival_deadline, now),
            "deadline": tpl.shanghai_clock(alarm.arrival_deadline),
            "role": alarm.escalation_target or tpl.UNKNOWN,
        }
    return values


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
