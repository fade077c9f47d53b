"""Queries of svc-notify, one repository per aggregate; none commits (the use case does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, bindparam, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.db import UtcDateTime
from notify.domain.chain import AlarmChain, ChainState
from notify.domain.delivery import OPEN_STATUSES, DeliveryStatus
from notify.tables import (
    AttemptRow,
    BedRow,
    ChainRow,
    DeliveryRow,
    InboxRow,
    NewDelivery,
    OverrideRow,
    RecipientRow,
    ScheduleRow,
)

_OPEN = [s.value for s in OPEN_STATUSES]


class _Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class RecipientRepository(_Repo):
    async def get(self, person_id: str) -> RecipientRow | None:
        return await self.session.get(RecipientRow, person_id)

    async def by_phone_index(self, index: str) -> RecipientRow | None:
        found = await self.session.scalars(
            select(RecipientRow).where(RecipientRow.phone_index == index)
        )
        return found.first()

    def add(self, row: RecipientRow) -> None:
        self.session.add(row)

    async def page(
        self, *, provider_id: str | None, limit: int, offset: int
    ) -> tuple[list[RecipientRow], int]:
        query = select(RecipientRow)
        if provider_id is not None:
            query = query.where(RecipientRow.provider_id == provider_id)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(
            query.order_by(RecipientRow.person_id).limit(limit).offset(offset)
        )
        return list(rows), int(total or 0)

    async def of_provider_with_role(self, provider_id: str, role: str) -> list[RecipientRow]:
        rows = await self.session.scalars(
            select(RecipientRow)
            .where(RecipientRow.provider_id == provider_id, RecipientRow.active.is_(True))
            .order_by(RecipientRow.person_id)
        )
        return [r for r in rows if role in r.roles]

    async def officers(self) -> list[RecipientRow]:
        rows = await self.session.scalars(
            select(RecipientRow).where(
                RecipientRow.kind == "officer", RecipientRow.active.is_(True)
            )
        )
        return list(rows)

    async def family_of(self, bed_id: str) -> list[RecipientRow]:
        rows = await self.session.scalars(
            select(RecipientRow).where(RecipientRow.kind == "family", RecipientRow.active.is_(True))
        )
        return [r for r in rows if bed_id in r.bed_ids]


class ScheduleRepository(_Repo):
    async def get(self, provider_id: str, role: str) -> ScheduleRow | None:
        found = await self.session.scalars(
            select(ScheduleRow).where(
                ScheduleRow.provider_id == provider_id, ScheduleRow.role == role
            )
        )
        return found.first()

    def add(self, row: ScheduleRow | OverrideRow) -> None:
        self.session.add(row)

    async def of_provider(self, provider_id: str | None) -> list[ScheduleRow]:
        query = select(ScheduleRow).order_by(ScheduleRow.provider_id, ScheduleRow.role)
        if provider_id is not None:
            query = query.where(ScheduleRow.provider_id == provider_id)
        return list(await self.session.scalars(query))

    async def overrides(self, schedule_id: str, *, ending_after: datetime) -> list[OverrideRow]:
        rows = await self.session.scalars(
            select(OverrideRow)
            .where(OverrideRow.schedule_id == schedule_id, OverrideRow.ends_at > ending_after)
            .order_by(OverrideRow.starts_at)
        )
        return list(rows)


# the consumer's per-batch reads, built once: building a statement (coercing its clauses)
# cost more CPU per fall than running it (bench/notify_fall_cpu.py)
_BEDS_IN = select(BedRow).where(BedRow.bed_id.in_(bindparam("ids", expanding=True)))
# Core, not ORM: a batch's chains are kept as values and their changes written with the
# batch's one statement (`take_changed`), not through the ORM's unit of work
_CHAINS_IN_LOCKED = (
    select(cast(Table, ChainRow.__table__))
    .where(ChainRow.alarm_id.in_(bindparam("ids", expanding=True)))
    .order_by(ChainRow.alarm_id)
    .with_for_update()
)

_ABSENT_BEDS = "notify.absent_beds"
_CHAINS = "notify.chains"  # alarm id -> its locked row's values, or None: none yet
_NEW_CHAINS = "notify.new_chains"  # alarm id -> the values of a chain not written yet
_CHANGED_CHAINS = "notify.changed_chains"  # alarm id -> new values of a prefetched chain
_RECIPIENTS = "notify.recipients_of"  # event id -> {(step, recipient)} of first rounds


_BEDS = "notify.beds"  # bed id -> its row, read with the batch (`read_alarm_batch`)
_CHAIN_TIMES = [
    c.key for c in cast(Table, ChainRow.__table__).columns if isinstance(c.type, UtcDateTime)
]
# A batch of alarm events' reads in one statement on PostgreSQL (issue 16): which of its events
# this consumer group applied already, their chains (locked, in alarm-id order) and their beds,
# each as a JSON array (three result shapes in one round trip)
_ALARM_BATCH_READ = text(
    "SELECT "
    "CAST((SELECT coalesce(json_agg(p.event_id), '[]') FROM processed_events AS p "
    "WHERE p.consumer_group = :group AND p.event_id = ANY(CAST(:event_ids AS text[]))) "
    "AS text) AS seen, "
    "CAST((SELECT coalesce(json_agg(row_to_json(c)), '[]') FROM (SELECT * FROM alarm_chains "
    "WHERE alarm_id = ANY(CAST(:alarm_ids AS text[])) ORDER BY alarm_id FOR UPDATE) AS c) "
    "AS text) AS chains, "
    "CAST((SELECT coalesce(json_agg(row_to_json(b)), '[]') FROM beds AS b "
    "WHERE b.bed_id = ANY(CAST(:bed_ids AS text[]))) AS text) AS beds"
)


async def read_alarm_batch(
    session: AsyncSession,
    *,
    group: str,
    event_ids: Sequence[str],
    alarm_ids: Sequence[str],
    bed_ids: Sequence[str],
) -> set[str]:
    """PostgreSQL: the ids among `event_ids` the group applied before; the chains and beds
    of the batch go where `ChainRepository.prefetch` and `BedRepository.prefetch` put them."""
    wanted_chains, wanted_beds = sorted(set(alarm_ids)), sorted(set(bed_ids))
    row = (
        await session.execute(
            _ALARM_BATCH_READ,
            {
                "group": group,
                "event_ids": list(event_ids),
                "alarm_ids": wanted_chains,
                "bed_ids": wanted_beds,
            },
        )
    ).one()
    known: dict[str, dict[str, Any] | None] = dict.fromkeys(wanted_chains)
    for values in orjson.loads(row.chains):
        for name in _CHAIN_TIMES:
            if values[name] is not None:
                values[name] = datetime.fromisoformat(values[name])
        known[values["alarm_id"]] = {name: values[name] for name in _CHAIN_FIELDS}
    session.info[_CHAINS] = known
    beds = {b["bed_id"]: BedRow(**b) for b in orjson.loads(row.beds)}
    session.info[_BEDS] = beds
    session.info[_ABSENT_BEDS] = set(wanted_beds) - set(beds)
    return set(orjson.loads(row.seen))


class BedRepository(_Repo):
    async def get(self, bed_id: str) -> BedRow | None:
        if bed_id in self.session.info.get(_ABSENT_BEDS, ()):
            return None
        read: dict[str, BedRow] = self.session.info.get(_BEDS, {})
        if bed_id in read:
            return read[bed_id]
        return await self.session.get(BedRow, bed_id)

    async def prefetch(self, bed_ids: Sequence[str]) -> None:
        """A batch's beds in one query: `get` then answers from the session (found or not)."""
        wanted = set(bed_ids)
        if not wanted:
            return
        found = await self.session.scalars(_BEDS_IN, {"ids": list(wanted)})
        self.session.info[_ABSENT_BEDS] = wanted - {b.bed_id for b in found}

    async def upsert(self, row: BedRow) -> None:
        found = await self.session.get(BedRow, row.bed_id)
        if found is None:
            self.session.add(row)
            self.session.info.get(_ABSENT_BEDS, set()).discard(row.bed_id)
            return
        found.provider_id, found.region_code = row.provider_id, row.region_code
        # an event without the masked values keeps what the bed had (older producers)
        found.elder_name_masked = row.elder_name_masked or found.elder_name_masked
        found.address_masked = row.address_masked or found.address_masked


_CHAIN_FIELDS = [f.name for f in fields(AlarmChain)]


class ChainRepository(_Repo):
    async def prefetch(self, alarm_ids: Sequence[str]) -> None:
        """A batch's chains, locked, in one query: `get` and `save` then use them."""
        wanted = sorted(set(alarm_ids))  # one lock order for concurrent batches
        if not wanted:
            return
        rows = await self.session.execute(_CHAINS_IN_LOCKED, {"ids": wanted})
        known: dict[str, dict[str, Any] | None] = dict.fromkeys(wanted)
        for row in rows.all():
            m = row._mapping
            known[m["alarm_id"]] = {name: m[name] for name in _CHAIN_FIELDS}
        self.session.info[_CHAINS] = known

    async def get(self, alarm_id: str, *, lock: bool = False) -> AlarmChain | None:
        new: dict[str, dict[str, Any]] = self.session.info.get(_NEW_CHAINS, {})
        if alarm_id in new:  # opened in this transaction, written at `take_new`
            return _chain_of(new[alarm_id])
        known: dict[str, dict[str, Any] | None] = self.session.info.get(_CHAINS, {})
        if alarm_id in known:  # prefetched (and locked) for this transaction
            cached = known[alarm_id]
            return None if cached is None else _chain_of(cached)
        query = select(ChainRow).where(ChainRow.alarm_id == alarm_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.scalars(query)).first()
        return None if row is None else _chain(row)

    async def save(self, chain: AlarmChain) -> None:
        """An existing chain is updated through its row; a new one is kept as values and
        written with the transaction's other new chains by `take_new` (one INSERT: a
        fall opens a chain, and an ORM object and flush per fall cost more than the rest of
        its chain's work). The caller writes them before the commit (`Notifications.settle`)."""
        values: dict[str, Any] = {name: getattr(chain, name) for name in _CHAIN_FIELDS}
        values["state"] = chain.state.value
        new: dict[str, dict[str, Any]] = self.session.info.setdefault(_NEW_CHAINS, {})
        known: dict[str, dict[str, Any] | None] = self.session.info.get(_CHAINS, {})
        if chain.alarm_id in new:
            row = None
        elif chain.alarm_id in known:
            if known[chain.alarm_id] is not None:  # prefetched: written with the batch
                known[chain.alarm_id] = values
                self.session.info.setdefault(_CHANGED_CHAINS, {})[chain.alarm_id] = values
                return
            row = None
        else:
            row = await self.session.get(ChainRow, chain.alarm_id)
        if row is None:
            new[chain.alarm_id] = values
            return
        for name, value in values.items():
            setattr(row, name, value)

    def take_new(self) -> list[dict[str, Any]]:
        """The values of the chains opened in this transaction, for the caller to insert now
        (`DeliveryWriter.write`, with the deliveries); later reads find them in the table."""
        new: dict[str, dict[str, Any]] = self.session.info.pop(_NEW_CHAINS, {})
        known: dict[str, dict[str, Any] | None] = self.session.info.get(_CHAINS, {})
        for alarm_id in new:
            known.pop(alarm_id, None)  # read again (and locked) if this transaction needs it
        return list(new.values())

    def take_changed(self) -> list[dict[str, Any]]:
        """The new values of the prefetched chains this transaction changed, for the caller
        to write now (`DeliveryWriter.write`); the batch's reads keep seeing them."""
        changed: dict[str, dict[str, Any]] = self.session.info.pop(_CHANGED_CHAINS, {})
        return list(changed.values())

    async def lock_repeat_due(self, now: datetime, *, limit: int) -> list[AlarmChain]:
        """Open chains whose step is due to repeat, locked; those locked elsewhere skipped."""
        rows = await self.session.scalars(
            select(ChainRow)
            .where(ChainRow.state == ChainState.OPEN.value, ChainRow.next_round_at <= now)
            .order_by(ChainRow.next_round_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_chain(r) for r in rows]


def _chain(row: ChainRow) -> AlarmChain:
    return _chain_of({name: getattr(row, name) for name in _CHAIN_FIELDS})


def _chain_of(values: dict[str, Any]) -> AlarmChain:
    return AlarmChain(**(values | {"state": ChainState(values["state"])}))


class DeliveryRepository(_Repo):
    def none_yet(self, source_event_ids: Sequence[str]) -> None:
        """These events have no delivery yet (fresh from the consumer): no query."""
        self.session.info[_RECIPIENTS] = {e: set() for e in source_event_ids}

    async def recipients_of(self, source_event_id: str, step: int) -> set[str]:
        """Who already has a first-round delivery of this event and step."""
        known: dict[str, set[tuple[int, str]]] = self.session.info.get(_RECIPIENTS, {})
        if source_event_id in known:
            return {r for s, r in known[source_event_id] if s == step}
        rows = await self.session.scalars(
            select(DeliveryRow.recipient_id).where(
                DeliveryRow.source_event_id == source_event_id,
                DeliveryRow.step == step,
                DeliveryRow.repeat_no == 0,
            )
        )
        return set(rows)

    def stage(self, row: NewDelivery) -> None:
        """A new delivery the caller writes with the transaction's others
        (`DeliveryWriter`): counted now among the event's recipients."""
        known: dict[str, set[tuple[int, str]]] = self.session.info.get(_RECIPIENTS, {})
        if row.repeat_no == 0 and row.source_event_id in known:
            known[row.source_event_id].add((row.step, row.recipient_id))

    async def add(self, row: DeliveryRow) -> DeliveryRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, delivery_id: int, *, lock: bool = False) -> DeliveryRow | None:
        query = select(DeliveryRow).where(DeliveryRow.id == delivery_id)
        if lock:
            query = query.with_for_update(skip_locked=True)
        return (await self.session.scalars(query)).first()

    async def due_ids(self, now: datetime, *, limit: int) -> list[int]:
        """Open deliveries due now: safety first, then oldest."""
        rows = await self.session.scalars(
            select(DeliveryRow.id)
            .where(DeliveryRow.status.in_(_OPEN), DeliveryRow.next_attempt_at <= now)
            .order_by(DeliveryRow.safety.desc(), DeliveryRow.id)
            .limit(limit)
        )
        return list(rows)

    async def lock_due_pending(self, now: datetime, *, limit: int) -> list[DeliveryRow]:
        """Pending deliveries due now, locked (others' locked rows skipped): safety first."""
        rows = await self.session.scalars(
            select(DeliveryRow)
            .where(
                DeliveryRow.status == DeliveryStatus.PENDING.value,
                DeliveryRow.next_attempt_at <= now,
            )
            .order_by(DeliveryRow.safety.desc(), DeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(rows)

    async def held_due(self, recipient_id: str, now: datetime) -> list[DeliveryRow]:
        rows = await self.session.scalars(
            select(DeliveryRow)
            .where(
                DeliveryRow.recipient_id == recipient_id,
                DeliveryRow.status == DeliveryStatus.HELD.value,
                DeliveryRow.next_attempt_at <= now,
            )
            .order_by(DeliveryRow.id)
            .with_for_update()
        )
        return list(rows)

    async def sent_individually_since(self, recipient_id: str, since: datetime) -> list[datetime]:
        """When the person's non-safety messages went out one by one since `since` (flood)."""
        rows = await self.session.scalars(
            select(DeliveryRow.sent_at)
            .where(
                DeliveryRow.recipient_id == recipient_id,
                DeliveryRow.safety.is_(False),
                DeliveryRow.status == DeliveryStatus.SENT.value,
                DeliveryRow.sent_at >= since,
                DeliveryRow.rule_id != "digest",
            )
            .order_by(DeliveryRow.sent_at)
        )
        return [r for r in rows if r is not None]

    async def held_window_end(self, recipient_id: str) -> datetime | None:
        """The end of the digest window already open for the person, if any."""
        return await self.session.scalar(
            select(func.min(DeliveryRow.next_attempt_at)).where(
                DeliveryRow.recipient_id == recipient_id,
                DeliveryRow.status == DeliveryStatus.HELD.value,
            )
        )

    async def first_rounds(self, source_event_ids: set[str]) -> dict[str, list[DeliveryRow]]:
        """The first-round deliveries of these events (every step), by event, in id order."""
        if not source_event_ids:
            return {}
        rows = await self.session.scalars(
            select(DeliveryRow)
            .where(DeliveryRow.source_event_id.in_(source_event_ids), DeliveryRow.repeat_no == 0)
            .order_by(DeliveryRow.id)
        )
        found: dict[str, list[DeliveryRow]] = {}
        for row in rows:
            found.setdefault(row.source_event_id, []).append(row)
        return found

    async def fill_region(self, bed_id: str, region_code: str) -> None:
        """Deliveries made before the bed's event reached notify get its region (the officers
        of the region read them)."""
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.bed_id == bed_id, DeliveryRow.region_code.is_(None))
            .values(region_code=region_code)
        )

    async def bed_regions(self, bed_ids: Sequence[str]) -> dict[str, str]:
        """The regions notify now knows for these beds (from intake.beds.v1)."""
        if not bed_ids:
            return {}
        rows = await self.session.execute(
            select(BedRow.bed_id, BedRow.region_code).where(BedRow.bed_id.in_(set(bed_ids)))
        )
        return {bed_id: region for bed_id, region in rows}

    async def open_of_subject(self, subject: str) -> list[DeliveryRow]:
        rows = await self.session.scalars(
            select(DeliveryRow)
            .where(DeliveryRow.subject == subject, DeliveryRow.status.in_(_OPEN))
            .with_for_update()
        )
        return list(rows)

    async def of_subject(self, subject: str) -> list[DeliveryRow]:
        rows = await self.session.scalars(
            select(DeliveryRow).where(DeliveryRow.subject == subject).order_by(DeliveryRow.id)
        )
        return list(rows)

    async def open_with_code(self, recipient_id: str, code: str) -> DeliveryRow | None:
        rows = await self.session.scalars(
            select(DeliveryRow)
            .where(
                DeliveryRow.recipient_id == recipient_id,
                DeliveryRow.ack_code == code,
                DeliveryRow.status.in_([DeliveryStatus.SENT.value, *_OPEN]),
            )
            .order_by(DeliveryRow.id.desc())
        )
        return rows.first()

    async def page(
        self,
        *,
        provider_id: str | None,
        region_prefixes: Sequence[str] | None,
        subject: str | None,
        status: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[DeliveryRow], int]:
        query = select(DeliveryRow)
        if provider_id is not None:
            query = query.where(DeliveryRow.provider_id == provider_id)
        if region_prefixes is not None:
            region = func.coalesce(DeliveryRow.region_code, _bed_region())
            query = query.where(
                or_(*[region.startswith(p) for p in region_prefixes])
                if region_prefixes
                else DeliveryRow.id < 0
            )
        if subject is not None:
            query = query.where(DeliveryRow.subject == subject)
        if status is not None:
            query = query.where(DeliveryRow.status == status)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(
            query.order_by(DeliveryRow.id.desc()).limit(limit).offset(offset)
        )
        return list(rows), int(total or 0)

    def add_attempt(self, row: AttemptRow) -> None:
        self.session.add(row)

    async def attempts_of(self, delivery_ids: Sequence[int]) -> list[AttemptRow]:
        if not delivery_ids:
            return []
        rows = await self.session.scalars(
            select(AttemptRow)
            .where(AttemptRow.delivery_id.in_(list(delivery_ids)))
            .order_by(AttemptRow.id)
        )
        return list(rows)


def _bed_region() -> Any:
    """The delivery's bed's region as notify knows it now: a delivery written while the bed's
    event was still on its way (another topic, another transaction) has none stored, and
    `fill_region` cannot reach a row another transaction had not yet committed."""
    return select(BedRow.region_code).where(BedRow.bed_id == DeliveryRow.bed_id).scalar_subquery()


class InboxRepository(_Repo):
    def add(
        self,
        *,
        owner: str,
        delivery_id: int,
        subject: str,
        title: str,
        body: str,
        safety: bool,
        at: datetime,
    ) -> InboxRow:
        row = InboxRow(
            owner=owner,
            delivery_id=delivery_id,
            subject=subject,
            title=title,
            body=body,
            safety=safety,
            created_at=at,
            read_at=None,
        )
        self.session.add(row)
        return row

    async def after(self, owner: str, after_id: int, *, limit: int = 100) -> list[InboxRow]:
        rows = await self.session.scalars(
            select(InboxRow)
            .where(InboxRow.owner == owner, InboxRow.id > after_id)
            .order_by(InboxRow.id)
            .limit(limit)
        )
        return list(rows)

    async def snapshot(self) -> str | None:
        """PostgreSQL: what is committed now (`pg_snapshot` as text), for `committed_since`;
        None on SQLite (one writer at a time: its ids commit in order)."""
        if self.session.get_bind().dialect.name != "postgresql":
            return None
        return str(await self.session.scalar(text("SELECT pg_current_snapshot()::text")))

    async def committed_since(
        self, owner: str, snapshot: str, *, after_id: int, limit: int = 100
    ) -> list[int]:
        """PostgreSQL: the ids of the owner's rows committed after `snapshot` was taken,
        whatever their id (`txid`, migration 0003: the writing transaction); by id from
        `after_id` (paging)."""
        committed_after = text(
            "inbox.txid >= pg_snapshot_xmin(CAST(:snapshot AS pg_snapshot))"
            " AND NOT pg_visible_in_snapshot(inbox.txid, CAST(:snapshot AS pg_snapshot))"
        ).bindparams(snapshot=snapshot)
        ids = await self.session.scalars(
            select(InboxRow.id)
            .where(InboxRow.owner == owner, InboxRow.id > after_id, committed_after)
            .order_by(InboxRow.id)
            .limit(limit)
        )
        return list(ids)

    async def with_ids(self, owner: str, ids: set[int]) -> list[InboxRow]:
        rows = await self.session.scalars(
            select(InboxRow)
            .where(InboxRow.owner == owner, InboxRow.id.in_(sorted(ids)))
            .order_by(InboxRow.id)
        )
        return list(rows)

    async def last_id(self, owner: str) -> int:
        found = await self.session.scalar(
            select(func.max(InboxRow.id)).where(InboxRow.owner == owner)
        )
        return int(found or 0)

    async def unread(self, owner: str) -> int:
        found = await self.session.scalar(
            select(func.count()).where(InboxRow.owner == owner, InboxRow.read_at.is_(None))
        )
        return int(found or 0)

    async def page(
        self, owner: str, *, unread_only: bool, limit: int, offset: int
    ) -> tuple[list[InboxRow], int]:
        query = select(InboxRow).where(InboxRow.owner == owner)
        if unread_only:
            query = query.where(InboxRow.read_at.is_(None))
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(
            query.order_by(InboxRow.id.desc()).limit(limit).offset(offset)
        )
        return list(rows), int(total or 0)

    async def get(self, owner: str, item_id: int) -> InboxRow | None:
        found = await self.session.scalars(
            select(InboxRow).where(InboxRow.owner == owner, InboxRow.id == item_id)
        )
        return found.first()
