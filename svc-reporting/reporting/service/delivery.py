"""The T+1 push (000 §三(二)): schedule the due days, assemble, sign, send, record the answer.

The job runs every few seconds on the injected clock: once 01:00 Asia/Shanghai of T+1 has passed,
day T is due for every provider with beds. Batches go out per provider in date order; when one
fails the provider's later days wait, so a backlog drains in date order when the platform returns.
The payload is assembled for each attempt and never stored (it carries names and ID numbers);
only its hash is kept. The batch id (deterministic for an original) is the `webhook-id`: the
platform keeps (provider, date, batch id) once, so a re-send never double-counts.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from chassis.clock import Clock
from chassis.db import UnitOfWork
from reporting.domain.delivery import (
    SHANGHAI,
    BatchKind,
    BatchStatus,
    backoff,
    displayed_status,
    due_days,
    latest_due_day,
    original_batch_id,
)
from reporting.domain.platform_update import RecordedEnd, update_overdue
from reporting.metrics import (
    BEDS,
    DELIVERY_ATTEMPTS,
    REPORTS_FAILED,
    REPORTS_LATE,
    UPDATES_OVERDUE,
)
from reporting.repository import BatchRepository, ProviderRepository, SupervisionRepository
from reporting.service.assembly import assemble
from reporting.service.lateness import announce_late
from reporting.service.sources import CityPlatform, Delivery, Sources, SourceUnavailable
from reporting.tables import ReportBatchRow, SupervisedBedRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchRef:
    batch_id: str
    provider_id: str
    report_date: date
    kind: str
    corrects_batch_id: str | None


@dataclass(frozen=True)
class DeliveryConfig:
    backfill_days: int = 7
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 3600.0


def new_batch(
    *,
    provider_id: str,
    day: date,
    kind: BatchKind,
    now: datetime,
    batch_id: str,
    corrects: str | None = None,
) -> ReportBatchRow:
    return ReportBatchRow(
        batch_id=batch_id,
        provider_id=provider_id,
        report_date=day,
        kind=kind.value,
        corrects_batch_id=corrects,
        status=BatchStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )


async def schedule_due(*, uow: UnitOfWork, now: datetime, config: DeliveryConfig) -> int:
    """Create the original batch of every due day not yet scheduled; the number created."""
    created = 0
    async with uow:
        batches = uow.repo(BatchRepository)
        last = latest_due_day(now)
        for provider_id, first in (await uow.repo(ProviderRepository).first_bed_days()).items():
            for day in due_days(first, last, backfill_days=config.backfill_days):
                if await batches.original(provider_id, day) is None:
                    batches.add(
                        new_batch(
                            provider_id=provider_id,
                            day=day,
                            kind=BatchKind.ORIGINAL,
                            now=now,
                            batch_id=original_batch_id(provider_id, day),
                        )
                    )
                    created += 1
        await uow.commit()
    return created


async def _payload(uow: UnitOfWork, batch: BatchRef, sources: Sources, now: datetime) -> bytes:
    async with uow:
        profile = await uow.repo(ProviderRepository).profile(batch.provider_id)
        provider_name = profile.name if profile else batch.provider_id
        medical_partner = profile.medical_partner if profile else None
    beds = await sources.beds.beds(batch.provider_id, batch.report_date)
    devices = await sources.devices.devices(batch.provider_id, batch.report_date)
    visits = await sources.visits.visits(batch.provider_id, batch.report_date)
    report = assemble(
        provider_id=batch.provider_id,
        day=batch.report_date,
        batch_id=batch.batch_id,
        kind=batch.kind,
        corrects_batch_id=batch.corrects_batch_id,
        provider_name=provider_name,
        medical_partner=medical_partner,
        beds=beds,
        devices=devices,
        visits=visits,
        now=now,
    )
    return report.model_dump_json().encode()


async def _record(
    uow: UnitOfWork,
    batch_id: str,
    answer: Delivery,
    digest: str | None,
    now: datetime,
    config: DeliveryConfig,
) -> bool:
    """Store the platform's answer; True when the provider's next day may go now."""
    async with uow:
        batch = await uow.repo(BatchRepository).get(batch_id)
        assert batch is not None
        provider_id = batch.provider_id
        batch.attempts += 1
        batch.updated_at = now
        batch.payload_sha256 = digest or batch.payload_sha256
        if answer.outcome == BatchStatus.ACKNOWLEDGED:
            batch.status = BatchStatus.ACKNOWLEDGED.value
            batch.receipt_id = answer.receipt_id
            batch.sent_at = batch.sent_at or now
            batch.acknowledged_at = now
            batch.last_error = None
        else:
            wait = backoff(
                batch.attempts,
                base_seconds=config.retry_base_seconds,
                max_seconds=config.retry_max_seconds,
            )
            if answer.retry_after_seconds is not None:
                wait = max(wait, type(wait)(seconds=answer.retry_after_seconds))
            batch.next_attempt_at = now + wait
            if answer.outcome == BatchStatus.SENT:
                batch.status = BatchStatus.SENT.value
                batch.sent_at = batch.sent_at or now
                batch.last_error = None
            else:
                batch.status = BatchStatus.FAILED.value
                batch.last_error = (answer.error or "failed")[:64]
        await uow.commit()
    DELIVERY_ATTEMPTS.labels(provider_id, answer.outcome).inc()
    return answer.outcome == BatchStatus.ACKNOWLEDGED


async def send_due(
    *,
    uow: UnitOfWork,
    uow_factory: Callable[[], UnitOfWork],
    now: datetime,
    sources: Sources,
    platform: CityPlatform,
    config: DeliveryConfig,
) -> int:
    """Send every due batch, per provider in date order; a failure holds the provider's later days."""
    async with uow:
        due = [
            (b.batch_id, b.provider_id, b.next_attempt_at)
            for b in await uow.repo(BatchRepository).due(now)
        ]
    held: set[str] = set()
    delivered = 0
    for batch_id, provider_id, next_attempt_at in due:
        if provider_id in held:
            continue
        if next_attempt_at > now:
            held.add(provider_id)  # an earlier day waits for its retry: keep date order
            continue
        async with uow_factory() as read:
            row = await read.repo(BatchRepository).get(batch_id)
            assert row is not None
            batch = BatchRef(
                batch_id=row.batch_id,
                provider_id=row.provider_id,
                report_date=row.report_date,
                kind=row.kind,
                corrects_batch_id=row.corrects_batch_id,
            )
        digest: str | None = None
        # One provider's bad day fails that batch alone (the others still go out), and only the
        # exception's type is kept or logged: its message may carry names or ID numbers.
        try:
            body = await _payload(uow_factory(), batch, sources, now)
        except SourceUnavailable as exc:
            answer = Delivery(outcome=BatchStatus.FAILED.value, error=str(exc)[:64])
        except Exception as exc:  # any owner data the assembly cannot take
            answer = Delivery(
                outcome=BatchStatus.FAILED.value, error=f"assembly_{type(exc).__name__}"[:64]
            )
        else:
            digest = hashlib.sha256(body).hexdigest()
            try:
                answer = await platform.deliver(batch_id=batch_id, body=body, now=now)
            except Exception as exc:  # the platform adapter's own failure
                answer = Delivery(
                    outcome=BatchStatus.FAILED.value, error=f"delivery_{type(exc).__name__}"[:64]
                )
        if await _record(uow_factory(), batch_id, answer, digest, now, config):
            delivered += 1
        else:
            held.add(provider_id)
            logger.warning(
                "city report not acknowledged",
                extra={"provider_id": provider_id, "batch_id": batch_id, "error": answer.error},
            )
    return delivered


async def refresh_metrics(*, uow: UnitOfWork, now: datetime) -> None:
    """Late and failed report days per provider, beds per county and status, bed ends overdue
    for their platform update per provider and county (gauges)."""
    late: dict[str, int] = {}
    failed: dict[str, int] = {}
    beds: Counter[tuple[str, str]] = Counter()
    overdue: Counter[tuple[str, str]] = Counter()
    taken: dict[tuple[str, date], list[datetime]] = {}
    async with uow:
        for b in await uow.repo(BatchRepository).listed(None, None, None):
            late.setdefault(b.provider_id, 0)
            failed.setdefault(b.provider_id, 0)
            shown = displayed_status(b.status, b.report_date, now)
            if b.kind == BatchKind.ORIGINAL and shown == "late":
                late[b.provider_id] += 1
            if b.status == BatchStatus.FAILED:
                failed[b.provider_id] += 1
            if b.status in (BatchStatus.SENT, BatchStatus.ACKNOWLEDGED) and b.sent_at is not None:
                taken.setdefault((b.provider_id, b.report_date), []).append(b.sent_at)
        today = now.astimezone(SHANGHAI).date()
        for bed in await uow.repo(SupervisionRepository).beds():
            county = bed.region_code[:6]
            beds[(county, bed.status)] += 1
            overdue[(bed.provider_id, county)] += 0  # every provider and county shows, at 0 too
            end = _recorded_end(bed)
            if end is not None and update_overdue(
                end, taken_at=taken.get((end.provider_id, end.ended_on), ()), today=today
            ):
                overdue[(bed.provider_id, county)] += 1
    for provider_id, count in late.items():
        REPORTS_LATE.labels(provider_id).set(count)
    for provider_id, count in failed.items():
        REPORTS_FAILED.labels(provider_id).set(count)
    BEDS.clear()  # a county and status no bed has any more leaves the gauge
    for (region_code, status), count in beds.items():
        BEDS.labels(region_code, status).set(count)
    UPDATES_OVERDUE.clear()
    for (provider_id, region_code), count in overdue.items():
        UPDATES_OVERDUE.labels(provider_id, region_code).set(count)


def _recorded_end(bed: SupervisedBedRow) -> RecordedEnd | None:
    """The bed's end, when the read model knows its day, deadline and recording (ends announced
    before the read model kept deadlines have none: they are not judged)."""
    if bed.ended_on is None or bed.update_deadline is None or bed.end_recorded_at is None:
        return None
    return RecordedEnd(
        provider_id=bed.provider_id,
        ended_on=bed.ended_on,
        recorded_at=bed.end_recorded_at,
        update_deadline=bed.update_deadline,
    )


async def run_daily_push(
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    sources: Sources,
    platform: CityPlatform,
    config: DeliveryConfig,
) -> int:
    """The job: schedule due days, send what is due, refresh the late/failed gauges, announce
    the days that became late."""
    now = clock()
    await schedule_due(uow=uow_factory(), now=now, config=config)
    sent = await send_due(
        uow=uow_factory(),
        uow_factory=uow_factory,
        now=now,
        sources=sources,
        platform=platform,
        config=config,
    )
    await refresh_metrics(uow=uow_factory(), now=now)
    await announce_late(uow=uow_factory(), now=now)
    return sent


def correction_batch_id() -> str:
    return str(uuid.uuid4())
