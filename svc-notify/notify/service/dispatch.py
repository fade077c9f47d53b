"""The dispatcher: takes due deliveries one transaction each, decides (quiet hours, flood,
safety), tries the person's channels in order (falling back to the next on failure), records
every attempt with its latency, and retries a delivery whose every channel failed until it is
visibly `failed`. Woken after a commit that created deliveries; polls otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from chassis.clock import Clock
from chassis.db import UnitOfWork
from notify import metrics
from notify.channels.base import ChannelAdapter, ChannelFailed, Contact, OutgoingMessage
from notify.crypto import PHONE_CONTEXT, WEBHOOK_SECRET_CONTEXT, FieldCipher
from notify.domain.delivery import (
    Decision,
    DeliveryStatus,
    FloodPolicy,
    after_failure,
    decide,
)
from notify.domain.recipients import QuietHours, parse_clock_time
from notify.domain.templates import Template
from notify.repository import DeliveryRepository, RecipientRepository
from notify.service.writer import IN_APP_CHANNELS
from notify.tables import AttemptRow, DeliveryRow, RecipientRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff: timedelta


class Dispatcher:
    def __init__(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        due: asyncio.Event,
        clock: Clock,
        channels: Mapping[str, ChannelAdapter],
        cipher: FieldCipher,
        flood: FloodPolicy,
        retry: RetryPolicy,
        digest_template: Template,
        batch_size: int = 50,
    ) -> None:
        self.uow_factory, self.clock, self.channels = uow_factory, clock, channels
        self.cipher, self.flood, self.retry = cipher, flood, retry
        self.digest_template = digest_template
        self.batch_size = batch_size
        self._wake = due

    def wake(self) -> None:
        self._wake.set()

    async def run_forever(self, poll_seconds: float) -> None:
        while True:
            try:
                while await self.dispatch_due():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("dispatch round failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll_seconds)
            self._wake.clear()

    async def dispatch_due(self) -> int:
        """Deliver what is due now; returns how many deliveries were settled or rescheduled.

        Deliveries whose first channel is in-app (a person's inbox, a monitoring centre) are
        database writes: a batch of them goes in one transaction (the fall lane's latency).
        The rest (SMS, voice, webhook: a network call each, digests) one transaction each, so a
        slow provider never holds another delivery's lock."""
        now = self.clock()
        async with self.uow_factory() as uow:
            deliveries = uow.repo(DeliveryRepository)
            locked = await deliveries.lock_due_pending(now, limit=self.batch_size)
            fast = [r for r in locked if r.channels and r.channels[0] in IN_APP_CHANNELS]
            recipients = uow.repo(RecipientRepository)
            for row in fast:
                person = await recipients.get(row.recipient_id)
                await self._send_one(uow, row, person, now)
            await uow.commit()
        async with self.uow_factory() as uow:
            due = await uow.repo(DeliveryRepository).due_ids(now, limit=self.batch_size)
        done = len(fast)
        for delivery_id in due:
            done += await self.deliver(delivery_id)
        return done

    async def deliver(self, delivery_id: int) -> int:
        now = self.clock()
        async with self.uow_factory() as uow:
            deliveries = uow.repo(DeliveryRepository)
            row = await deliveries.get(delivery_id, lock=True)
            if row is None or row.status not in ("pending", "held"):
                return 0  # another instance took it, or it was cancelled meanwhile
            if row.next_attempt_at is None or row.next_attempt_at > now:
                return 0
            person = await uow.repo(RecipientRepository).get(row.recipient_id)
            if row.status == DeliveryStatus.HELD.value:
                await self._send_digest(uow, row, person, now)
            else:
                await self._send_one(uow, row, person, now)
            await uow.commit()
        return 1

    async def _send_one(
        self,
        uow: UnitOfWork,
        row: DeliveryRow,
        person: RecipientRow | None,
        now: datetime,
    ) -> None:
        deliveries = uow.repo(DeliveryRepository)
        if person is not None and not row.safety:  # safety: at once, whatever the hour or flood
            since = now - self.flood.window
            sent = await deliveries.sent_individually_since(person.person_id, since)
            held_until = await deliveries.held_window_end(person.person_id)
            verdict = decide(
                safety=False,
                quiet_hours=_quiet_hours(person),
                now=now,
                sent_in_window=len(sent) if held_until is None else self.flood.threshold,
                window_started=sent[0] if sent else now,
                flood=self.flood,
            )
            if verdict.decision is Decision.QUIET:
                row.next_attempt_at = verdict.until
                row.last_error = "waiting for the end of quiet hours"
                return
            if verdict.decision is Decision.HOLD:
                row.status = DeliveryStatus.HELD.value
                row.next_attempt_at = held_until or verdict.until
                return
        message = self._message(row, person, row.title, row.body, now)
        await self._try_channels(uow, row, message, now)

    async def _send_digest(
        self,
        uow: UnitOfWork,
        first: DeliveryRow,
        person: RecipientRow | None,
        now: datetime,
    ) -> None:
        """Everything held for the person goes out as one message (a flood)."""
        deliveries = uow.repo(DeliveryRepository)
        held = await deliveries.held_due(first.recipient_id, now)
        if not held:
            return
        quiet = _quiet_hours(person) if person is not None else None
        if quiet is not None and quiet.covers(now):
            for item in held:
                item.next_attempt_at = quiet.ends_after(now)
            return
        items = "；".join(f"{i.title}" for i in held[:10]) + ("……" if len(held) > 10 else "")
        title, body = self.digest_template.render({"count": str(len(held)), "items": items})
        digest = await deliveries.add(
            DeliveryRow(
                source_event_id=f"digest:{first.recipient_id}:{held[0].id}",
                topic="digest",
                event_type="digest",
                rule_id="digest",
                step=0,
                repeat_no=0,
                recipient_id=first.recipient_id,
                provider_id=first.provider_id,
                region_code=first.region_code,
                bed_id=None,
                subject=f"digest:{held[0].id}",
                safety=False,
                title=title,
                body=body,
                channels=list(first.channels),
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                event_at=min(i.event_at for i in held),
                context={"items": [i.id for i in held]},
            )
        )
        for item in held:
            item.status = DeliveryStatus.DIGESTED.value
            item.digest_id = digest.id
            item.next_attempt_at = None
            metrics.OUTCOMES.labels(DeliveryStatus.DIGESTED.value).inc()
        message = self._message(digest, person, title, body, now)
        await self._try_channels(uow, digest, message, now)

    async def _try_channels(
        self,
        uow: UnitOfWork,
        row: DeliveryRow,
        message: OutgoingMessage,
        now: datetime,
    ) -> None:
        deliveries = uow.repo(DeliveryRepository)
        errors: list[str] = []
        for name in row.channels:
            adapter = self.channels.get(name)
            started = time.perf_counter()
            try:
                if adapter is None:
                    raise ChannelFailed(f"channel {name} is not configured")
                await adapter.send(message, uow=uow)
            except ChannelFailed as exc:
                errors.append(f"{name}: {exc}")
                self._attempt(deliveries, row, name, started, now, error=str(exc))
                continue
            self._attempt(deliveries, row, name, started, now, error=None)
            row.status, row.sent_at, row.channel_used = DeliveryStatus.SENT.value, now, name
            row.next_attempt_at, row.last_error = None, "; ".join(errors) or None
            metrics.OUTCOMES.labels(DeliveryStatus.SENT.value).inc()
            if row.repeat_no == 0:
                waited = max((now - row.event_at).total_seconds(), 0.0)
                metrics.FIRST_DELIVERY.labels(str(row.safety).lower()).observe(waited)
            return
        row.attempts += 1
        status, next_at = after_failure(
            attempts=row.attempts,
            max_attempts=self.retry.max_attempts,
            now=now,
            backoff=self.retry.backoff,
        )
        row.status, row.next_attempt_at = status.value, next_at
        row.last_error = "; ".join(errors)[:300] or "no channel"
        if status is DeliveryStatus.FAILED:
            metrics.OUTCOMES.labels(DeliveryStatus.FAILED.value).inc()
            logger.warning(
                "delivery failed on every channel",
                extra={"delivery_id": row.id, "subject": row.subject, "attempts": row.attempts},
            )

    def _attempt(
        self,
        deliveries: DeliveryRepository,
        row: DeliveryRow,
        channel: str,
        started: float,
        now: datetime,
        *,
        error: str | None,
    ) -> None:
        latency = int((time.perf_counter() - started) * 1000)
        deliveries.add_attempt(
            AttemptRow(
                delivery_id=row.id,
                channel=channel,
                ok=error is None,
                latency_ms=latency,
                error=error[:300] if error else None,
                at=now,
            )
        )
        metrics.DELIVERIES.labels(channel, "sent" if error is None else "failed").inc()

    def _message(
        self, row: DeliveryRow, person: RecipientRow | None, title: str, body: str, now: datetime
    ) -> OutgoingMessage:
        return OutgoingMessage(
            delivery_id=row.id,
            subject=row.subject,
            title=title,
            body=body,
            safety=row.safety,
            contact=self._contact(row, person),
            at=now,
        )

    def _contact(self, row: DeliveryRow, person: RecipientRow | None) -> Contact:
        if person is None:
            return Contact(owner=row.recipient_id)
        phone = (
            self.cipher.decrypt(person.phone_sealed, context=PHONE_CONTEXT)
            if person.phone_sealed
            else None
        )
        secret = (
            self.cipher.decrypt(person.webhook_secret_sealed, context=WEBHOOK_SECRET_CONTEXT)
            if person.webhook_secret_sealed
            else None
        )
        return Contact(
            owner=person.person_id,
            phone=phone,
            webhook_url=person.webhook_url,
            webhook_secret=secret,
        )


def _quiet_hours(person: RecipientRow) -> QuietHours | None:
    if not person.quiet_start or not person.quiet_end:
        return None
    return QuietHours(
        parse_clock_time(person.quiet_start, "quiet_start"),
        parse_clock_time(person.quiet_end, "quiet_end"),
    )
