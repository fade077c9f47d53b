"""A transaction's new deliveries, written with one statement per table (SQLAlchemy Core, no
unit-of-work bookkeeping per row): the consumer's batch and the repeat sweep hand them here.

The instant ones (a fall's or SOS's message bound first for an inbox: safety events bypass
quiet hours and floods by rule, so there is nothing to decide) are written already `sent`,
with their inbox rows and attempts, in the same transaction: exactly once (the delivery's
unique key and the inbox's one row per delivery), never lost (committed with the event's
dedupe row). After the commit the inbox rows go to this instance's open streams through the
hub, and a NOTIFY (with the commit) wakes the other instances' streams. The rest stay `pending`
for the dispatcher, woken after the commit."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update

from chassis.db import UnitOfWork
from notify import metrics
from notify.batch_runner import PENDING_DEDUPE
from notify.channels.hub import InboxHub, PushedItem
from notify.domain.delivery import DeliveryStatus
from notify.domain.recipients import Channel
from notify.runtime import after_commit
from notify.service import one_statement
from notify.signals import announce_due, announce_inbox, on_postgres
from notify.tables import AttemptRow, ChainRow, DeliveryRow, InboxRow, NewDelivery

IN_APP_CHANNELS = (Channel.IN_APP.value, Channel.MONITORING_CENTRE.value)
_DELIVERIES = cast(Table, DeliveryRow.__table__)
_INBOX = cast(Table, InboxRow.__table__)
_ATTEMPTS = cast(Table, AttemptRow.__table__)
_DELIVERY_COLUMNS = [c.key for c in _DELIVERIES.columns if c.key != "id"]
# built once (a statement's construction costs more CPU than its execution)
_INSERT_DELIVERIES = insert(_DELIVERIES).returning(_DELIVERIES.c.id, sort_by_parameter_order=True)
_INSERT_INBOX = insert(_INBOX).returning(_INBOX.c.id, sort_by_parameter_order=True)
_INSERT_ATTEMPTS = insert(_ATTEMPTS)
_CHAINS = cast(Table, ChainRow.__table__)
_INSERT_CHAINS = insert(_CHAINS)
_UPDATE_CHAINS = update(_CHAINS).where(_CHAINS.c.alarm_id == bindparam("where_alarm_id"))
# the inbox NOTIFY's payload must stay under PostgreSQL's 8000 bytes (`signals.payloads`)
_NOTIFY_BUDGET = 7000


def instant(row: NewDelivery) -> bool:
    """A fall or SOS (safety) bound first for an inbox, waiting for nothing."""
    return (
        row.safety
        and row.status == DeliveryStatus.PENDING.value
        and bool(row.channels)
        and row.channels[0] in IN_APP_CHANNELS
    )


class DeliveryWriter:
    """`instant_in_app` off: every delivery waits for the dispatcher (the setting
    `INSTANT_IN_APP`); `hub`: this instance's open streams (None: nobody streams here)."""

    def __init__(self, *, hub: InboxHub | None = None, instant_in_app: bool = True) -> None:
        self.hub = hub
        self.instant_in_app = instant_in_app

    async def write(
        self,
        uow: UnitOfWork,
        rows: Sequence[NewDelivery],
        now: datetime,
        *,
        chains: Sequence[dict[str, Any]] = (),
        changed_chains: Sequence[dict[str, Any]] = (),
        announce: str | None = None,
    ) -> None:
        """Insert `rows` (new, not in the session; their ids are set on them) and `chains`
        (new chains' values), update `changed_chains` (their new values); `announce`: this instance, to wake the dispatchers of every
        instance with the commit (deliveries wait for them). On PostgreSQL one statement
        (`one_statement`) with the batch's dedupe rows; elsewhere one per table."""
        if not rows and not chains and not changed_chains:
            return
        sent = [r for r in rows if self.instant_in_app and instant(r)]
        for row in sent:
            row.status, row.sent_at, row.channel_used = (
                DeliveryStatus.SENT.value,
                now,
                row.channels[0],
            )
            row.next_attempt_at = None
        if on_postgres(uow):
            await self._write_in_one(uow, rows, sent, chains, changed_chains, now, announce)
        else:
            if chains:
                await uow.session.execute(_INSERT_CHAINS, list(chains))
            if changed_chains:
                await uow.session.execute(
                    _UPDATE_CHAINS,
                    [{**c, "where_alarm_id": c["alarm_id"]} for c in changed_chains],
                )
            if announce is not None:
                announce_due(uow, announce)
            await self._write_apart(uow, rows, sent, now)
        self._count(rows)

    def _count(self, rows: Sequence[NewDelivery]) -> None:
        for status, count in Counter(r.status for r in rows).items():
            if status != DeliveryStatus.PENDING.value:  # sent now, or unroutable: settled
                metrics.OUTCOMES.labels(status).inc(count)

    async def _write_in_one(
        self,
        uow: UnitOfWork,
        rows: Sequence[NewDelivery],
        sent: Sequence[NewDelivery],
        chains: Sequence[dict[str, Any]],
        changed_chains: Sequence[dict[str, Any]],
        now: datetime,
        announce: str | None,
    ) -> None:
        started = time.perf_counter()
        instance = self.hub.instance if self.hub is not None else announce
        payload = len(instance or "") + sum(len(r.recipient_id) + 22 for r in sent)
        notify_inbox = self.hub is not None and bool(sent) and payload <= _NOTIFY_BUDGET
        processed = uow.session.info.pop(PENDING_DEDUPE, None) or ()
        written = await one_statement.write_all(
            uow,
            chains=chains,
            changed_chains=changed_chains,
            processed=processed,
            deliveries=[
                {name: getattr(row, name) for name in one_statement.DELIVERY_COLUMNS}
                for row in rows
            ],
            instance=instance,
            notify_inbox=notify_inbox,
            notify_due=announce is not None,
            latency_ms=int((time.perf_counter() - started) * 1000),
        )
        pushed: list[PushedItem] = []
        for row in rows:
            row.id, inbox_id = written.ids[
                (row.source_event_id, row.step, row.recipient_id, row.repeat_no)
            ]
            if inbox_id is not None:  # a `sent` one: its inbox row, for the open streams
                pushed.append(
                    PushedItem(
                        id=inbox_id,
                        owner=row.recipient_id,
                        subject=row.subject,
                        title=row.title,
                        body=row.body,
                        safety=row.safety,
                        created_at=now,
                    )
                )
        if not sent:
            return
        self._observe_sent(sent, now)
        if self.hub is not None:
            hub = self.hub
            after_commit(uow, lambda: _publish(hub, pushed))
            if not notify_inbox:  # too many for one notice: `announce_inbox` splits them
                announce_inbox(uow, hub.instance, pushed)

    def _observe_sent(self, rows: Sequence[NewDelivery], now: datetime) -> None:
        for channel, count in Counter(r.channel_used for r in rows).items():
            metrics.DELIVERIES.labels(channel, "sent").inc(count)
        first = metrics.FIRST_DELIVERY.labels("true")
        for row in rows:
            if row.repeat_no == 0:
                first.observe(max((now - row.event_at).total_seconds(), 0.0))

    async def _write_apart(
        self,
        uow: UnitOfWork,
        rows: Sequence[NewDelivery],
        sent: Sequence[NewDelivery],
        now: datetime,
    ) -> None:
        if not rows:
            return
        ids = await uow.session.scalars(
            _INSERT_DELIVERIES,
            [{name: getattr(row, name) for name in _DELIVERY_COLUMNS} for row in rows],
        )
        for row, delivery_id in zip(rows, ids, strict=True):
            row.id = delivery_id
        if sent:
            await self._to_inboxes(uow, sent, now)

    async def _to_inboxes(
        self, uow: UnitOfWork, rows: Sequence[NewDelivery], now: datetime
    ) -> None:
        started = time.perf_counter()
        values: list[dict[str, Any]] = [
            {
                "owner": row.recipient_id,
                "delivery_id": row.id,
                "subject": row.subject,
                "title": row.title,
                "body": row.body,
                "safety": row.safety,
                "created_at": now,
                "read_at": None,
            }
            for row in rows
        ]
        ids = await uow.session.scalars(_INSERT_INBOX, values)
        latency_ms = int((time.perf_counter() - started) * 1000)
        await uow.session.execute(
            _INSERT_ATTEMPTS,
            [
                {
                    "delivery_id": row.id,
                    "channel": row.channel_used,
                    "ok": True,
                    "latency_ms": latency_ms,
                    "error": None,
                    "at": now,
                }
                for row in rows
            ],
        )
        self._observe_sent(rows, now)
        if self.hub is None:
            return
        pushed = [
            PushedItem(
                id=inbox_id,
                owner=value["owner"],
                subject=value["subject"],
                title=value["title"],
                body=value["body"],
                safety=value["safety"],
                created_at=now,
            )
            for inbox_id, value in zip(ids, values, strict=True)
        ]
        hub = self.hub
        after_commit(uow, lambda: _publish(hub, pushed))
        announce_inbox(uow, hub.instance, pushed)


def _publish(hub: InboxHub, items: list[PushedItem]) -> None:
    by_owner: dict[str, list[PushedItem]] = {}
    for item in items:
        by_owner.setdefault(item.owner, []).append(item)
    for owner, owned in by_owner.items():
        hub.publish(owner, owned)
