"""The rule engine consumer: telemetry -> per-bed monitors -> alarms (raise, repeat, clear).

Bed states are cached in memory and written back in the same transaction as the offsets and the
alarms they caused, so a restart resumes exactly where the last commit left off. The cache is
dropped whenever a transaction fails. Telemetry is keyed by bed, so each bed's readings reach
exactly one instance of the consumer group; on every rebalance the cache is dropped (another
instance may have moved a bed's state on meanwhile), the owned beds' states are read again
before the first batch (`load_owned`), and ticks cover only the owned beds.

A bed the engine has not met (new, forgotten by a rule change, or dropped by a rebalance or a
failure while a batch waited for the database) is loaded, never an error: a batch or a tick works
on its own map of the beds it needs, taken when they were loaded (`_loaded`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import select

from chassis.clock import Clock, utc_now
from chassis.db import UnitOfWork
from chassis.kafka.batch import Records
from chassis.upsert import upsert
from chassis.write_lock import serialized_writes
from iot_ingest.domain.alarms.lifecycle import Alarm, AlarmChange
from iot_ingest.domain.rules.defaults import DEFAULT_RULE_BOOK
from iot_ingest.domain.rules.monitor import BedMonitor, BedMonitorState, MonitorSettings
from iot_ingest.domain.rules.rule import RuleBook, RuleSignal, SignalKind
from iot_ingest.domain.validation import LATE_AFTER
from iot_ingest.prometheus_metrics import RULE_ENGINE_FAILURES, RULE_SIGNALS, SERVICE
from iot_ingest.repository.alarms import AlarmRepository
from iot_ingest.repository.devices import BedRepository
from iot_ingest.repository.monitoring import RuleOverridesRepository
from iot_ingest.service.alarm_changes import (
    RaiseRequest,
    observe_metrics,
    raise_or_repeat,
    record_changes,
)
from iot_ingest.streams.partitions import PartitionOwnership
from iot_ingest.tables import bed_monitor_states
from iot_ingest.telemetry.codec import decode_telemetry

logger = logging.getLogger(__name__)
YIELD_EVERY = 20  # telemetry messages (of up to 1000 readings) between event-loop yields
_state_encoder = msgspec.json.Encoder()
_state_decoder = msgspec.json.Decoder(BedMonitorState)
Beds = dict[str, tuple[BedMonitorState, BedMonitor]]
BedStates = dict[str, BedMonitorState]


class RuleEngine:
    def __init__(
        self,
        *,
        rule_book: RuleBook = DEFAULT_RULE_BOOK,
        settings: MonitorSettings | None = None,
        tick_every: timedelta = timedelta(seconds=30),
        clock: Clock = utc_now,
        ownership: PartitionOwnership | None = None,
    ) -> None:
        self._rule_book = rule_book
        self._ownership = ownership or PartitionOwnership(owns_all=True)
        self._settings = settings or MonitorSettings()
        self._tick_every = tick_every
        self._clock = clock
        self._states: dict[str, BedMonitorState] = {}
        self._monitors: dict[str, BedMonitor] = {}
        self._providers: dict[str, str] = {}
        self._all_loaded = False
        self._last_tick: datetime | None = None
        self._overrides_seen_at: datetime | None = None
        self._failures = 0
        self.tick_count = 0

    @property
    def rule_book(self) -> RuleBook:
        return self._rule_book

    def reset(self) -> None:
        """Forget cached state (after a failed transaction, or when overrides change)."""
        self._states.clear()
        self._monitors.clear()
        self._all_loaded = False

    def on_assignment(self, partitions: set[int], partition_count: int) -> None:
        """A rebalance: own these partitions' beds from now on, re-reading their states."""
        self._ownership.assign(partitions, partition_count)
        self.reset()

    async def load_owned(self, uow_factory: Callable[[], UnitOfWork]) -> int:
        """Read the owned beds' states and rules now, before the first batch of an assignment
        (else the first batches after a start or a rebalance pay for it); returns how many."""
        try:
            async with uow_factory() as uow:
                await self._load_all(uow)
        except Exception:
            # the first batch or tick loads what it needs; nothing is lost by failing here
            logger.warning("loading the owned beds' states failed", exc_info=True)
            self.reset()
        return len(self._states)

    @property
    def owned_partitions(self) -> frozenset[int]:
        return self._ownership.partitions

    def knows(self, bed_id: str) -> bool:
        """The bed's state and rules are loaded (no database read when its readings come)."""
        return bed_id in self._states and bed_id in self._monitors

    @property
    def failures(self) -> int:
        """Failed batches or ticks since start (each one restarts the consumer's poll)."""
        return self._failures

    def on_failure(self) -> None:
        """The consumer's failure hook: count it, drop the caches (they may hold rolled-back
        effects)."""
        self._failures += 1
        RULE_ENGINE_FAILURES.labels(SERVICE).inc()
        self.reset()

    def forget_bed(self, bed_id: str) -> None:
        """Rebuild the bed's monitor (its rules changed) the next time the bed is met."""
        self._monitors.pop(bed_id, None)

    async def apply(self, uow: UnitOfWork, records: Records) -> None:
        """Feed a poll's telemetry to the monitors; persist changed states and alarms."""
        batches = [decode_telemetry(r.value) for r in records if r.value is not None]
        # this batch's beds: a rule change (`forget_bed`) or a reset during a yield below must
        # not take a bed away mid-batch; the next batch or tick loads the new rules
        beds = await self._loaded(uow, {b.data.bed_id for b in batches})
        dirty: set[str] = set()
        signals: list[RuleSignal] = []
        for index, batch in enumerate(batches):
            if index % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # let HTTP requests in between (single-process mode)
            data = batch.data
            self._providers[data.bed_id] = data.provider_id
            state, monitor = beds[data.bed_id]
            high = state.device_seqs.get(data.device_id, -1)
            live_from = batch.time - LATE_AFTER
            observe = monitor.observe_into
            for reading in data.readings:
                if reading.seq <= high:
                    continue  # re-delivered
                high = reading.seq
                if reading.ts < live_from:
                    continue  # late (counted in the lane's answer): stored, not evaluated
                observe(signals, state, reading.metric, reading.value, reading.ts)
            state.device_seqs[data.device_id] = high
            dirty.add(data.bed_id)
        await self._persist(uow, {bed_id: beds[bed_id][0] for bed_id in dirty})
        await self._apply_signals(uow, signals)

    async def tick(self, uow: UnitOfWork, now: datetime) -> list[RuleSignal]:
        """Time-based rules (inactivity, night bed-exit) for every bed with a state."""
        await self._load_all(uow)
        # any owned bed without a monitor (its rules changed, or met for the first time) is
        # loaded here: a bed the engine has not loaded is never an error
        beds = await self._loaded(uow, [b for b in self._states if self._ownership.owns(b)])
        signals: list[RuleSignal] = []
        dirty: BedStates = {}
        for bed_id, (state, monitor) in beds.items():
            fired = monitor.tick(state, now)
            if fired:
                signals.extend(fired)
                dirty[bed_id] = state
        await self._persist(uow, dirty)
        await self._apply_signals(uow, signals)
        self.tick_count += 1
        return signals

    async def tick_if_due(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        now = self._clock()
        if not self._ownership.owns_any:
            return
        if self._last_tick is not None and now - self._last_tick < self._tick_every:
            return
        self._last_tick = now
        try:
            async with uow_factory() as uow, serialized_writes(uow):
                await self.reload_changed_overrides(uow)
                await self.tick(uow, now)
                await uow.commit()
        except Exception:
            self.reset()
            raise

    async def reload_changed_overrides(self, uow: UnitOfWork) -> list[str]:
        """Rebuild the monitors of beds whose care-plan overrides changed (in any process)."""
        changed = await uow.repo(RuleOverridesRepository).changed_since(self._overrides_seen_at)
        for bed_id, updated_at in changed:
            self.forget_bed(bed_id)
            if self._overrides_seen_at is None or updated_at > self._overrides_seen_at:
                self._overrides_seen_at = updated_at
        return [bed_id for bed_id, _ in changed]

    async def _loaded(self, uow: UnitOfWork, bed_ids: Collection[str]) -> Beds:
        """The beds' states and monitors, loading the ones not in the caches.

        The caller's own map, taken without an await in between for the beds already cached
        and built from what was read for the others: whatever resets or forgets beds while the
        database answers (a rebalance, a rule change, a failed tick) cannot make one missing.
        """
        beds: Beds = {
            b: (self._states[b], self._monitors[b])
            for b in bed_ids
            if b in self._states and b in self._monitors
        }
        missing = [b for b in bed_ids if b not in beds]
        if not missing:
            return beds
        rows = (
            await uow.session.execute(
                select(bed_monitor_states.c.bed_id, bed_monitor_states.c.state).where(
                    bed_monitor_states.c.bed_id.in_(missing)
                )
            )
        ).all()
        stored = {r.bed_id: _state_decoder.decode(r.state) for r in rows}
        overrides = await uow.repo(RuleOverridesRepository).of_beds(missing)
        for bed_id in missing:
            # a state cached meanwhile (or before: only the monitor was forgotten) is newer
            state = self._states.get(bed_id) or stored.get(bed_id) or BedMonitorState(bed_id=bed_id)
            bed_overrides = overrides.get(bed_id)
            monitor = BedMonitor(
                self._rule_book.rules_for(bed_overrides), self._settings.for_bed(bed_overrides)
            )
            self._states[bed_id], self._monitors[bed_id] = state, monitor
            beds[bed_id] = (state, monitor)
        return beds

    async def _load_all(self, uow: UnitOfWork) -> None:
        if self._all_loaded:
            return
        ids = (await uow.session.execute(select(bed_monitor_states.c.bed_id))).scalars().all()
        await self._loaded(uow, [b for b in ids if self._ownership.owns(b)])
        self._all_loaded = True

    async def _persist(self, uow: UnitOfWork, states: BedStates) -> None:
        if not states:
            return
        now = self._clock()
        # one statement for the whole batch (sorted: concurrent writers lock rows in one order)
        await upsert(
            uow,
            bed_monitor_states,
            [
                {
                    "bed_id": bed_id,
                    "state": _state_encoder.encode(states[bed_id]),
                    "updated_at": now,
                }
                for bed_id in sorted(states)
            ],
            keys=["bed_id"],
        )

    async def _provider_of(self, uow: UnitOfWork, bed_id: str) -> str | None:
        provider = self._providers.get(bed_id)
        if provider is None:
            provider = await uow.repo(BedRepository).provider_of(bed_id)
            if provider is not None:
                self._providers[bed_id] = provider
        return provider

    async def _apply_signals(self, uow: UnitOfWork, signals: list[RuleSignal]) -> None:
        observed: list[tuple[Alarm, list[AlarmChange]]] = []
        for signal in signals:
            RULE_SIGNALS.labels(SERVICE, signal.rule_id, signal.kind.value).inc()
            provider = await self._provider_of(uow, signal.bed_id)
            if provider is None:
                logger.warning("rule signal for an unknown bed", extra={"rule": signal.rule_id})
                continue
            if signal.kind is SignalKind.RAISE:
                observed.append(
                    await raise_or_repeat(
                        uow,
                        RaiseRequest(
                            bed_id=signal.bed_id,
                            provider_id=provider,
                            alarm_type=signal.alarm_type.value,
                            severity=signal.severity,
                            at=signal.at,
                            rule_id=signal.rule_id,
                            detail=f"{signal.detail} [{signal.citation}]",
                        ),
                    )
                )
                continue
            alarm = await uow.repo(AlarmRepository).find_active(
                signal.bed_id, signal.alarm_type.value
            )
            if alarm is not None:
                alarm.condition_cleared(at=signal.at)
                await record_changes(uow, alarm)
        # metrics are approximate on a rolled-back batch; counting them here keeps code simple
        for alarm, changes in observed:
            observe_metrics(alarm, changes)
